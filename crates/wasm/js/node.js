// Node (also Deno and Bun) entry: instantiate synchronously from the .wasm
// file beside this one, so importing the package is all a caller does.
import { readFileSync } from 'node:fs';
import { initSync } from './vericord_wasm.js';

initSync({ module: readFileSync(new URL('./vericord_wasm_bg.wasm', import.meta.url)) });

export * from './api.js';
