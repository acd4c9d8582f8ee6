// Cloudflare Workers (workerd) entry, chosen by the "workerd" export condition that wrangler's
// and esbuild's Workers builds use: a Worker can neither fetch nor read its own .wasm, so it is
// imported as a compiled WebAssembly.Module and instantiated synchronously, as in Node.
import module from './vericord_wasm_bg.wasm';
import { initSync } from './vericord_wasm.js';

initSync({ module });

export * from './api.js';
