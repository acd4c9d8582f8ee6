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
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from './vericord_wasm.js';
import * as wasm from './vericord_wasm.js';

// Large JSON text goes in as UTF-8 bytes: the browser's native encoder is many times faster
// than the glue's per-character copy of a string (a 100k-record package is ~56 MB of text).
const encoder = new TextEncoder();
const utf8 = (doc) => (typeof doc === 'string' ? encoder.encode(doc) : doc);

export const verifyClosePackage = (pkg, keys) => wasm.verifyClosePackage(utf8(pkg), keys);
export const verifyCompare = (result, keys) => wasm.verifyCompare(utf8(result), keys);
export const verifyReceipt = (receipt, keys) => wasm.verifyReceipt(utf8(receipt), keys);
export const verifyVerificationPackage = (pkg, keys) => wasm.verifyVerificationPackage(utf8(pkg), keys);
export const closePackageInclusionProof = (pkg, seq) => wasm.closePackageInclusionProof(utf8(pkg), seq);

export function isVericordError(error) {
  return error instanceof Error && error.name === 'VericordError' && typeof error.code === 'string';
}
