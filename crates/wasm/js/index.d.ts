/** `0x` followed by 64 hex digits (the package returns lowercase). */
export type Hash = `0x${string}`;

/** A tree size, leaf index or sequence number: a safe non-negative integer or a BigInt. */
export type Uint = number | bigint;

/** Stable codes carried by every error the package throws. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'HASH_INVALID'
  | 'JSON_INVALID'
  | 'JSON_DUPLICATE_NAME'
  | 'AMOUNT_INVALID'
  | 'AMOUNT_TOO_PRECISE'
  | 'AMOUNT_OUT_OF_RANGE'
  | 'AMOUNT_ZERO'
  | 'SEQ_OUT_OF_RANGE'
  | 'INDEX_OUT_OF_RANGE'
  | 'PROOF_LENGTH'
  | 'ROOT_MISMATCH'
  | 'OLD_ROOT_MISMATCH'
  | 'SIZES_OUT_OF_ORDER'
  | 'CHECKPOINT_MALFORMED'
  | 'CHECKPOINT_UNTRUSTED'
  | 'CHECKPOINT_SIGNATURE_INVALID'
  | 'VERIFIER_KEY_INVALID'
  | 'RECEIPT_MALFORMED'
  | 'RECEIPT_CHECKPOINT_MISMATCH'
  | 'RECEIPT_INCOMPLETE'
  | 'RECEIPT_SEQUENCE_MISMATCH'
  | 'RECEIPT_RECORD_MISMATCH'
  | 'RECEIPT_AMOUNT_INVALID'
  | 'ITEM_HASH_MISMATCH'
  | 'ENTRY_HASH_MISMATCH'
  | 'RECEIPT_BALANCE_MISMATCH';

/** What every function throws: a plain `Error` with a stable `code`. */
export interface VericordError extends Error {
  name: 'VericordError';
  code: ErrorCode;
}

/** True when `error` is a {@link VericordError}. */
export function isVericordError(error: unknown): error is VericordError;

/** One entry of a customer's log, as hashed into its leaf. */
export interface EntryInput {
  seq: Uint;
  itemHash: string;
  /** Exact decimal text, e.g. `"-42.5"`; never a JS number. */
  balanceAfter: string;
}

/** A verified checkpoint: the signed tree head that closes a period. */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Hash;
  period: string;
  /** Canonical decimal text. */
  opening: string;
  /** Canonical decimal text. */
  closing: string;
  count: number;
}

/**
 * `keccak256("vericord:item:v1" ‖ 0x00 ‖ JCS(item))`. A string is taken as
 * JSON text; an object goes through `JSON.stringify` first.
 */
export function itemHash(item: object | string): Hash;

/** `keccak256("vericord:entry:v1" ‖ 0x00 ‖ JCS({seq, itemHash, balanceAfter}))`. */
export function entryHash(entry: EntryInput): Hash;

/** RFC 8785 (JCS) canonical text of JSON text. */
export function canonicalize(json: string): string;

/** Keccak-256 (Ethereum's, not SHA3-256). */
export function keccak256(bytes: Uint8Array): Hash;

/** The EIP-55-cased customer reference for a tenant's customer. */
export function customerReference(
  tenantId: string,
  environment: 'sandbox' | 'production',
  customerId: string,
): string;

/** Canonical text of an amount given as JSON number text (e.g. `"-42.50"` → `"-42.5"`). */
export function parseAmount(text: string): string;

/** Like {@link parseAmount}, for a delta: non-zero and |delta| ≤ 1 000 000 000. */
export function parseDelta(text: string): string;

/** Checks that `leaf` is leaf `index` of the tree `(root, size)`. Returns `true` or throws. */
export function verifyInclusion(root: string, size: Uint, index: Uint, leaf: string, proof: string[]): true;

/** Checks that tree `(oldRoot, oldSize)` is a prefix of `(newRoot, newSize)`. Returns `true` or throws. */
export function verifyConsistency(
  oldSize: Uint,
  oldRoot: string,
  newSize: Uint,
  newRoot: string,
  proof: string[],
): true;

/**
 * Verifies a signed checkpoint note against trusted verifier keys
 * (`name+id+base64key`) and returns its fields, or throws.
 */
export function verifyCheckpoint(note: string, trustedVerifierKeys: string[]): Checkpoint;

/**
 * Verifies a whole customer receipt (the `data` of `GET /api/v1/balance/receipt/:customerId`,
 * as an object or JSON text): its signed checkpoint, every record's item, entry and inclusion
 * proof, and the running balance from the signed opening to the signed closing balance.
 * Returns the checkpoint, or throws (`RECEIPT_INCOMPLETE` for a page of a receipt).
 */
export function verifyReceipt(receipt: object | string, trustedVerifierKeys: string[]): Checkpoint;
