// The public API: the wasm exports minus init/initSync (the entry files call
// those), plus a type guard for the errors every function throws.
export {
  canonicalize,
  closePackageInclusionProof,
  customerReference,
  entryHash,
  itemHash,
  keccak256,
  parseAmount,
  parseDelta,
  verifyCheckpoint,
  verifyClosePackage,
  verifyCompare,
  verifyConsistency,
  verifyInclusion,
  verifyReceipt,
} from './vericord_wasm.js';

export function isVericordError(error) {
  return error instanceof Error && error.name === 'VericordError' && typeof error.code === 'string';
}
