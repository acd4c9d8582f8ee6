// The public API: the wasm exports minus init/initSync (the entry files call
// those), plus a type guard for the errors every function throws.
export {
  canonicalize,
  customerReference,
  entryHash,
  itemHash,
  keccak256,
  parseAmount,
  parseDelta,
  verifyConsistency,
} from './vericord_wasm.js';
import * as wasm from './vericord_wasm.js';

// Large JSON text goes in as UTF-8 bytes: the browser's native encoder is many times faster
// than the glue's per-character copy of a string (a 100k-record package is ~56 MB of text).
const encoder = new TextEncoder();
const utf8 = (doc) => (typeof doc === 'string' ? encoder.encode(doc) : doc);

// Checkpoints, reports and proofs come back as JSON text: JSON.parse builds the plain objects
// natively, and the wasm needs no code to build JS values of every type.
export const verifyCheckpoint = (note, keys) => JSON.parse(wasm.verifyCheckpoint(note, keys));
export const verifyReceipt = (receipt, keys) => JSON.parse(wasm.verifyReceipt(utf8(receipt), keys));
export const verifyClosePackage = (pkg, keys) => JSON.parse(wasm.verifyClosePackage(utf8(pkg), keys));
export const verifyCompare = (result, keys) => JSON.parse(wasm.verifyCompare(utf8(result), keys));
export const verifyVerificationPackage = (pkg, keys) => JSON.parse(wasm.verifyVerificationPackage(utf8(pkg), keys));
export const closePackageInclusionProof = (pkg, seq) => JSON.parse(wasm.closePackageInclusionProof(utf8(pkg), seq));

export function isVericordError(error) {
  return error instanceof Error && error.name === 'VericordError' && typeof error.code === 'string';
}

// verifyInclusion's hashes cross into wasm as one text, root ‖ leaf ‖ proof, encoded natively
// in one go (a string per hash would cost a copy, an allocation and a call back into JS each).
// Only plain input takes this path: strings of 66 UTF-16 units that are all ASCII (so exactly
// 66 bytes each), an array proof, Number size and index; the wasm side parses each hash as the
// other path does and answers false when one does not parse. Anything else goes to the wasm
// function as given, which names the argument at fault.
let text = new Uint8Array(66 * 22);
const isHashSized = (h) => typeof h === 'string' && h.length === 66;

export function verifyInclusion(root, size, index, leaf, proof) {
  if (typeof size === 'number' && typeof index === 'number' && Array.isArray(proof) && isHashSized(root) && isHashSized(leaf)) {
    let plain = true;
    for (let i = 0; plain && i < proof.length; i++) plain = isHashSized(proof[i]);
    const bytes = 66 * (proof.length + 2);
    if (plain) {
      if (text.length < bytes) text = new Uint8Array(bytes);
      const all = root + leaf + proof.join('');
      const { read, written } = encoder.encodeInto(all, text);
      // All read and one byte per UTF-16 unit: every character was ASCII.
      if (read === all.length && written === bytes && wasm.verifyInclusionText(text.subarray(0, bytes), size, index)) return true;
    }
  }
  return wasm.verifyInclusion(root, size, index, leaf, proof);
}
