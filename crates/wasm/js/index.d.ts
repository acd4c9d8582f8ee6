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
  | 'RECEIPT_BALANCE_MISMATCH'
  | 'CLOSE_PACKAGE_MALFORMED'
  | 'CLOSE_PACKAGE_RANGE_MISMATCH';

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
 * as an object, JSON text or that text's UTF-8 bytes): its signed checkpoint, every record's
 * item, entry and inclusion proof, and the running balance from the signed opening to the
 * signed closing balance.
 * Returns the checkpoint, or throws (`RECEIPT_INCOMPLETE` for a page of a receipt).
 */
export function verifyReceipt(receipt: object | string | Uint8Array, trustedVerifierKeys: string[]): Checkpoint;

/** `sandbox` or `production`. */
export type Environment = 'sandbox' | 'production';

/** A signed checkpoint as a document carries it: its id and the C2SP signed note (§8). */
export interface NoteRef {
  checkpointId: string;
  note: string;
}

/** The compact range: the roots of the perfect subtrees that make up entries `0 .. start`. */
export interface CompactRange {
  start: number;
  frontier: Hash[];
}

/**
 * A record's content as it was hashed (`itemHash`, SPEC §5). The verifier canonicalizes it
 * itself (JCS), so member order and JSON spelling do not matter; its content does.
 */
export interface DeltaItem {
  type: 'delta';
  recordId: string;
  /** Position in the submission, and the submission's size. */
  index: number;
  count: number;
  /** RFC 3339 UTC with milliseconds. */
  receivedAt: string;
  customerReference: string;
  customerId: string;
  /** Canonical decimal text. */
  delta: string;
  reason: string;
  referenceId?: string;
  metadata?: Record<string, unknown>;
  /** The earlier record this one corrects. */
  adjusts?: Record<string, unknown>;
  /** Middleware tenants: the vendor account the record is made for. */
  vendorAccountId?: string;
}

/** One entry of the log in a close package or a compare result. */
export interface LogRecord {
  seq: number;
  item: DeltaItem;
  itemHash: Hash;
  /** The running balance after this entry, canonical decimal text. */
  balanceAfter: string;
  /** `keccak256("vericord:entry:v1" ‖ 0x00 ‖ JCS({seq, itemHash, balanceAfter}))`: the leaf. */
  entryHash: Hash;
}

/** Who recorded the log: a direct vendor (`tenant`) or a billing middleware's vendor account. */
export interface RecordedBy {
  type: 'tenant' | 'middleware_vendor_account';
  id: string;
  displayName: string;
}

/**
 * A close package, `vericord.close-package/v1` (SPEC §12):
 * one customer log's closed period, self-contained — its checkpoint and the previous one, the
 * consistency proof between them, every record with the compact range proving they are
 * exactly the log's entries of the period, the opening entry, the summary, and a signed
 * manifest over everything else. Every member is checked; unknown members are refused.
 */
export interface ClosePackage {
  format: 'vericord.close-package/v1';
  environment: Environment;
  customer: { customerId: string; customerReference: string };
  recordedBy: RecordedBy;
  tenant: { name: string };
  /** `label` is `YYYY-MM` or `start/end`; `start` inclusive, `end` exclusive, RFC 3339. */
  period: { label: string; start: string; end: string };
  /** The signer keys the package names (`name+id+base64key`); pin one, don't trust these. */
  verifierKeys: string[];
  /** The period's closing checkpoint. */
  checkpoint: NoteRef;
  /** The previous period's closing checkpoint; `null` for the log's first period. */
  previous: NoteRef | null;
  /** RFC 9162 consistency proof from `previous`'s size (0 when `null`) to `checkpoint`'s. */
  consistencyProof: Hash[];
  range: CompactRange;
  /** The entry before the period, proving the opening balance; `null` when `range.start` is 0. */
  opening: { seq: number; itemHash: Hash; balanceAfter: string; proof: Hash[] } | null;
  records: Array<LogRecord & { receivedBeforePeriod: boolean }>;
  /** Exact decimal text; `recordCount` a number. */
  summary: {
    opening: string;
    credits: string;
    debits: string;
    net: string;
    closing: string;
    recordCount: number;
  };
  /** A C2SP signed note over the other members (SPEC §12). */
  manifest: string;
}

/**
 * A compare result, `vericord.compare/v1` (SPEC §13): the entries between two checkpoints of
 * one log (`POST /api/v1/middleware/customers/:customerId/compare`) and the proof that they
 * are exactly those entries. It has no manifest: its checkpoint ids, display name and key list
 * are not signed, and the report does not present them as verified.
 */
export interface CompareResult {
  format: 'vericord.compare/v1';
  environment: Environment;
  customer: { customerId: string; customerReference: string };
  recordedBy: RecordedBy;
  tenant: { name: string };
  verifierKeys: string[];
  from: NoteRef;
  to: NoteRef;
  consistencyProof: Hash[];
  range: CompactRange;
  records: LogRecord[];
  differences: {
    entries: number;
    balance: string;
    credits: string;
    debits: string;
    recordCount: number;
    opening: string;
    closing: string;
  };
}

/**
 * A verification package, `vericord.verification-package/v1` (SPEC §15): a spot check of one
 * customer log's closed period — a sample of its records, each with its inclusion proof under
 * the period's closing checkpoint, drawn from a seed the signed checkpoint fixes
 * (`keccak256("vericord:sample:v1\n" ‖ checkpoint.note)`), so whoever assembled the package
 * could not choose which records are sampled; and a signed manifest over everything else.
 * Every member is checked; unknown members are refused.
 */
export interface VerificationPackage {
  format: 'vericord.verification-package/v1';
  environment: Environment;
  customer: { customerId: string; customerReference: string };
  recordedBy: RecordedBy;
  tenant: { name: string };
  /** `label` is `YYYY-MM` or `start/end`; `start` inclusive, `end` exclusive, RFC 3339. */
  period: { label: string; start: string; end: string };
  /** The signer keys the package names (`name+id+base64key`); pin one, don't trust these. */
  verifierKeys: string[];
  /** The period's closing checkpoint. */
  checkpoint: NoteRef;
  /**
   * `seed` as above; `requested` the sample size asked for (1 to 100); `population` the
   * period's record count (the note's `count`); `start` its first entry (`size − count`).
   */
  sample: { seed: Hash; requested: number; population: number; start: number };
  /** Exactly the sampled entries, by `seq` ascending, each with its RFC 9162 inclusion proof. */
  records: Array<LogRecord & { proof: Hash[] }>;
  /** A C2SP signed note over the other members (SPEC §15). */
  manifest: string;
}

/** The checks of a close package (SPEC §12), in report order. */
export type ClosePackageCheckName =
  | 'format'
  | 'checkpoint.signature'
  | 'previous.signature'
  | 'manifest.signature'
  | 'manifest.fields'
  | 'checkpoint.origin'
  | 'period'
  | 'identity'
  | 'consistency'
  | 'range.start'
  | 'range.frontier'
  | 'opening'
  | 'records.count'
  | 'records.seq'
  | 'records.itemHash'
  | 'records.identity'
  | 'records.amount'
  | 'records.balance'
  | 'records.entryHash'
  | 'records.period'
  | 'range.root'
  | 'closing'
  | 'summary';

/** The checks of a compare result (SPEC §13), in report order. */
export type CompareCheckName =
  | 'format'
  | 'from.signature'
  | 'to.signature'
  | 'checkpoint.origin'
  | 'identity'
  | 'consistency'
  | 'range.start'
  | 'range.frontier'
  | 'records.count'
  | 'records.seq'
  | 'records.itemHash'
  | 'records.identity'
  | 'records.amount'
  | 'records.balance'
  | 'records.entryHash'
  | 'range.root'
  | 'differences';

/** The checks of a verification package (SPEC §15), in report order. */
export type VerificationPackageCheckName =
  | 'format'
  | 'checkpoint.signature'
  | 'manifest.signature'
  | 'manifest.fields'
  | 'checkpoint.origin'
  | 'period'
  | 'identity'
  | 'sample.seed'
  | 'sample.size'
  | 'sample.indices'
  | 'records.itemHash'
  | 'records.identity'
  | 'records.amount'
  | 'records.entryHash'
  | 'records.period'
  | 'records.inclusion';

/** Every check name of every report. */
export type CheckName = ClosePackageCheckName | CompareCheckName | VerificationPackageCheckName;

/** One named check of a report. */
export interface Check<Name extends string = CheckName> {
  name: Name;
  /**
   * Whether it passed. A check that could not run because one it needs failed is not ok, and
   * its detail starts with `not checked:`.
   */
  ok: boolean;
  /** What was found; for a check over all records, the first failing record. */
  detail: string;
}

/** A signed checkpoint as the report verified it. */
export interface CheckpointFacts {
  /** The document's id for it; `null` when nothing signs the id (compares). */
  checkpointId: string | null;
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

/** A verification package's sample as the report verified it (SPEC §15). */
export interface SampleFacts {
  /** `keccak256("vericord:sample:v1\n" ‖ checkpoint.note)`. */
  seed: Hash;
  /** The sample size asked for. */
  requested: number;
  /** Records in the period (the checkpoint's `count`). */
  population: number;
  /** The period's first entry (`size − count`). */
  start: number;
  /** The sampled entries' `seq`s, ascending: exactly the package's records. */
  indices: number[];
}

/**
 * What {@link verifyClosePackage}, {@link verifyCompare} or {@link verifyVerificationPackage}
 * found: every check of the format, once, in the spec's order, and the facts a page may
 * display. A fact is `null` unless the checks that prove it passed, so display facts only from
 * a report with `verified: true`.
 */
export interface VerifyReport<Name extends string = CheckName> {
  format: 'vericord.close-package/v1' | 'vericord.compare/v1' | 'vericord.verification-package/v1';
  /** Every check passed. */
  verified: boolean;
  /**
   * The caller pinned the keys. `false`: the document's own `verifierKeys` were used, which
   * proves integrity (nothing was altered since it was signed) but not who signed it.
   */
  keysPinned: boolean;
  /** The verifier keys the signatures were checked against. */
  keys: string[];
  /** The key among them whose signature on the (closing) checkpoint verified. */
  key: string | null;
  checks: Check<Name>[];
  environment: Environment | null;
  customer: { customerId: string; customerReference: string } | null;
  /** `type` is `null` when nothing binds it (a compare without records); `displayName` when unsigned (compares). */
  recordedBy: { type: RecordedBy['type'] | null; id: string; displayName: string | null } | null;
  /** The period (close packages). */
  period: { label: string; start: string; end: string } | null;
  /** Records in the document. */
  recordCount: number | null;
  /** The summary (close packages), exact decimal text. */
  summary: ClosePackage['summary'] | null;
  /** `to` minus `from` (compares). */
  differences: CompareResult['differences'] | null;
  /** The sample (verification packages). */
  sample: SampleFacts | null;
  /** The period's closing checkpoint (close and verification packages), or `to` (compares). */
  checkpoint: CheckpointFacts | null;
  /** The previous period's checkpoint (close packages; `null` for a log's first period), or `from` (compares). */
  previous: CheckpointFacts | null;
}

/** A record's RFC 9162 inclusion proof, as {@link verifyInclusion} and OpenZeppelin's `SimpleMerkleTree.verify(root, leaf, proof)` take it. */
export interface InclusionProofResult {
  /** The package's checkpoint root. */
  root: Hash;
  /** The checkpoint's tree size. */
  size: number;
  /** The record's `seq`. */
  index: number;
  /** The record's `entryHash`. */
  leaf: Hash;
  /** Sibling hashes, leaf to root. */
  proof: Hash[];
}

/**
 * Verifies a close package (SPEC §12; JSON text, or the object `JSON.parse` gives — its
 * amounts are strings, so parsing keeps them exact — or the text's UTF-8 bytes as a
 * `Uint8Array` such as a Node `Buffer`, the fastest: nothing is re-encoded) against trusted
 * verifier keys: both checkpoints' signatures, the signed manifest, identity, consistency, the
 * compact range, every record's item, entry, running balance and period, the closing balance
 * and the summary. An empty key list checks against the package's own `verifierKeys`
 * (`keysPinned: false`).
 *
 * A package that fails is **not** thrown: the report says `verified: false` and which checks
 * failed. Throws only for arguments of the wrong type (`INVALID_ARGUMENT`, also for bytes that
 * are not UTF-8), a malformed pinned key (`VERIFIER_KEY_INVALID`), or a signed tree size beyond
 * 2^53 − 1, which no JS number holds exactly (`CHECKPOINT_MALFORMED`, as {@link verifyCheckpoint}).
 */
export function verifyClosePackage(
  pkg: ClosePackage | object | string | Uint8Array,
  trustedVerifierKeys: string[],
): VerifyReport<ClosePackageCheckName>;

/**
 * Verifies a compare result (SPEC §13) as {@link verifyClosePackage} verifies a package: same
 * report, the compare's checks, `differences` instead of `summary`.
 */
export function verifyCompare(
  result: CompareResult | object | string | Uint8Array,
  trustedVerifierKeys: string[],
): VerifyReport<CompareCheckName>;

/**
 * The inclusion proof of record `seq` under the package's checkpoint, derived from its compact
 * range (for OpenZeppelin or an EVM `MerkleProof`). Derivation only — verify the package first.
 * Throws `SEQ_OUT_OF_RANGE` (not a record of the package), `CLOSE_PACKAGE_MALFORMED`,
 * `CLOSE_PACKAGE_RANGE_MISMATCH` (the range does not fold to the checkpoint's root).
 */
export function closePackageInclusionProof(pkg: ClosePackage | object | string | Uint8Array, seq: Uint): InclusionProofResult;

/**
 * Verifies a verification package (SPEC §15; JSON text, the object `JSON.parse` gives, or the
 * text's UTF-8 bytes as a `Uint8Array`) against trusted verifier keys, as
 * {@link verifyClosePackage} verifies a close package: the checkpoint's signature, the signed
 * manifest, identity, that the seed is the signed checkpoint's and the records exactly the
 * entries it draws, every record's item, entry, period and inclusion proof. An empty key list
 * checks against the package's own `verifierKeys` (`keysPinned: false`). A package that fails
 * is a report with `verified: false`, not a throw; `sample` is set only when verified.
 */
export function verifyVerificationPackage(
  pkg: VerificationPackage | object | string | Uint8Array,
  trustedVerifierKeys: string[],
): VerifyReport<VerificationPackageCheckName>;
