// Browser (and bundler) entry: top-level await fetches and instantiates the
// .wasm once, so after `import` the API is synchronous, as in Node. The
// `new URL(…, import.meta.url)` form lets bundlers find and emit the file.
import init from './vericord_wasm.js';

await init({ module_or_path: new URL('./vericord_wasm_bg.wasm', import.meta.url) });

export * from './api.js';
