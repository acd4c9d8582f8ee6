#!/usr/bin/env node
// The API description: writes www/openapi.json (OpenAPI 3.1), which the static assets serve at
// /openapi.json. This file is its source — helpers for the envelopes and shared shapes, then
// one `op(…)` per route of worker/src/routes/mod.rs, in the same order.
//
//   node scripts/openapi.mjs          # write www/openapi.json
//   node scripts/openapi.mjs --check  # fail if www/openapi.json is not what this writes
//
// Kept honest by two tests: the Worker's unit test `routes::tests` (every route described,
// every description a route, the same path parameters) and tests/openapi/run.sh (schemathesis
// against a local Worker: no 5xx, every response as described here).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = resolve(ROOT, 'www/openapi.json');
// The workspace's version and license (worker/Cargo.toml takes both from it).
const CARGO = readFileSync(resolve(ROOT, 'Cargo.toml'), 'utf8');
const [, VERSION] = /^version = "([^"]+)"/m.exec(CARGO);
const [, LICENSE] = /^license = "([^"]+)"/m.exec(CARGO);

// ---------------------------------------------------------------------------------------------
// JSON Schema helpers. Objects are closed (`additionalProperties: false`) and every listed
// member is required unless named in `optional`: the Worker writes each member, `null` included.

const ref = (name) => ({ $ref: `#/components/schemas/${name}` });
const str = (extra = {}) => ({ type: 'string', ...extra });
const int = (extra = {}) => ({ type: 'integer', minimum: 0, ...extra });
const bool = { type: 'boolean' };
const num = { type: 'number' };
const arr = (items, extra = {}) => ({ type: 'array', items, ...extra });
const konst = (value) => ({ const: value });
const oneOf = (...schemas) => ({ oneOf: schemas });
/** `schema` or `null`. */
const nul = (schema) => {
  if (typeof schema.type === 'string' && !schema.const && !schema.enum) return { ...schema, type: [schema.type, 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
};
/** A closed object; every member required but `optional`. */
const obj = (properties, optional = [], extra = {}) => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  additionalProperties: false,
  ...extra,
});
/** Body text as `body.rs` reads it: no control characters (`char::is_control`), at most `max`. */
const NO_CONTROLS = '[^\\u0000-\\u001f\\u007f-\\u009f]*';
const plain = (max, extra = {}) => str({ maxLength: max, pattern: `^${NO_CONTROLS}$`, ...extra });
/** Required body text: as `plain`, and not blank. */
const text = (max, extra = {}) => str({ minLength: 1, maxLength: max, pattern: `^${NO_CONTROLS}\\S${NO_CONTROLS}$`, ...extra });
/** An object whose members are the client's own (hashed content, metadata). */
const anyObject = { type: 'object' };

// ---------------------------------------------------------------------------------------------
// Shared shapes.

const hashPattern = '^0x[0-9a-f]{64}$';
const schemas = {
  Hash: str({ pattern: hashPattern, description: '`0x` and 64 lowercase hex digits (docs/SPEC.md §1).' }),
  Time: str({
    pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$',
    description: 'RFC 3339 UTC with milliseconds.',
  }),
  Month: str({ pattern: '^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$', description: 'A UTC calendar month, `YYYY-MM`, from 1970.' }),
  Amount: { ...num, description: 'An exact amount as a JSON number token (canonical decimal text, at most 9 fractional digits; docs/SPEC.md §2).' },
  AmountText: str({ pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]*[1-9])?$', description: 'An amount as canonical decimal text (docs/SPEC.md §2).' }),
  CustomerReference: str({ pattern: '^0x[0-9a-fA-F]{40}$', description: '`0x` and 40 hex digits, EIP-55 cased (docs/SPEC.md §4).' }),
  Environment: { enum: ['sandbox', 'production'] },
  Error: obj({
    success: konst(false),
    statusCode: int({ minimum: 400, maximum: 599 }),
    error: {
      type: 'object',
      properties: {
        code: str({ pattern: '^[A-Z][A-Z0-9_]*$' }),
        message: str(),
        field: str({ description: 'The offending field, parameter or header.' }),
        retryAfterSeconds: int(),
      },
      required: ['code', 'message'],
      description: 'May carry more members (e.g. `results` of a batch with no valid delta, `policy` and `locked` of ACCESS_CODE_REQUIRED).',
    },
  }),
  IdempotencyPending: obj({
    success: konst(false),
    statusCode: konst(202),
    code: konst('IDEMPOTENCY_PENDING'),
    retryAfterSeconds: int(),
    message: str(),
    error: obj({ code: konst('IDEMPOTENCY_PENDING'), message: str(), retryAfterSeconds: int() }),
  }),
  Customer: obj({ customerId: str(), customerReference: ref('CustomerReference') }),
  RecordedBy: obj({
    type: { enum: ['tenant', 'middleware_vendor_account'] },
    id: str(),
    displayName: str(),
  }),
  TenantName: obj({ name: str() }),
  ConsistencyProofRef: obj({ fromSize: int(), fromRoot: ref('Hash'), toSize: int(), proof: nul(arr(ref('Hash'))) }),
  Checkpoint: obj({
    checkpointId: nul(str({ pattern: '^chk_' })),
    stored: bool,
    status: konst('VERIFIED'),
    customerId: str(),
    customerReference: ref('CustomerReference'),
    vendorAccountId: nul(str()),
    period: str({ description: '`YYYY-MM`, or `start/end` (RFC 3339) for a custom range.' }),
    periodStart: ref('Time'),
    periodEnd: ref('Time'),
    closed: bool,
    proofRoot: ref('Hash'),
    merkleRoot: ref('Hash'),
    treeSize: int(),
    startSize: int(),
    recordCount: int(),
    openingBalance: nul(ref('Amount')),
    closingBalance: nul(ref('Amount')),
    note: str({ description: 'The signed checkpoint (C2SP signed note, docs/SPEC.md §8).' }),
    origin: str(),
    keyId: str(),
    previousCheckpointId: nul(str()),
    consistencyProof: ref('ConsistencyProofRef'),
    createdAt: ref('Time'),
    verifyUrl: nul(str()),
    verificationApiUrl: nul(str()),
  }),
  Totals: obj({
    opening: ref('AmountText'),
    credits: ref('AmountText'),
    debits: ref('AmountText'),
    net: ref('AmountText'),
    closing: ref('AmountText'),
    recordCount: int(),
  }),
  ClosedPeriod: oneOf(
    obj({
      period: ref('Month'),
      start: ref('Time'),
      end: ref('Time'),
      status: konst('closed'),
      checkpointId: str(),
      proofRoot: ref('Hash'),
      startSize: int(),
      treeSize: int(),
      totals: ref('Totals'),
      links: obj({ detail: str(), closePackage: str(), export: str(), verifyUrl: str() }),
    }),
    obj({ period: ref('Month'), status: konst('closing') }, [], { description: 'Its records are still being sequenced.' }),
  ),
  PeriodRecord: obj({
    seq: int(),
    recordId: str(),
    receivedAt: ref('Time'),
    delta: ref('AmountText'),
    reason: str(),
    referenceId: nul(str()),
    balanceAfter: ref('AmountText'),
    itemHash: ref('Hash'),
    entryHash: ref('Hash'),
    receivedBeforePeriod: bool,
    item: nul(anyObject),
  }, ['receivedBeforePeriod']),
  NoteRef: obj({ checkpointId: str(), note: str() }),
  PeriodList: obj({
    customer: ref('Customer'),
    recordedBy: ref('RecordedBy'),
    tenant: ref('TenantName'),
    periods: arr(ref('ClosedPeriod')),
    pagination: obj({ limit: int(), before: nul(ref('Month')), nextBefore: nul(ref('Month')) }),
  }),
  PeriodDetail: obj({
    customer: ref('Customer'),
    recordedBy: ref('RecordedBy'),
    tenant: ref('TenantName'),
    period: ref('ClosedPeriod'),
    summary: ref('Totals'),
    checkpoint: ref('Checkpoint'),
    previousCheckpoint: nul(ref('Checkpoint')),
    consistencyProof: ref('ConsistencyProofRef'),
    records: arr(ref('PeriodRecord')),
    pagination: obj({ limit: int(), offset: int(), total: int() }),
  }),
  PeriodRef: obj({ label: str(), start: ref('Time'), end: ref('Time') }),
  ClosePackage: obj({
    format: konst('vericord.close-package/v1'),
    environment: ref('Environment'),
    customer: ref('Customer'),
    recordedBy: ref('RecordedBy'),
    tenant: ref('TenantName'),
    period: ref('PeriodRef'),
    verifierKeys: arr(str()),
    checkpoint: ref('NoteRef'),
    previous: nul(ref('NoteRef')),
    consistencyProof: arr(ref('Hash')),
    range: obj({ start: int(), frontier: arr(ref('Hash')) }),
    opening: nul(obj({ seq: int(), itemHash: ref('Hash'), balanceAfter: ref('AmountText'), proof: arr(ref('Hash')) })),
    records: arr(obj({
      seq: int(), item: anyObject, itemHash: ref('Hash'), balanceAfter: ref('AmountText'), entryHash: ref('Hash'), receivedBeforePeriod: bool,
    })),
    summary: obj({
      opening: ref('AmountText'), credits: ref('AmountText'), debits: ref('AmountText'), net: ref('AmountText'), closing: ref('AmountText'), recordCount: int(),
    }),
    manifest: str({ description: 'A signed note over the package\'s other members.' }),
  }, [], { description: 'A Finance Close Package, `vericord.close-package/v1` (docs/SPEC.md §12), as a file: not wrapped in the success envelope.' }),
  Compare: obj({
    format: konst('vericord.compare/v1'),
    environment: ref('Environment'),
    customer: ref('Customer'),
    recordedBy: ref('RecordedBy'),
    tenant: ref('TenantName'),
    verifierKeys: arr(str()),
    from: ref('NoteRef'),
    to: ref('NoteRef'),
    consistencyProof: arr(ref('Hash')),
    range: obj({ start: int(), frontier: arr(ref('Hash')) }),
    records: arr(obj({ seq: int(), item: anyObject, itemHash: ref('Hash'), balanceAfter: ref('AmountText'), entryHash: ref('Hash') })),
    differences: obj({
      entries: int(),
      balance: ref('AmountText'),
      credits: ref('AmountText'),
      debits: ref('AmountText'),
      recordCount: { type: 'integer' },
      opening: ref('AmountText'),
      closing: ref('AmountText'),
    }),
  }, [], { description: '`vericord.compare/v1` (docs/SPEC.md §13).' }),
  VerificationPackage: obj({
    format: konst('vericord.verification-package/v1'),
    environment: ref('Environment'),
    customer: ref('Customer'),
    recordedBy: ref('RecordedBy'),
    tenant: ref('TenantName'),
    period: ref('PeriodRef'),
    verifierKeys: arr(str()),
    checkpoint: ref('NoteRef'),
    sample: obj({ seed: ref('Hash'), requested: int({ minimum: 1, maximum: 100 }), population: int(), start: int() }),
    records: arr(obj({
      seq: int(), item: anyObject, itemHash: ref('Hash'), balanceAfter: ref('AmountText'), entryHash: ref('Hash'), proof: arr(ref('Hash')),
    }), { maxItems: 100 }),
    manifest: str(),
  }, [], { description: '`vericord.verification-package/v1` (docs/SPEC.md §15).' }),
  LinkState: obj({
    handle: str({ pattern: '^cus_[a-z2-7]{32}$' }),
    url: str(),
    host: nul(str()),
    policy: { enum: ['OPEN', 'TWO_TIER', 'GATED'] },
    state: { enum: ['active', 'revoked'] },
    accessCode: obj({ set: bool, setAt: ref('Time'), ready: bool }),
    createdAt: ref('Time'),
    revokedAt: nul(ref('Time')),
    replacedBy: nul(str()),
    replaces: nul(str()),
    lastViewedAt: nul(ref('Time')),
    views: int(),
    stepUp: obj({ succeeded: int(), failed: int(), locked: bool, lockedUntil: nul(ref('Time')) }),
  }),
  LinkAnswer: obj({
    customer: ref('Customer'),
    recordedBy: ref('RecordedBy'),
    tenant: ref('TenantName'),
    link: nul(ref('LinkState')),
    accessCode: str({ pattern: '^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$', description: 'The access code: shown by this answer only, never stored.' }),
  }, ['accessCode']),
  Counts: obj({ records: int(), verified: int(), pending: int(), failed: int() }),
  RecordStatus: { enum: ['QUEUED', 'PROCESSING', 'VERIFIED', 'FAILED'] },
  DeltaRecord: obj({
    recordId: str({ pattern: '^rec_' }),
    anchorId: str(),
    customerId: str(),
    customerReference: ref('CustomerReference'),
    vendorAccountId: nul(str()),
    delta: nul(ref('Amount')),
    reason: nul(str()),
    referenceId: nul(str()),
    metadata: nul(anyObject),
    adjusts: nul(anyObject),
    status: ref('RecordStatus'),
    receiptId: ref('Hash'),
    itemsRoot: ref('Hash'),
    itemHash: ref('Hash'),
    itemIndex: int(),
    receivedAt: ref('Time'),
    sequenceNumber: nul(str({ pattern: '^(0|[1-9][0-9]*)$' })),
    entryHash: nul(ref('Hash')),
    balanceAfter: nul(ref('Amount')),
    verifiedAt: nul(ref('Time')),
    sequencedAt: nul(ref('Time')),
    failedReason: nul(str()),
    txHash: konst(null),
    item: nul(anyObject),
  }),
  ReceiptEntry: obj({
    recordId: str(),
    anchorId: str(),
    sequenceNumber: nul(int()),
    status: ref('RecordStatus'),
    delta: nul(ref('Amount')),
    reason: nul(str()),
    referenceId: nul(str()),
    receivedAt: ref('Time'),
    sequencedAt: nul(ref('Time')),
    item: nul(anyObject),
    itemHash: ref('Hash'),
    entryHash: nul(ref('Hash')),
    balanceAfter: nul(ref('Amount')),
    proof: arr(ref('Hash')),
    receivedBeforePeriod: bool,
    itemIndex: int(),
  }, ['receivedBeforePeriod', 'itemIndex']),
  CustomerSummaryRow: obj({
    customerId: str(),
    customerReference: ref('CustomerReference'),
    customerPartition: str({ pattern: '^[0-9]+$' }),
    vendorAccountId: nul(str()),
    totalDeltas: int(),
    verifiedDeltas: int(),
    failedDeltas: int(),
    computedBalance: ref('Amount'),
    firstActivityAt: ref('Time'),
    lastActivityAt: nul(ref('Time')),
    displayName: nul(str()),
    source: { enum: ['integration', 'manual'] },
    profile: nul(anyObject),
  }),
  Pagination: obj({ page: int({ minimum: 1 }), limit: int({ minimum: 1 }), total: int(), totalPages: int() }),
  Delivery: obj({
    eventId: str(),
    event: str(),
    status: { enum: ['pending', 'delivered', 'failed'] },
    deliveryStatus: { enum: ['pending', 'delivered', 'failed'] },
    attempts: int(),
    lastStatusCode: nul(int()),
    lastError: nul(str()),
    nextAttemptAt: nul(ref('Time')),
    deliveredAt: nul(ref('Time')),
    endpointId: str(),
    url: str(),
    createdAt: ref('Time'),
    attemptHistory: arr(anyObject),
  }),
  KeyCreated: obj({
    publicKey: str({ pattern: '^pk_(test|live)_[0-9a-f]{16}$' }),
    secretKey: str(),
    fullKey: str(),
    environment: ref('Environment'),
    name: str(),
    rateLimitPerMinute: int(),
    enabled: konst(true),
    createdAt: ref('Time'),
    message: str(),
  }),
  Key: obj({
    publicKey: str(),
    name: str(),
    environment: ref('Environment'),
    enabled: bool,
    revoked: bool,
    createdAt: ref('Time'),
    rotatedAt: nul(ref('Time')),
    revokedAt: nul(ref('Time')),
    rateLimitPerMinute: int(),
  }),
  WebhookCreated: obj({
    id: str({ pattern: '^webhook_' }),
    url: str(),
    environment: ref('Environment'),
    description: nul(str()),
    secret: str({ pattern: '^whsec_' }),
    enabled: konst(true),
    createdAt: ref('Time'),
    message: str(),
  }),
  Webhook: obj({
    id: str(),
    url: str(),
    description: nul(str()),
    environment: ref('Environment'),
    enabled: bool,
    successCount: int(),
    failureCount: int(),
    lastTriggered: nul(ref('Time')),
    lastStatus: nul(str()),
    createdAt: ref('Time'),
    previousSecretValidUntil: nul(ref('Time')),
  }),
  WebhookRotated: obj({ id: str(), secret: str({ pattern: '^whsec_' }), previousSecretValidUntil: ref('Time') }),
  Tenant: obj({
    id: str({ pattern: '^ten_' }),
    name: str(),
    kind: { enum: ['direct', 'middleware'] },
    monthlyAllowance: nul(int()),
    embedOrigins: arr(str()),
    createdAt: ref('Time'),
    vendorAccounts: arr(obj({ id: str(), displayName: str() })),
  }, ['vendorAccounts']),
  ScopeLabel: obj({ label: str(), startDate: ref('Time'), endDate: ref('Time') }),
};

/** Registers `schema` as components/schemas/`name` and returns its reference. */
const named = (name, schema) => {
  if (schemas[name]) throw new Error(`schema ${name} twice`);
  schemas[name] = schema;
  return ref(name);
};

/** `{success: true, data}`. */
const envelope = (data) => obj({ success: konst(true), data });
const json = (schema) => ({ 'application/json': { schema } });

// ---------------------------------------------------------------------------------------------
// Errors: the envelope with the status in `statusCode`; one schema per status.

const STATUS_TEXT = {
  400: 'Bad request', 401: 'Unauthorized', 402: 'Payment required', 403: 'Forbidden', 404: 'Not found', 409: 'Conflict',
  410: 'Gone', 413: 'Body too large', 415: 'Unsupported media type', 429: 'Too many requests', 503: 'Service unavailable',
};
for (const status of Object.keys(STATUS_TEXT)) {
  schemas[`Error${status}`] = {
    allOf: [ref('Error')],
    properties: { statusCode: konst(Number(status)) },
    description: `The error envelope of a ${status}.`,
  };
}
const retryAfter = { 'Retry-After': { description: 'Seconds to wait.', schema: str({ pattern: '^[0-9]+$' }) } };
const errorResponse = (status, codes) => ({
  description: `${STATUS_TEXT[status]}: ${codes}`,
  ...(status === 429 && { headers: retryAfter }),
  content: json(ref(`Error${status}`)),
});

/** Merges `{status: codes}` maps, joining the codes of one status. */
function errors(...maps) {
  const out = {};
  for (const m of maps) {
    for (const [status, codes] of Object.entries(m)) (out[status] ??= []).push(...codes.split(', '));
  }
  return Object.fromEntries(Object.entries(out).map(([status, codes]) => [status, [...new Set(codes)].join(', ')]));
}

const E = {
  apiKey: { 401: 'INVALID_API_KEY, API_KEY_REVOKED, API_KEY_DISABLED', 429: 'RATE_LIMITED' },
  dashboard: {
    400: 'INVALID_ENVIRONMENT',
    401: 'TOKEN_MISSING, TOKEN_MALFORMED, TOKEN_ALGORITHM_NOT_ALLOWED, TOKEN_SIGNATURE_INVALID, TOKEN_EXPIRED, TOKEN_NOT_YET_VALID, TOKEN_CLAIMS_INVALID',
    403: 'TOKEN_TENANT_UNKNOWN',
    429: 'RATE_LIMITED',
    503: 'DASHBOARD_AUTH_DISABLED, CONFIG_INVALID',
  },
  admin: { 401: 'INVALID_ADMIN_TOKEN', 403: 'ADMIN_DISABLED' },
  write: { 403: 'ROLE_FORBIDDEN (a dashboard viewer)' },
  body: { 400: 'INVALID_JSON, VALIDATION_ERROR, DUPLICATE_FIELD, UNKNOWN_FIELD', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' },
  query: { 400: 'VALIDATION_ERROR' },
  keys: { 503: 'SIGNING_KEY_MISSING, CONFIG_INVALID' },
  shared: { 401: 'ACCESS_CODE_REQUIRED', 404: 'LINK_NOT_FOUND', 410: 'LINK_REVOKED', 503: 'SIGNING_KEY_MISSING, CONFIG_INVALID, ACCESS_KEY_MISSING, ACCESS_KEY_INVALID' },
  customer: { 400: 'VENDOR_ACCOUNT_REQUIRED, VENDOR_ACCOUNT_NOT_FOUND', 404: 'CUSTOMER_NOT_FOUND' },
  middleware: { 403: 'MIDDLEWARE_ONLY' },
  scope: { 400: 'VALIDATION_ERROR, INVALID_SCOPE_COMBINATION, SCOPE_TOO_WIDE' },
  closed: { 400: 'VALIDATION_ERROR, PERIOD_NOT_CLOSED, NOT_A_CLOSED_PERIOD, INVALID_SCOPE_COMBINATION', 404: 'CHECKPOINT_NOT_FOUND', 409: 'CHECKPOINT_PENDING' },
  link: { 404: 'LINK_NOT_FOUND', 409: 'LINK_EXISTS, LINK_CHANGED', 503: 'ACCESS_KEY_MISSING, ACCESS_KEY_INVALID' },
  idempotency: { 400: 'VALIDATION_ERROR (Idempotency-Key)', 409: 'IDEMPOTENCY_KEY_REUSED' },
  route: { 404: 'NOT_FOUND (no such route)' },
};

// ---------------------------------------------------------------------------------------------
// Parameters.

const parameters = {
  CustomerId: {
    name: 'customerId', in: 'path', required: true,
    description: 'The tenant\'s own customer id (letters, digits, `_ - . :`; percent-encode it in the path).',
    schema: str({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' }),
  },
  Handle: {
    name: 'handle', in: 'path', required: true,
    description: 'The Shared Record link\'s handle, `cus_` and 32 base32 characters (docs/SPEC.md §14): the capability.',
    schema: str({ minLength: 1 }),
  },
  CheckpointIdPath: { name: 'checkpointId', in: 'path', required: true, description: 'A checkpoint id `chk_…` that closes a period.', schema: str({ minLength: 1 }) },
  VendorAccountId: {
    name: 'vendorAccountId', in: 'query', required: false,
    description: 'The vendor account (`cmw_…`) of a middleware tenant\'s customer; needed when the customer id exists under several.',
    schema: str({ maxLength: 128 }),
  },
  Period: { name: 'period', in: 'query', required: false, description: 'A UTC month, `YYYY-MM`.', schema: ref('Month') },
  TimePreset: { name: 'timePreset', in: 'query', required: false, schema: { enum: ['current_month', 'custom'] } },
  StartDate: { name: 'startDate', in: 'query', required: false, description: 'ISO-8601 date (`YYYY-MM-DD`, UTC midnight) or RFC 3339 date-time.', schema: str() },
  EndDate: { name: 'endDate', in: 'query', required: false, description: 'ISO-8601 date or RFC 3339 date-time, exclusive.', schema: str() },
  IdempotencyKey: {
    name: 'Idempotency-Key', in: 'header', required: false,
    description: 'Same key and body: the original response again; still in flight: 202 IDEMPOTENCY_PENDING; another body: 409. Kept 24 h.',
    schema: str({ minLength: 1, maxLength: 255 }),
  },
  Environment: {
    name: 'X-Environment', in: 'header', required: false,
    description: 'The environment the dashboard request acts in (default production).',
    schema: ref('Environment'),
  },
  Offset: { name: 'offset', in: 'query', required: false, schema: int({ maximum: 4294967295, default: 0 }) },
};
const P = (name) => ({ $ref: `#/components/parameters/${name}` });
const query = (name, schema, description) => ({ name, in: 'query', required: false, schema, ...(description && { description }) });
const path = (name, description, schema = str({ minLength: 1 })) => ({ name, in: 'path', required: true, schema, ...(description && { description }) });
const limit = (dflt, max, name = 'limit') => query(name, int({ minimum: 1, maximum: max, default: dflt }));
const scopeParams = [P('Period'), P('TimePreset'), P('StartDate'), P('EndDate')];

// ---------------------------------------------------------------------------------------------
// Operations.

const paths = {};
const operationIds = new Set();

const SECURITY = {
  public: [],
  apiKey: [{ ApiKey: [] }],
  middleware: [{ MiddlewareApiKey: [] }],
  dashboard: [{ DashboardToken: [] }],
  admin: [{ AdminToken: [] }],
  shared: [{}, { AccessSession: [] }, { AccessCookie: [] }],
};

/**
 * One route. `ok`: `{status, schema}` (enveloped JSON), `{status, content}` (as given) or a list
 * of those; `errors`: `{status: codes}`; `body`: the JSON request body's schema (`bodyRequired`,
 * `example`).
 */
function op(method, route, spec) {
  const { id, tag, summary, description, auth, params = [], body, bodyRequired = true, example, ok, errors: errs = {}, pending } = spec;
  if (operationIds.has(id)) throw new Error(`duplicate operationId ${id}`);
  operationIds.add(id);
  const responses = {};
  for (const o of [ok].flat()) {
    responses[o.status] = {
      description: o.description ?? 'OK',
      ...(o.headers && { headers: o.headers }),
      content: o.content ?? json(envelope(o.schema)),
    };
  }
  if (pending) {
    const inFlight = 'A request with this Idempotency-Key is still in flight: retry after `Retry-After` seconds.';
    const accepted = responses[202];
    responses[202] = accepted
      ? {
        description: `${accepted.description}; or ${inFlight[0].toLowerCase()}${inFlight.slice(1)}`,
        content: json({ oneOf: [accepted.content['application/json'].schema, ref('IdempotencyPending')] }),
      }
      : { description: inFlight, headers: retryAfter, content: json(ref('IdempotencyPending')) };
  }
  const allErrors = errors(errs, /\{[A-Za-z]+\}/.test(route) ? E.route : {});
  for (const [status, codes] of Object.entries(allErrors).sort()) responses[status] = errorResponse(Number(status), codes);
  const operation = {
    operationId: id,
    tags: [tag],
    summary,
    ...(description && { description }),
    security: SECURITY[auth],
    ...(params.length && { parameters: params }),
    ...(body && { requestBody: { required: bodyRequired, content: { 'application/json': { schema: body, ...(example && { example }) } } } }),
    responses,
  };
  (paths[route] ??= {})[method] = operation;
}

// Tags group the routes as worker/src/routes/mod.rs does.
const tags = [
  { name: 'Health', description: 'Liveness and the schema version.' },
  { name: 'Verification', description: 'Public, keyless: a root or a key is the capability.' },
  { name: 'Pages', description: 'The buyer\'s pages (HTML from www/), verifying in the browser.' },
  { name: 'Shared Record', description: 'A customer\'s record behind its link (docs/ACCESS.md): the handle is the capability; the access code opens the details of TWO_TIER and GATED links.' },
  { name: 'Balance', description: 'The Balance API (`X-Api-Key`).' },
  { name: 'Writes', description: 'Write operations (`X-Api-Key`).' },
  { name: 'Middleware', description: 'Billing middleware (`X-Api-Key` of a middleware tenant; docs/MIDDLEWARE.md). Direct tenants get 403 MIDDLEWARE_ONLY.' },
  { name: 'Dashboard', description: 'A vendor\'s own UI (`Authorization: Bearer <dashboard token>` and `X-Environment`; docs/DASHBOARD.md).' },
  { name: 'Admin', description: 'Operator routes (`Authorization: Bearer <ADMIN_TOKEN>`).' },
];

const html = { status: 200, description: 'The page (static HTML from www/; it fetches the JSON routes itself).', content: { 'text/html': { schema: str() } } };
const attachmentHeaders = {
  'Content-Disposition': { description: '`attachment; filename="…"`.', schema: str({ pattern: '^attachment; filename=' }) },
};

// -- Health ----------------------------------------------------------------------------------

op('get', '/health', {
  id: 'health', tag: 'Health', auth: 'public',
  summary: 'Liveness, the Worker version and the D1 schema version',
  description: 'A malformed key configuration fails here (503 CONFIG_INVALID), at start-up, not on every verification.',
  ok: { status: 200, schema: obj({ version: str(), schemaVersion: int() }) },
  errors: { 503: 'CONFIG_INVALID' },
});

// -- Public verification ---------------------------------------------------------------------

op('get', '/.well-known/vericord/keys', {
  id: 'verifierKeys', tag: 'Verification', auth: 'public',
  summary: 'The checkpoint signing keys buyers pin (current and retired)',
  ok: {
    status: 200,
    schema: obj({
      name: str(),
      format: konst('c2sp.org/signed-note verifier keys'),
      keys: arr(obj({
        name: str(), keyId: str({ pattern: '^[0-9a-f]{8}$' }), algorithm: konst('ed25519'), verifierKey: str(), encodedKey: str(),
        status: { enum: ['current', 'retired'] },
      }), { minItems: 1 }),
    }),
  },
  errors: E.keys,
});

const verifyCheckpoint = obj({
  verified: bool,
  proofRoot: ref('Hash'),
  kind: konst('checkpoint'),
  checkpointId: nul(str()),
  customerReference: ref('CustomerReference'),
  period: str(),
  recordedAt: ref('Time'),
  summary: obj({
    recordCount: int(),
    netChange: nul(ref('Amount')),
    startingBalance: nul(ref('Amount')),
    endingBalance: nul(ref('Amount')),
    firstRecordAt: nul(ref('Time')),
    lastRecordAt: nul(ref('Time')),
  }),
  records: arr(obj({
    amount: nul(ref('Amount')), reason: nul(str()), referenceId: nul(str()),
    status: { enum: ['queued', 'processing', 'verified', 'failed'] },
    time: ref('Time'), recordId: str(), itemHash: ref('Hash'), sequenceNumber: nul(int()),
  }), { maxItems: 100 }),
  verification: obj({
    reference: ref('Hash'), verificationReference: ref('Hash'), note: str(), treeSize: int(),
    signature: str({ description: '`valid`, or why the signature does not verify.' }), treeRootMatches: bool,
    verifierKeys: arr(str()), publicLedgerUrl: konst(null), verificationExplorerUrl: konst(null),
  }),
  unsigned: arr(str(), { description: 'The members only the server vouches for (the signed note is the evidence).' }),
  tenant: ref('TenantName'),
  recordedBy: obj({ type: { enum: ['tenant', 'middleware_vendor_account'] }, id: str(), displayName: str() }, ['id']),
}, ['tenant', 'recordedBy']);
const verifySubmission = obj({
  verified: bool,
  proofRoot: ref('Hash'),
  kind: konst('submission'),
  anchorId: str(),
  recordedAt: ref('Time'),
  summary: obj({ recordCount: int() }),
  verification: obj({ reference: ref('Hash'), itemHashes: arr(ref('Hash')) }),
  message: str(),
});
const verifyChain = obj({ verified: konst(false), proofRoot: ref('Hash'), source: { enum: ['chain', 'both'] }, message: str() });
op('get', '/api/v1/verify/{proofRoot}', {
  id: 'verifyRoot', tag: 'Verification', auth: 'public',
  summary: 'Verify a proof root: a checkpoint\'s (re-checked: signature, tree root, records) or a submission\'s',
  params: [
    path('proofRoot', 'A checkpoint root or a receipt id (`0x` and 64 hex digits, either case).', str({ pattern: '^0x[0-9a-fA-F]{64}$' })),
    query('source', { enum: ['db', 'chain', 'both'], default: 'db' }, 'This deployment anchors on no chain: `chain` and `both` answer `verified: false`.'),
  ],
  ok: { status: 200, schema: oneOf(verifyCheckpoint, verifySubmission, verifyChain) },
  errors: errors(E.query, { 404: 'PROOF_ROOT_NOT_FOUND' }, E.keys),
});

// -- Pages -----------------------------------------------------------------------------------

op('get', '/verify/{proofRoot}', {
  id: 'verifyPage', tag: 'Pages', auth: 'public',
  summary: 'The buyer\'s page for a root (a receipt\'s `verifyUrl`); it verifies the checkpoint in the browser',
  params: [path('proofRoot')],
  ok: html,
});
op('get', '/check', {
  id: 'checkPage', tag: 'Pages', auth: 'public',
  summary: 'The page that verifies a pasted receipt whole',
  ok: html,
});
op('get', '/c/{handle}', {
  id: 'sharedRecordPage', tag: 'Pages', auth: 'public',
  summary: 'The Shared Record page; its tenant\'s allow-listed origins may frame it',
  params: [P('Handle')],
  ok: html,
});

// -- Shared Record ---------------------------------------------------------------------------

const sharedSummary = obj({
  customer: ref('Customer'),
  recordedBy: ref('RecordedBy'),
  tenant: ref('TenantName'),
  format: konst('vericord.shared-record/v1'),
  handle: str(),
  link: obj({ url: str(), host: nul(str()), policy: { enum: ['OPEN', 'TWO_TIER', 'GATED'] } }),
  access: obj({ required: bool, granted: bool, locked: bool, sessionExpiresAt: nul(ref('Time')) }),
  environment: ref('Environment'),
  balance: ref('AmountText'),
  counts: ref('Counts'),
  latestCheckpoint: nul(ref('Checkpoint')),
  verifierKeys: arr(str()),
});
for (const [route, id] of [['/api/v1/c/{handle}', 'sharedRecord'], ['/api/v1/c/{handle}/summary', 'sharedRecordSummary']]) {
  op('get', route, {
    id, tag: 'Shared Record', auth: 'shared',
    summary: 'The Shared Record\'s summary: balance, counts, the latest signed checkpoint, the link\'s policy',
    description: 'Open under OPEN and TWO_TIER links; GATED needs the access session. The newest closed month is closed on first use.',
    params: [P('Handle')],
    ok: { status: 200, schema: sharedSummary },
    errors: E.shared,
  });
}
op('get', '/api/v1/c/{handle}/consistency', {
  id: 'sharedConsistency', tag: 'Shared Record', auth: 'shared',
  summary: 'A consistency proof between two tree sizes, for the page\'s witness (hashes only)',
  params: [P('Handle'), query('from', int(), 'Default 0.'), query('to', int(), 'Default: the latest checkpoint\'s size; at most the tree size.')],
  ok: { status: 200, schema: obj({ fromSize: int(), toSize: int(), fromRoot: ref('Hash'), toRoot: ref('Hash'), proof: arr(ref('Hash')) }) },
  errors: errors(E.query, E.shared),
});
op('post', '/api/v1/c/{handle}/access/verify', {
  id: 'sharedAccessVerify', tag: 'Shared Record', auth: 'public',
  summary: 'Step up with the link\'s access code: a 30-minute session (cookie `vericord_access` and a token for `X-Access-Session`)',
  params: [P('Handle')],
  body: obj({ factor: konst('ACCESS_HINT'), value: text(64, { description: 'The 6-character access code (case, spaces and `-` ignored).' }) }),
  ok: {
    status: 200,
    headers: { 'Set-Cookie': { description: 'The session cookie.', schema: str() } },
    schema: obj({ verified: konst(true), expiresAt: ref('Time'), session: obj({ token: str({ pattern: '^v1\\.' }), expiresAt: ref('Time') }) }),
  },
  errors: errors(E.body, { 400: 'UNSUPPORTED_FACTOR', 401: 'ACCESS_CODE_INVALID', 404: 'LINK_NOT_FOUND', 410: 'LINK_REVOKED', 429: 'ACCESS_LOCKED', 503: 'ACCESS_KEY_MISSING, ACCESS_KEY_INVALID' }),
});
op('get', '/api/v1/c/{handle}/history', {
  id: 'sharedHistory', tag: 'Shared Record', auth: 'shared',
  summary: 'The verified entries in sequence order, paged by `after`',
  params: [P('Handle'), query('after', int(), 'The last `seq` already read (exclusive).'), limit(100, 1000)],
  ok: {
    status: 200,
    schema: obj({
      customer: ref('Customer'),
      recordedBy: ref('RecordedBy'),
      tenant: ref('TenantName'),
      format: konst('vericord.shared-record-history/v1'),
      treeSize: int(),
      entries: arr(obj({
        seq: int(), recordId: str(), receivedAt: ref('Time'), delta: ref('AmountText'), reason: str(), referenceId: nul(str()),
        balanceAfter: ref('AmountText'), itemHash: ref('Hash'), entryHash: ref('Hash'), item: nul(anyObject),
      })),
      pagination: obj({ after: nul(str()), limit: int(), nextAfter: nul(int()) }),
    }),
  },
  errors: errors(E.query, E.shared),
});
op('get', '/api/v1/c/{handle}/periods', {
  id: 'sharedPeriods', tag: 'Shared Record', auth: 'shared',
  summary: 'Closed periods, newest first (each closed on first use)',
  params: [P('Handle'), limit(12, 24), query('before', ref('Month'), 'Only periods before this month.')],
  ok: { status: 200, schema: ref('PeriodList') },
  errors: errors(E.query, E.shared, { 409: 'CHECKPOINT_PENDING' }),
});
op('get', '/api/v1/c/{handle}/periods/{checkpointId}', {
  id: 'sharedPeriod', tag: 'Shared Record', auth: 'shared',
  summary: 'One closed period: totals, its checkpoint and the previous one, the consistency proof, its records paged',
  params: [P('Handle'), P('CheckpointIdPath'), limit(100, 1000), P('Offset')],
  ok: { status: 200, schema: ref('PeriodDetail') },
  errors: errors(E.query, E.shared, E.closed),
});
const closePackageParams = [P('Period'), query('checkpointId', str(), 'The closing checkpoint of the period (instead of `period`).')];
const closePackageOk = {
  status: 200,
  description: 'The close package as a file (`Content-Disposition: attachment`), streamed.',
  headers: attachmentHeaders,
  content: json(ref('ClosePackage')),
};
op('get', '/api/v1/c/{handle}/close-package', {
  id: 'sharedClosePackage', tag: 'Shared Record', auth: 'shared',
  summary: 'The Finance Close Package of a closed period (`period` or `checkpointId`)',
  params: [P('Handle'), ...closePackageParams],
  ok: closePackageOk,
  errors: errors(E.shared, E.closed),
});
const compareBody = obj({ from: text(128), to: text(128) }, [], {
  description: '`from` and `to`: each a closed month (`YYYY-MM`) or the id of one of the customer\'s checkpoints.',
});
const compareErrors = { 400: 'PERIOD_NOT_CLOSED, CHECKPOINT_NOT_FOUND, RANGE_TOO_LARGE', 409: 'CHECKPOINT_PENDING' };
op('post', '/api/v1/c/{handle}/compare', {
  id: 'sharedCompare', tag: 'Shared Record', auth: 'shared',
  summary: 'Compare two checkpoints: the entries between them and the proof that they are exactly those',
  params: [P('Handle')],
  body: compareBody,
  example: { from: '2026-10', to: '2026-11' },
  ok: { status: 200, schema: ref('Compare') },
  errors: errors(E.body, E.shared, compareErrors),
});
const exportParams = [query('format', { enum: ['json', 'csv', 'pdf', 'bundle'], default: 'json' }), ...closePackageParams];
const exportOk = {
  status: 200,
  description: 'The export as a file: `json` the close package, `csv` the statement\'s records (FOCUS columns), `pdf` the statement, `bundle` a zip of all of them with an offline verifier page.',
  headers: attachmentHeaders,
  content: {
    'application/json': { schema: ref('ClosePackage') },
    'text/csv': { schema: str() },
    'application/pdf': { schema: str({ format: 'binary' }) },
    'application/zip': { schema: str({ format: 'binary' }) },
  },
};
op('get', '/api/v1/c/{handle}/export', {
  id: 'sharedExport', tag: 'Shared Record', auth: 'shared',
  summary: 'An export of a closed period: close package, CSV, PDF or bundle',
  params: [P('Handle'), ...exportParams],
  ok: exportOk,
  errors: errors(E.shared, E.closed),
});
op('get', '/api/v1/c/{handle}/disclosure', {
  id: 'sharedDisclosure', tag: 'Shared Record', auth: 'shared',
  summary: 'Sealed disclosures: balance logs have none (the SDK\'s records links read one and treat this 404 as none)',
  params: [P('Handle')],
  ok: [],
  errors: errors(E.shared, { 404: 'NO_DISCLOSURE' }),
});
op('get', '/api/v1/verification-packages/{packageId}', {
  id: 'verificationPackage', tag: 'Verification', auth: 'public',
  summary: 'A verification package shared by its link (the id is the capability), rebuilt from its signed checkpoint',
  params: [path('packageId', '`vpk_` and 24 characters.')],
  ok: { status: 200, schema: ref('VerificationPackage') },
  errors: errors({ 404: 'PACKAGE_NOT_FOUND' }, E.keys),
});

// -- Balance ---------------------------------------------------------------------------------

const deltaProperties = {
  customerId: text(128, { pattern: '^[A-Za-z0-9_.:-]+$' }),
  delta: {
    ...num, minimum: -1000000000, maximum: 1000000000, not: konst(0),
    description: 'A non-zero exact amount within ±1 000 000 000, at most 9 fractional digits (more is AMOUNT_TOO_PRECISE); a JSON number, never a string.',
  },
  reason: text(500),
  referenceId: text(256),
  metadata: { ...anyObject, description: 'At most 16 KiB as canonical JSON.' },
  adjusts: oneOf(obj({ referenceId: text(256) }), obj({ recordId: text(256) })),
  vendorAccountId: plain(128, { description: 'Required of middleware tenants, refused from direct ones.' }),
};
const deltaBody = obj(deltaProperties, ['referenceId', 'metadata', 'adjusts', 'vendorAccountId']);
const emitted = obj({
  recordId: str({ pattern: '^rec_' }),
  anchorId: str({ pattern: '^anc_' }),
  customerId: str(),
  customerReference: ref('CustomerReference'),
  vendorAccountId: str(),
  delta: ref('Amount'),
  reason: str(),
  referenceId: str(),
  status: konst('QUEUED'),
  receiptId: ref('Hash'),
  itemsRoot: ref('Hash'),
  itemHash: ref('Hash'),
  itemHashes: arr(ref('Hash'), { minItems: 1, maxItems: 1 }),
  estimatedVerifiedDeltas: konst(1),
  receivedAt: ref('Time'),
  message: str(),
}, ['vendorAccountId', 'referenceId']);
const deltaErrors = {
  400: 'AMOUNT_INVALID, AMOUNT_TOO_PRECISE, AMOUNT_OUT_OF_RANGE, AMOUNT_ZERO, JSON_INVALID, VENDOR_ACCOUNT_REQUIRED, VENDOR_ACCOUNT_FORBIDDEN, VENDOR_ACCOUNT_NOT_FOUND, ADJUSTS_NOT_FOUND',
  402: 'PLAN_LIMIT_EXCEEDED',
};
op('post', '/api/v1/balance/delta', {
  id: 'emitDelta', tag: 'Balance', auth: 'apiKey',
  summary: 'Record one delta (queued, then sequenced into the customer\'s log)',
  params: [P('IdempotencyKey')],
  body: deltaBody,
  example: { customerId: 'cust_1', delta: -12.5, reason: 'usage', referenceId: 'inv-2026-11-0042', metadata: { model: 'gpt-x', tokens: 1200 } },
  ok: { status: 201, schema: emitted },
  pending: true,
  errors: errors(E.body, E.idempotency, deltaErrors, E.apiKey),
});
const batchResult = obj({
  index: int(),
  customerId: str(),
  delta: ref('Amount'),
  recordId: str(),
  anchorId: str(),
  itemHash: ref('Hash'),
  receiptId: ref('Hash'),
  status: { enum: ['QUEUED', 'FAILED'] },
  error: str({ description: 'The error code of a FAILED item.' }),
  message: str(),
  field: str(),
  idempotent: konst(true),
}, ['customerId', 'delta', 'recordId', 'anchorId', 'itemHash', 'receiptId', 'error', 'message', 'field', 'idempotent']);
op('post', '/api/v1/balance/delta/batch', {
  id: 'emitBatch', tag: 'Balance', auth: 'apiKey',
  summary: 'Record up to 100 deltas in one submission; invalid items are reported in-band',
  params: [P('IdempotencyKey')],
  body: obj({
    deltas: arr({ type: 'object', properties: deltaProperties, required: ['customerId', 'delta', 'reason'] }, { minItems: 1, maxItems: 100 }),
    vendorAccountId: deltaProperties.vendorAccountId,
  }, ['vendorAccountId']),
  example: { deltas: [{ customerId: 'cust_1', delta: -2, reason: 'usage' }, { customerId: 'cust_2', delta: 10, reason: 'top-up', referenceId: 'pay-881' }] },
  ok: {
    status: 201,
    schema: obj({
      anchorId: str({ pattern: '^anc_' }),
      receiptId: ref('Hash'),
      itemsRoot: ref('Hash'),
      itemHashes: arr(ref('Hash')),
      receivedAt: ref('Time'),
      totalQueued: int(),
      totalFailed: int(),
      results: arr(batchResult),
      _efficiency: obj({ uniqueCustomers: int(), totalDeltas: int(), estimatedSlots: int(), message: str() }),
    }),
  },
  pending: true,
  errors: errors(E.body, E.idempotency, { 400: 'VENDOR_ACCOUNT_FORBIDDEN, VENDOR_ACCOUNT_MIXED, VENDOR_ACCOUNT_NOT_FOUND', 402: 'PLAN_LIMIT_EXCEEDED' }, E.apiKey),
});
op('get', '/api/v1/balance/delta/{id}', {
  id: 'deltaStatus', tag: 'Balance', auth: 'apiKey',
  summary: 'A delta\'s status (`rec_…`), or a submission\'s with its deltas (`anc_…`)',
  params: [path('id')],
  ok: {
    status: 200,
    schema: oneOf(
      ref('DeltaRecord'),
      obj({
        anchorId: str(), status: ref('RecordStatus'), receiptId: ref('Hash'), itemsRoot: ref('Hash'), deltaCount: int(),
        receivedAt: ref('Time'), txHash: konst(null), deltas: arr(ref('DeltaRecord')),
      }),
    ),
  },
  errors: errors({ 404: 'DELTA_NOT_FOUND' }, E.apiKey),
});
const customerListParams = [
  query('page', int({ minimum: 1, maximum: 1000000, default: 1 })),
  limit(25, 100),
  query('search', plain(200), 'Part of a customer id or display name.'),
  query('vendorAccountId', plain(64)),
  query('source', { enum: ['manual', 'integration'] }),
  query('health', { enum: ['healthy', 'pending', 'failed'] }),
  query('sortBy', { enum: ['customerId', 'createdAt', 'lastActivityAt', 'totalDeltas', 'balance'], default: 'customerId' }),
  query('sortOrder', { enum: ['asc', 'desc'], default: 'asc' }),
];
const customerList = named('CustomerList', obj({ customers: arr(ref('CustomerSummaryRow')), total: int(), page: int(), limit: int(), pagination: ref('Pagination') }));
const customersSummary = named('CustomersSummary', obj({
  totalCustomers: int(), totalDeltas: int(), verifiedDeltas: int(), failedDeltas: int(), pendingDeltas: int(),
  totalBalance: ref('Amount'), environment: ref('Environment'),
}));
const customerDetailParams = [
  P('CustomerId'), P('VendorAccountId'),
  query('deltaPage', int({ minimum: 1, maximum: 1000000, default: 1 })),
  limit(20, 100, 'deltaLimit'),
  query('period', ref('Month'), 'Pins the activity and a `period` view to a month; not with the filters.'),
  query('status', { enum: ['verified', 'failed', 'pending', 'queued', 'processing'] }),
  query('reason', plain(200), 'Exact.'),
  P('StartDate'), P('EndDate'),
  query('search', plain(200), 'A record id, or part of a referenceId or reason.'),
  query('sortBy', { enum: ['time', 'amount', 'status', 'reason'], default: 'time' }),
  query('sortOrder', { enum: ['asc', 'desc'], default: 'desc' }),
];
const customerDetail = named('CustomerDetail', obj({
  ...schemas.CustomerSummaryRow.properties,
  period: obj({
    period: ref('Month'), recordsAccepted: int(), recordsFailed: int(), amountRecorded: ref('Amount'), recordsVerified: int(), amountVerified: ref('Amount'),
  }),
  latestCheckpoint: nul(obj({
    checkpointId: str(), period: str(), proofRoot: ref('Hash'), treeSize: int(), closingBalance: nul(ref('Amount')), createdAt: ref('Time'),
  })),
  recentActivity: obj({
    items: arr(obj({
      recordId: str(), anchorId: str(), delta: nul(ref('Amount')), reason: nul(str()), referenceId: nul(str()),
      status: { enum: ['queued', 'processing', 'verified', 'failed'] }, time: ref('Time'),
      sequenceNumber: nul(str({ pattern: '^(0|[1-9][0-9]*)$' })), itemHash: ref('Hash'), verificationReference: nul(ref('Hash')),
    })),
    pagination: obj({ page: int(), limit: int(), total: nul(int()), totalPages: nul(int()), hasMore: bool }),
  }),
}, ['period']));
const customerDetailErrors = errors(E.query, E.customer);
op('get', '/api/v1/balance/customers', {
  id: 'listCustomers', tag: 'Balance', auth: 'apiKey',
  summary: 'The customers of the key\'s environment, paged',
  params: customerListParams,
  ok: { status: 200, schema: customerList },
  errors: errors(E.query, E.apiKey),
});
op('get', '/api/v1/balance/customers/summary', {
  id: 'customersSummary', tag: 'Balance', auth: 'apiKey',
  summary: 'Counts and the total balance of every customer',
  ok: { status: 200, schema: customersSummary },
  errors: E.apiKey,
});
op('get', '/api/v1/balance/customers/{customerId}', {
  id: 'customerDetail', tag: 'Balance', auth: 'apiKey',
  summary: 'A customer and its activity (paged, or filtered and sorted)',
  params: customerDetailParams,
  ok: { status: 200, schema: customerDetail },
  errors: errors(customerDetailErrors, E.apiKey),
});
op('get', '/api/v1/balance/usage', {
  id: 'usage', tag: 'Balance', auth: 'apiKey',
  summary: 'Records used this month against the monthly allowance',
  ok: {
    status: 200,
    schema: obj({ period: ref('Month'), environment: ref('Environment'), used: int(), allowance: nul(int()), remaining: nul(int()), allowed: bool }),
  },
  errors: E.apiKey,
});
op('get', '/api/v1/balance/limits', {
  id: 'limits', tag: 'Balance', auth: 'apiKey',
  summary: 'The request limits this deployment enforces',
  ok: {
    status: 200,
    schema: obj({
      maxBatchSize: int(), maxWriteItems: int(), maxCustomerIdLength: int(), maxReasonLength: int(), maxReferenceIdLength: int(),
      maxMetadataBytes: int(), maxBodyBytes: int(), rateLimitPerMinute: int(), monthlyAllowance: nul(int()), maxScopeMonths: int(),
      maxLastNDays: int(), maxRetentionDays: konst(null),
    }),
  },
  errors: E.apiKey,
});
op('get', '/api/v1/balance/webhooks', {
  id: 'listDeliveries', tag: 'Balance', auth: 'apiKey',
  summary: 'Webhook deliveries, newest first',
  params: [query('status', { enum: ['pending', 'delivered', 'failed'] }, 'Any case.'), limit(25, 100), query('offset', int({ maximum: 1000000000, default: 0 }))],
  ok: { status: 200, schema: obj({ deliveries: arr(ref('Delivery')), total: int(), limit: int(), offset: int() }) },
  errors: errors(E.query, E.apiKey),
});
op('post', '/api/v1/balance/webhooks/{eventId}/retry', {
  id: 'retryWebhook', tag: 'Balance', auth: 'apiKey',
  summary: 'Make an event\'s deliveries due now and attempt them before answering',
  params: [path('eventId', 'An event id, `evt_…`.')],
  body: obj({}, [], { description: '`{}` (or no body).' }),
  bodyRequired: false,
  ok: { status: 200, schema: obj({ eventId: str(), event: nul(str()), retried: int({ minimum: 1 }), deliveries: arr(ref('Delivery')) }) },
  errors: errors(E.body, { 404: 'WEBHOOK_EVENT_NOT_FOUND' }, E.apiKey),
});
const checkpointBody = obj({
  customerId: plain(128, { pattern: '^[A-Za-z0-9_.:-]+$', description: 'Omitted: every active customer (up to 25 a call; call again while `complete` is false).' }),
  period: schemas.Month,
  timePreset: { enum: ['current_month', 'custom'] },
  startDate: str(),
  endDate: str(),
  mode: konst('all'),
  vendorAccountId: plain(128),
}, ['customerId', 'period', 'timePreset', 'startDate', 'endDate', 'mode', 'vendorAccountId']);
const checkpointCreated = obj({ ...schemas.Checkpoint.properties, created: bool, idempotent: bool });
const checkpointAll = obj({
  status: konst('VERIFIED'),
  checkpointId: nul(str()),
  period: str(),
  checkpoints: arr(ref('CheckpointCreated')),
  truncated: bool,
  complete: bool,
});
schemas.CheckpointCreated = checkpointCreated;
const checkpointErrors = errors(E.body, E.idempotency, E.scope, E.customer, { 400: 'UNSUPPORTED_MODE, VENDOR_ACCOUNT_FORBIDDEN' }, E.keys);
op('post', '/api/v1/balance/checkpoint', {
  id: 'createCheckpoint', tag: 'Balance', auth: 'apiKey',
  summary: 'Sign a checkpoint of a customer\'s log over a scope (default the current month), or of every active customer',
  description: 'Idempotent per resolved scope: the same scope and size answer the stored checkpoint (`idempotent: true`).',
  params: [P('IdempotencyKey')],
  body: checkpointBody,
  bodyRequired: false,
  example: { customerId: 'cust_1' },
  ok: { status: 201, schema: oneOf(ref('CheckpointCreated'), checkpointAll) },
  pending: true,
  errors: errors(checkpointErrors, E.apiKey),
});
const checkpointListParams = [limit(25, 100), P('Offset'), ...scopeParams];
const checkpointList = named('CheckpointList', obj({ checkpoints: arr(ref('Checkpoint')), limit: int(), offset: int() }));
op('get', '/api/v1/balance/checkpoints', {
  id: 'listCheckpoints', tag: 'Balance', auth: 'apiKey',
  summary: 'Stored checkpoints, newest first (a period filters by label; a preset or dates by creation time)',
  params: [...checkpointListParams, query('customerId', str()), P('VendorAccountId')],
  ok: { status: 200, schema: checkpointList },
  errors: errors(E.scope, E.customer, E.apiKey, { 503: 'SIGNING_KEY_MISSING' }),
});
const receiptParams = [P('CustomerId'), ...scopeParams, limit(100, 1000), P('Offset'), P('VendorAccountId')];
const customerReceipt = named('CustomerReceipt', obj({
  customerId: str(),
  customerReference: ref('CustomerReference'),
  vendorAccountId: nul(str()),
  period: str(),
  scope: ref('ScopeLabel'),
  generatedAt: ref('Time'),
  receiptId: ref('Hash'),
  proofRoot: ref('Hash'),
  itemsRoot: ref('Hash'),
  checkpointId: str({ description: 'Empty for a custom range (signed for this answer only).' }),
  deltaCount: int(),
  deltasCount: int(),
  startingBalance: nul(ref('Amount')),
  finalBalance: nul(ref('Amount')),
  netChange: nul(ref('Amount')),
  checkpoint: ref('Checkpoint'),
  deltas: arr(ref('ReceiptEntry')),
  boundaries: obj({ opening: nul(ref('ReceiptEntry')), closing: nul(ref('ReceiptEntry')) }),
  pagination: obj({ limit: int(), offset: int(), total: int() }),
  pendingRecords: int(),
  failedRecords: int(),
  verification: obj({ verifierKeys: arr(str()), treeSize: int(), algorithm: str() }),
  verifyUrl: nul(str()),
  verificationApiUrl: nul(str()),
  accessHint: nul(str()),
  customerLinkUrl: nul(str()),
  customerLinkHost: nul(str()),
}, [], { description: 'Verified whole by `verify_receipt` (docs/SPEC.md §10).' }));
const receiptErrors = errors(E.scope, E.customer, E.keys);
for (const [route, id, deprecated] of [['/api/v1/balance/receipt/{customerId}', 'customerReceipt', false], ['/api/v1/balance/invoice-proof/{customerId}', 'invoiceProof', true]]) {
  op('get', route, {
    id, tag: 'Balance', auth: 'apiKey',
    summary: deprecated
      ? 'Deprecated alias of the customer receipt (the SDK calls it with a period)'
      : 'A customer\'s records in a scope (default the current month), each with its inclusion proof under the scope\'s signed checkpoint',
    params: receiptParams,
    ok: { status: 200, schema: customerReceipt },
    errors: errors(receiptErrors, E.apiKey),
  });
  if (deprecated) paths[route].get.deprecated = true;
}
const recordReceipt = obj({
  ...schemas.ReceiptEntry.properties,
  customerId: str(),
  customerReference: ref('CustomerReference'),
  receiptId: ref('Hash'),
  treeSize: int(),
  checkpoint: ref('Checkpoint'),
  verifierKeys: arr(str()),
}, ['receivedBeforePeriod', 'itemIndex']);
op('get', '/api/v1/balance/receipts/{id}', {
  id: 'receipt', tag: 'Balance', auth: 'apiKey',
  summary: 'One record\'s receipt (`rec_…`: its inclusion proof under a checkpoint) or a submission\'s (its `receiptId`: every item with its proof)',
  params: [path('id', 'A record id `rec_…`, or a submission\'s receiptId / itemsRoot.')],
  ok: {
    status: 200,
    headers: {
      'X-D1-Rows-Read-Receipt': { description: 'Of a record receipt: D1 rows read for it (not the key\'s authentication).', schema: str() },
      'X-D1-Rows-Read-Proof': { description: 'Of a record receipt: D1 rows read for the inclusion proof.', schema: str() },
    },
    schema: oneOf(
      recordReceipt,
      obj({ recordId: str(), status: { enum: ['QUEUED', 'PROCESSING', 'FAILED'] }, failedReason: nul(str()), proof: konst(null) }, [], { description: 'A record not sequenced (yet).' }),
      obj({
        receiptId: ref('Hash'), itemsRoot: ref('Hash'), anchorId: str(), kind: { enum: ['delta', 'batch', 'write'] }, itemCount: int(), verified: bool,
        receivedAt: ref('Time'), items: arr(ref('ReceiptEntry')),
      }),
    ),
  },
  errors: errors({ 404: 'RECORD_NOT_FOUND, RECEIPT_NOT_FOUND' }, E.keys, E.apiKey),
});
op('get', '/api/v1/balance/derive/{customerId}', {
  id: 'derive', tag: 'Balance', auth: 'apiKey',
  summary: 'A balance computed from verified entries only, exactly, over a scope or after a checkpoint',
  params: [
    P('CustomerId'), ...scopeParams,
    query('startingCheckpoint', str(), 'A checkpoint id or root: everything after it (excludes every other scope parameter).'),
    query('startingBalance', str(), 'An exact amount added to the net change.'),
    limit(100, 1000), P('Offset'), P('VendorAccountId'),
  ],
  ok: {
    status: 200,
    schema: obj({
      customerId: str(),
      customerReference: ref('CustomerReference'),
      computedBalance: ref('Amount'),
      startingBalance: ref('Amount'),
      netChange: ref('Amount'),
      deltasCount: int(),
      deltaCount: int(),
      fromSequence: int(),
      toSequence: int(),
      scope: oneOf(ref('ScopeLabel'), obj({ startingCheckpoint: str(), proofRoot: ref('Hash'), fromSize: int() })),
      latestReceiptId: nul(ref('Hash')),
      pendingDeltas: int(),
      deltas: arr(obj({
        recordId: str(), anchorId: str(), sequenceNumber: nul(int()), delta: nul(ref('Amount')), reason: nul(str()), referenceId: nul(str()),
        receivedAt: ref('Time'), status: ref('RecordStatus'), balanceAfter: nul(ref('Amount')), itemHash: ref('Hash'), entryHash: nul(ref('Hash')),
        receiptId: ref('Hash'),
      })),
      limit: int(),
      offset: int(),
    }),
  },
  errors: errors(E.scope, E.customer, { 400: 'AMOUNT_INVALID, AMOUNT_TOO_PRECISE, AMOUNT_OUT_OF_RANGE, CHECKPOINT_NOT_FOUND' }, E.apiKey),
});
op('post', '/api/v1/balance/compare', {
  id: 'compareBalances', tag: 'Balance', auth: 'apiKey',
  summary: 'Compare your and their balance with the one computed from verified entries',
  body: obj({
    customerId: text(128),
    yourBalance: num,
    theirBalance: num,
    startingBalance: nul(num),
    period: schemas.Month,
    timePreset: { enum: ['current_month', 'custom'] },
    startDate: str(),
    endDate: str(),
    startingCheckpoint: plain(128),
    startingCheckpointType: plain(32, { description: 'Accepted and ignored (`proofRoot`, `recordId`, …).' }),
    granularity: plain(16, { description: 'Accepted and ignored.' }),
    vendorAccountId: plain(128),
  }, ['startingBalance', 'period', 'timePreset', 'startDate', 'endDate', 'startingCheckpoint', 'startingCheckpointType', 'granularity', 'vendorAccountId']),
  example: { customerId: 'cust_1', yourBalance: 94.5, theirBalance: 94.5 },
  ok: {
    status: 200,
    schema: obj({
      customerId: str(),
      customerReference: ref('CustomerReference'),
      neutralBalance: ref('Amount'),
      computedBalance: ref('Amount'),
      yourBalance: ref('Amount'),
      theirBalance: ref('Amount'),
      matchesYours: bool,
      matchesTheirs: bool,
      match: bool,
      differenceYours: nul(ref('Amount')),
      differenceTheirs: nul(ref('Amount')),
      deltasCount: int(),
      scope: oneOf(ref('ScopeLabel'), obj({ startingCheckpoint: str(), proofRoot: ref('Hash'), fromSize: int() })),
    }),
  },
  errors: errors(E.body, E.scope, E.customer, { 400: 'AMOUNT_INVALID, AMOUNT_TOO_PRECISE, AMOUNT_OUT_OF_RANGE, CHECKPOINT_NOT_FOUND' }, E.apiKey),
});
op('get', '/api/v1/balance/gaps/{customerId}', {
  id: 'gaps', tag: 'Balance', auth: 'apiKey',
  summary: 'Missing sequence numbers in a window of at most 1000 (`nextFromSequence` pages)',
  params: [
    P('CustomerId'),
    query('fromSequence', int({ maximum: 9007199254740991 })),
    query('toSequence', int({ maximum: 9007199254740991 }), 'Inclusive, at least fromSequence, fewer than 1000 past it.'),
    limit(100, 1000), P('VendorAccountId'),
  ],
  ok: {
    status: 200,
    schema: obj({
      customerId: str(), customerReference: ref('CustomerReference'), size: int(), fromSequence: int(), toSequence: int(), expected: int(), present: int(),
      hasGaps: bool, nextFromSequence: nul(int()), gaps: arr(obj({ from: int(), to: int() })), pendingRecords: int(), failedRecords: int(),
    }),
  },
  errors: errors(E.query, E.customer, { 400: 'SCOPE_TOO_WIDE' }, E.apiKey),
});

// -- Writes ----------------------------------------------------------------------------------

op('post', '/api/v1/writes', {
  id: 'writes', tag: 'Writes', auth: 'apiKey',
  summary: 'Record up to 100 write items into per-account logs, all or nothing',
  params: [P('IdempotencyKey')],
  body: obj({
    items: arr(obj({
      key: text(256, { description: 'Unique per tenant and environment.' }),
      accountId: text(128, { pattern: '^[A-Za-z0-9_.:-]+$' }),
      bits: int({ minimum: -9007199254740991, maximum: 9007199254740991 }),
      metadata: anyObject,
    }, ['metadata']), { minItems: 1, maxItems: 100 }),
  }),
  example: { items: [{ key: 'order-7731', accountId: 'acct_1', bits: 3, metadata: { source: 'example' } }] },
  ok: {
    status: 202,
    description: 'Accepted: the items are queued',
    content: json(obj({
      success: konst(true),
      statusCode: konst(202),
      data: obj({
        requestId: str({ pattern: '^req_' }),
        itemCount: int({ minimum: 1 }),
        status: konst('queued'),
        message: str(),
        receiptId: ref('Hash'),
        itemsRoot: ref('Hash'),
        itemHashes: arr(ref('Hash')),
        receivedAt: ref('Time'),
        records: arr(obj({ index: int(), key: str(), accountId: str(), recordId: str(), itemHash: ref('Hash') })),
      }),
    })),
  },
  pending: true,
  errors: errors(E.body, E.idempotency, { 402: 'PLAN_LIMIT_EXCEEDED', 409: 'DUPLICATE_KEY' }, E.apiKey),
});

// -- Middleware ------------------------------------------------------------------------------

const mwCustomer = [P('CustomerId'), P('VendorAccountId')];
const mwErrors = errors(E.middleware, E.customer, E.apiKey, E.keys);
op('get', '/api/v1/middleware/customers/{customerId}/periods', {
  id: 'middlewarePeriods', tag: 'Middleware', auth: 'middleware',
  summary: 'A vendor account\'s customer\'s closed periods, newest first',
  params: [...mwCustomer, limit(12, 24), query('before', ref('Month'))],
  ok: { status: 200, schema: ref('PeriodList') },
  errors: errors(E.query, mwErrors, { 409: 'CHECKPOINT_PENDING' }),
});
op('get', '/api/v1/middleware/customers/{customerId}/periods/{checkpointId}', {
  id: 'middlewarePeriod', tag: 'Middleware', auth: 'middleware',
  summary: 'One closed period with its records paged',
  params: [...mwCustomer, P('CheckpointIdPath'), limit(100, 1000), P('Offset')],
  ok: { status: 200, schema: ref('PeriodDetail') },
  errors: errors(E.query, mwErrors, E.closed),
});
op('get', '/api/v1/middleware/customers/{customerId}/close-package', {
  id: 'middlewareClosePackage', tag: 'Middleware', auth: 'middleware',
  summary: 'The Finance Close Package of a closed period',
  params: [...mwCustomer, ...closePackageParams],
  ok: closePackageOk,
  errors: errors(mwErrors, E.closed),
});
op('post', '/api/v1/middleware/customers/{customerId}/compare', {
  id: 'middlewareCompare', tag: 'Middleware', auth: 'middleware',
  summary: 'Compare two checkpoints of a customer\'s log',
  params: [P('CustomerId')],
  body: obj({ ...compareBody.properties, vendorAccountId: plain(128) }, ['vendorAccountId'], { description: compareBody.description }),
  example: { from: '2026-10', to: '2026-11' },
  ok: { status: 200, schema: ref('Compare') },
  errors: errors(E.body, mwErrors, compareErrors),
});
op('get', '/api/v1/middleware/customers/{customerId}/export', {
  id: 'middlewareExport', tag: 'Middleware', auth: 'middleware',
  summary: 'An export of a closed period: close package, CSV, PDF or bundle',
  params: [...mwCustomer, ...exportParams],
  ok: exportOk,
  errors: errors(mwErrors, E.closed),
});
op('get', '/api/v1/middleware/vendors/{vendorId}/customers/{externalCustomerId}/record', {
  id: 'middlewareVendorRecord', tag: 'Middleware', auth: 'middleware',
  summary: 'The vendor-scoped record of a customer: balance, counts, latest checkpoint, recent periods, links',
  params: [path('vendorId', 'A vendor account id, `cmw_…`.'), path('externalCustomerId', 'The vendor\'s customer id.')],
  ok: {
    status: 200,
    schema: obj({
      customer: ref('Customer'),
      recordedBy: ref('RecordedBy'),
      tenant: ref('TenantName'),
      environment: ref('Environment'),
      balance: nul(ref('Amount')),
      balanceText: ref('AmountText'),
      counts: ref('Counts'),
      latestCheckpoint: nul(ref('Checkpoint')),
      periods: arr(ref('ClosedPeriod'), { maxItems: 3 }),
      links: obj({ periods: str(), closePackage: str(), export: str(), compare: str() }),
    }),
  },
  errors: errors(E.middleware, { 404: 'VENDOR_ACCOUNT_NOT_FOUND, CUSTOMER_NOT_FOUND', 409: 'CHECKPOINT_PENDING' }, E.apiKey, E.keys),
});

/** The access-link and live routes, under `prefix` (middleware or dashboard). */
function linkRoutes(prefix, tag, auth, authErrors, idPrefix, extraErrors) {
  const base = `${prefix}/customers/{customerId}`;
  const policyBody = (required) => obj({ policy: { enum: ['OPEN', 'TWO_TIER', 'GATED'] } }, required ? [] : ['policy']);
  const common = errors(authErrors, E.customer, extraErrors, E.keys);
  const writing = errors(common, E.write);
  op('get', `${base}/access-link`, {
    id: `${idPrefix}AccessLink`, tag, auth,
    summary: 'The customer\'s Shared Record link and its state (`link: null` when it has none)',
    params: mwCustomer,
    ok: { status: 200, schema: ref('LinkAnswer') },
    errors: common,
  });
  op('post', `${base}/access-link`, {
    id: `${idPrefix}CreateAccessLink`, tag, auth,
    summary: 'Create the customer\'s link (default TWO_TIER): 201 with its access code, shown once',
    params: mwCustomer,
    body: policyBody(false),
    bodyRequired: false,
    ok: { status: 201, schema: ref('LinkAnswer') },
    errors: errors(writing, E.body, { 400: 'VALIDATION_ERROR (policy)' }, E.link),
  });
  op('patch', `${base}/access-link`, {
    id: `${idPrefix}UpdateAccessLink`, tag, auth,
    summary: 'Change the active link\'s policy',
    params: mwCustomer,
    body: policyBody(true),
    example: { policy: 'GATED' },
    ok: { status: 200, schema: ref('LinkAnswer') },
    errors: errors(writing, E.body, E.link),
  });
  for (const [action, id, summary, status, body] of [
    ['rotate-code', 'RotateAccessCode', 'A new access code, shown once; the old one and its sessions end', 200, false],
    ['revoke', 'RevokeAccessLink', 'Revoke the active link: its handle answers 410 from now on', 200, false],
    ['reissue', 'ReissueAccessLink', 'Revoke the active link and make a new one (new handle, new code): 201', 201, true],
  ]) {
    op('post', `${base}/access-link/${action}`, {
      id: `${idPrefix}${id}`, tag, auth, summary,
      params: mwCustomer,
      body: body ? policyBody(false) : obj({}, [], { description: '`{}` (or no body).' }),
      bodyRequired: false,
      ok: { status, schema: ref('LinkAnswer') },
      errors: errors(writing, E.body, E.link),
    });
  }
  op('get', `${base}/live`, {
    id: `${idPrefix}Live`, tag, auth,
    summary: 'The current Shared Record state: balance, counts, what is not checkpointed yet, the link',
    params: mwCustomer,
    ok: {
      status: 200,
      schema: schemas.Live ? ref('Live') : named('Live', obj({
        customer: ref('Customer'),
        recordedBy: ref('RecordedBy'),
        tenant: ref('TenantName'),
        balance: nul(ref('Amount')),
        balanceText: ref('AmountText'),
        counts: ref('Counts'),
        sinceLastCheckpoint: obj({ records: int(), verified: int() }),
        latestCheckpoint: nul(ref('Checkpoint')),
        link: nul(ref('LinkState')),
      })),
    },
    errors: common,
  });
}
linkRoutes('/api/v1/middleware', 'Middleware', 'middleware', errors(E.middleware, E.apiKey), 'middleware', {});
op('get', '/api/v1/middleware/readiness', {
  id: 'middlewareReadiness', tag: 'Middleware', auth: 'middleware',
  summary: 'Invoice readiness per customer for a closed period: blockers with their fixes, and the buyer\'s signals',
  params: [
    query('vendorAccountId', str()),
    query('period', ref('Month'), 'Default: the last closed month.'),
    query('blocker', { enum: ['PERIOD_NOT_CLOSED', 'RECORDS_PENDING', 'RECORDS_FAILED', 'LINK_MISSING', 'LINK_REVOKED', 'ACCESS_CODE_MISSING', 'LINK_LOCKED'] }),
    query('dueDays', int({ minimum: 1, maximum: 28, default: 14 })),
    limit(50, 100),
    query('cursor', int({ maximum: 4294967295, default: 0 })),
  ],
  ok: {
    status: 200,
    schema: obj({
      period: ref('Month'),
      rows: arr(obj({
        customer: ref('Customer'),
        vendorAccountId: nul(str()),
        period: ref('Month'),
        ready: bool,
        proofCoverage: obj({ verified: int(), total: int() }),
        liveNotCheckpointed: int(),
        link: nul(obj({ ready: bool, policy: { enum: ['OPEN', 'TWO_TIER', 'GATED'] }, state: { enum: ['active', 'revoked'] }, handle: str() })),
        accessCode: obj({ ready: bool }),
        stepUp: obj({ succeeded: int(), failed: int() }),
        signals: obj({ viewedBeforeDue: bool, exportDownloaded: bool, compareRun: bool, repeatedFailedStepUp: bool, linkRevokedOrReissued: bool }),
        blockers: arr(obj({ code: str(), message: str(), fix: str() })),
      })),
      pagination: obj({ limit: int(), cursor: int(), nextCursor: nul(int()) }),
    }),
  },
  errors: errors(E.query, E.middleware, { 400: 'VENDOR_ACCOUNT_NOT_FOUND' }, E.apiKey, E.keys),
});

// -- Dashboard -------------------------------------------------------------------------------

const env = P('Environment');
const dashCustomer = [env, ...mwCustomer];
const D = E.dashboard;
op('get', '/dashboard/customers', {
  id: 'dashboardCustomers', tag: 'Dashboard', auth: 'dashboard',
  summary: 'The customers of the environment, paged, filtered and sorted',
  params: [env, ...customerListParams],
  ok: { status: 200, schema: customerList },
  errors: errors(E.query, D),
});
op('post', '/dashboard/customers', {
  id: 'dashboardCreateCustomer', tag: 'Dashboard', auth: 'dashboard',
  summary: 'Create a customer by hand (its id generated when not given); emits `customer.created`',
  params: [env],
  body: obj({
    displayName: text(200),
    customerId: text(128, { pattern: '^[A-Za-z0-9_.:-]+$' }),
    sharingStateHint: str({ pattern: '^[A-Z_]{1,40}$' }),
    eventCadence: str({ pattern: '^[A-Z_]{1,40}$' }),
    unitLabel: plain(40),
    vendorAccountId: plain(128),
  }, ['customerId', 'sharingStateHint', 'eventCadence', 'unitLabel', 'vendorAccountId']),
  example: { displayName: 'Globex Corp', unitLabel: 'tokens' },
  ok: {
    status: 201,
    schema: obj({
      customerId: str(), customerReference: ref('CustomerReference'), customerPartition: str({ pattern: '^[0-9]+$' }), vendorAccountId: nul(str()),
      displayName: str(), source: konst('manual'), sharingStateHint: nul(str()), eventCadence: nul(str()), unitLabel: nul(str()),
      environment: ref('Environment'), createdAt: ref('Time'),
    }),
  },
  errors: errors(E.body, D, E.write, { 400: 'VENDOR_ACCOUNT_REQUIRED, VENDOR_ACCOUNT_FORBIDDEN, VENDOR_ACCOUNT_NOT_FOUND', 409: 'CUSTOMER_EXISTS' }),
});
op('get', '/dashboard/customers/summary', {
  id: 'dashboardCustomersSummary', tag: 'Dashboard', auth: 'dashboard',
  summary: 'Counts and the total balance of every customer',
  params: [env],
  ok: { status: 200, schema: customersSummary },
  errors: D,
});
op('get', '/dashboard/customers/batch-checkpoints/export', {
  id: 'dashboardBatchCheckpoints', tag: 'Dashboard', auth: 'dashboard',
  summary: 'Every customer with its closing checkpoint of a period (`closed`, `not_yet_closed` or `open`), streamed',
  params: [env, query('period', ref('Month'), 'Required.'), query('format', { enum: ['csv', 'json'], default: 'csv' })],
  ok: {
    status: 200,
    description: 'A file (`Content-Disposition: attachment`); the JSON is not wrapped in the success envelope.',
    headers: attachmentHeaders,
    content: {
      'text/csv': { schema: str() },
      'application/json': {
        schema: obj({
          period: ref('Month'),
          checkpoints: arr(obj({
            customerId: str(), vendorAccountId: nul(str()), customerReference: ref('CustomerReference'), period: ref('Month'),
            status: { enum: ['closed', 'not_yet_closed', 'open'] }, checkpointId: nul(str()), proofRoot: nul(ref('Hash')), treeSize: nul(int()),
            startSize: nul(int()), recordCount: nul(int()), openingBalance: nul(ref('AmountText')), closingBalance: nul(ref('AmountText')),
            keyId: nul(str()), createdAt: nul(ref('Time')), verifyUrl: nul(str()),
          })),
        }),
      },
    },
  },
  errors: errors(E.query, D),
});
op('get', '/dashboard/customers/{customerId}', {
  id: 'dashboardCustomer', tag: 'Dashboard', auth: 'dashboard',
  summary: 'A customer and its activity (paged, or filtered and sorted)',
  params: [env, ...customerDetailParams],
  ok: { status: 200, schema: customerDetail },
  errors: errors(customerDetailErrors, D),
});
op('get', '/dashboard/customers/{customerId}/export', {
  id: 'dashboardCustomerExport', tag: 'Dashboard', auth: 'dashboard',
  summary: 'The customer\'s activity as CSV (the close-package CSV\'s FOCUS columns plus `x_Status`, `x_FailedReason`), streamed',
  params: [...dashCustomer, query('status', { enum: ['verified', 'failed', 'pending', 'queued', 'processing'] })],
  ok: { status: 200, description: 'A CSV file.', headers: attachmentHeaders, content: { 'text/csv': { schema: str() } } },
  errors: errors(E.query, E.customer, D),
});
for (const [action, id, deprecated] of [['receipt', 'dashboardReceipt', false], ['invoice-proof', 'dashboardInvoiceProof', true]]) {
  op('get', `/dashboard/customers/{customerId}/${action}`, {
    id, tag: 'Dashboard', auth: 'dashboard',
    summary: deprecated ? 'Deprecated alias of the customer receipt' : 'The Balance API\'s customer receipt',
    params: [env, ...receiptParams],
    ok: { status: 200, schema: customerReceipt },
    errors: errors(receiptErrors, D),
  });
  if (deprecated) paths[`/dashboard/customers/{customerId}/${action}`].get.deprecated = true;
}
op('post', '/dashboard/customers/{customerId}/checkpoint', {
  id: 'dashboardCheckpoint', tag: 'Dashboard', auth: 'dashboard',
  summary: 'The Balance API\'s checkpoint of this customer (admin role)',
  params: [env, P('CustomerId'), P('IdempotencyKey')],
  body: obj(Object.fromEntries(Object.entries(checkpointBody.properties).filter(([k]) => k !== 'customerId')), ['period', 'timePreset', 'startDate', 'endDate', 'mode', 'vendorAccountId']),
  bodyRequired: false,
  ok: { status: 201, schema: ref('CheckpointCreated') },
  pending: true,
  errors: errors(checkpointErrors, D, E.write),
});
op('get', '/dashboard/customers/{customerId}/checkpoints', {
  id: 'dashboardCheckpoints', tag: 'Dashboard', auth: 'dashboard',
  summary: 'The customer\'s stored checkpoints, newest first',
  params: [...dashCustomer, ...checkpointListParams],
  ok: { status: 200, schema: checkpointList },
  errors: errors(E.scope, E.customer, D, { 503: 'SIGNING_KEY_MISSING' }),
});
const fingerprints = {
  tag: 'Dashboard', auth: 'dashboard',
  params: [...dashCustomer, query('period', ref('Month'), 'Required.')],
  ok: {
    status: 200,
    schema: named('Fingerprints', obj({
      customerId: str(),
      customerReference: ref('CustomerReference'),
      vendorAccountId: nul(str()),
      period: ref('Month'),
      closingCheckpointId: nul(str()),
      candidates: arr(obj({
        checkpointId: str(), period: str(), proofRoot: ref('Hash'), treeSize: int(), startSize: int(), recordCount: int(), closed: bool,
        closesPeriod: bool, createdAt: ref('Time'), keyId: str(), keyName: nul(str()), verifierKey: nul(str()),
        keyFingerprint: nul(str({ pattern: '^SHA256:[0-9a-f]{64}$' })),
      }), { maxItems: 50 }),
      currentKey: obj({ verifierKey: str(), keyFingerprint: str({ pattern: '^SHA256:[0-9a-f]{64}$' }) }),
    })),
  },
  errors: errors(E.query, E.customer, D, E.keys, { 409: 'CHECKPOINT_PENDING' }),
};
for (const [suffix, id, alias] of [
  ['checkpoint-fingerprints', 'dashboardFingerprints', false],
  ['checkpoints/fingerprints', 'dashboardFingerprintsAlias', true],
  ['fingerprints', 'dashboardFingerprintsShort', true],
]) {
  op('get', `/dashboard/customers/{customerId}/${suffix}`, {
    ...fingerprints, id,
    summary: alias
      ? 'Alias of `…/checkpoint-fingerprints`'
      : 'The checkpoints labelled with a period, the one that closes it, and the key that signed each (with its fingerprint)',
  });
}
op('post', '/dashboard/customers/{customerId}/verification-package', {
  id: 'dashboardVerificationPackage', tag: 'Dashboard', auth: 'dashboard',
  summary: 'A spot-check package of a closed period\'s records, drawn from a seed its signed checkpoint fixes; 201 with its share link',
  params: dashCustomer,
  body: obj({ period: text(16), sampleSize: int({ minimum: 1, maximum: 100, default: 10 }) }, ['sampleSize']),
  example: { period: '2026-11', sampleSize: 10 },
  ok: { status: 201, schema: obj({ packageId: str({ pattern: '^vpk_' }), shareUrl: str(), createdAt: ref('Time'), package: ref('VerificationPackage') }) },
  errors: errors(E.body, E.customer, D, E.closed, E.keys),
});
op('get', '/dashboard/customers/{customerId}/close-package', {
  id: 'dashboardClosePackage', tag: 'Dashboard', auth: 'dashboard',
  summary: 'The Finance Close Package of a closed period, as the middleware route',
  params: [...dashCustomer, ...closePackageParams],
  ok: closePackageOk,
  errors: errors(E.customer, D, E.closed, E.keys),
});
op('get', '/dashboard/customers/{customerId}/periods', {
  id: 'dashboardPeriods', tag: 'Dashboard', auth: 'dashboard',
  summary: 'Closed periods, as the middleware route',
  params: [...dashCustomer, limit(12, 24), query('before', ref('Month'))],
  ok: { status: 200, schema: ref('PeriodList') },
  errors: errors(E.query, E.customer, D, E.keys, { 409: 'CHECKPOINT_PENDING' }),
});
op('get', '/dashboard/customers/{customerId}/periods/{checkpointId}', {
  id: 'dashboardPeriod', tag: 'Dashboard', auth: 'dashboard',
  summary: 'One closed period with its records paged, as the middleware route',
  params: [...dashCustomer, P('CheckpointIdPath'), limit(100, 1000), P('Offset')],
  ok: { status: 200, schema: ref('PeriodDetail') },
  errors: errors(E.query, E.customer, D, E.closed, E.keys),
});
// The dashboard's link routes take X-Environment too.
{
  const before = new Set(Object.keys(paths));
  linkRoutes('/dashboard', 'Dashboard', 'dashboard', D, 'dashboard', {});
  for (const p of Object.keys(paths).filter((k) => !before.has(k))) {
    for (const o of Object.values(paths[p])) o.parameters = [env, ...o.parameters];
  }
}
const pageParams = [limit(25, 100), query('offset', int({ maximum: 1000000000, default: 0 }))];
const emptyBody = obj({}, [], { description: '`{}` (or no body).' });
op('get', '/dashboard/webhooks', {
  id: 'dashboardWebhooks', tag: 'Dashboard', auth: 'dashboard',
  summary: 'The tenant\'s webhook endpoints in the environment',
  params: [env, ...pageParams],
  ok: { status: 200, schema: obj({ webhooks: arr(ref('Webhook')), pagination: obj({ limit: int(), offset: int(), total: int() }) }) },
  errors: errors(E.query, D),
});
op('post', '/dashboard/webhooks', {
  id: 'dashboardCreateWebhook', tag: 'Dashboard', auth: 'dashboard',
  summary: 'Add a webhook endpoint: 201 with its signing secret, shown once',
  params: [env],
  body: obj({ url: text(2048, { description: 'https, on a public host.' }), description: plain(500) }, ['description']),
  example: { url: 'https://hooks.example.com/vericord', description: 'billing' },
  ok: { status: 201, schema: ref('WebhookCreated') },
  errors: errors(E.body, D, E.write, { 400: 'WEBHOOK_URL_NOT_ALLOWED' }),
});
const webhookId = path('webhookId', 'A webhook endpoint id, `webhook_…`.');
op('get', '/dashboard/webhooks/{webhookId}', {
  id: 'dashboardWebhook', tag: 'Dashboard', auth: 'dashboard',
  summary: 'A webhook endpoint (never its secret)',
  params: [env, webhookId],
  ok: { status: 200, schema: ref('Webhook') },
  errors: errors(D, { 404: 'WEBHOOK_NOT_FOUND' }),
});
op('delete', '/dashboard/webhooks/{webhookId}', {
  id: 'dashboardDeleteWebhook', tag: 'Dashboard', auth: 'dashboard',
  summary: 'Delete a webhook endpoint: nothing is delivered to it after',
  params: [env, webhookId],
  ok: { status: 200, schema: obj({ id: str(), deleted: konst(true) }) },
  errors: errors(D, E.write, E.body, { 404: 'WEBHOOK_NOT_FOUND' }),
});
const rotateBody = obj({ overlapSeconds: nul(int({ maximum: 604800 })) }, ['overlapSeconds'], {
  description: 'How long the previous secret keeps signing beside the new one (default a day, at most 7 days).',
});
op('post', '/dashboard/webhooks/{webhookId}/rotate-secret', {
  id: 'dashboardRotateWebhookSecret', tag: 'Dashboard', auth: 'dashboard',
  summary: 'A new signing secret; the previous one signs alongside it until the overlap ends',
  params: [env, webhookId],
  body: rotateBody,
  bodyRequired: false,
  ok: { status: 200, schema: ref('WebhookRotated') },
  errors: errors(D, E.write, E.body, { 404: 'WEBHOOK_NOT_FOUND' }),
});
op('get', '/dashboard/api-keys', {
  id: 'dashboardApiKeys', tag: 'Dashboard', auth: 'dashboard',
  summary: 'The tenant\'s API keys in the environment (never their secrets)',
  params: [env, ...pageParams],
  ok: { status: 200, schema: obj({ apiKeys: arr(ref('Key')), pagination: obj({ limit: int(), offset: int(), total: int() }) }) },
  errors: errors(E.query, D),
});
op('post', '/dashboard/api-keys', {
  id: 'dashboardCreateApiKey', tag: 'Dashboard', auth: 'dashboard',
  summary: 'Make an API key of the environment: 201 with its secret, shown once',
  params: [env],
  body: obj({ name: text(200), environment: { enum: ['sandbox', 'test', 'production', 'live'], description: 'Must be the X-Environment one.' } }, ['environment']),
  example: { name: 'billing service' },
  ok: { status: 201, schema: ref('KeyCreated') },
  errors: errors(E.body, D, E.write, { 400: 'ENVIRONMENT_MISMATCH' }),
});
const publicId = path('publicId', 'A key\'s public part, `pk_test_…` or `pk_live_…`.');
op('get', '/dashboard/api-keys/{publicId}', {
  id: 'dashboardApiKey', tag: 'Dashboard', auth: 'dashboard',
  summary: 'An API key (never its secret)',
  params: [env, publicId],
  ok: { status: 200, schema: ref('Key') },
  errors: errors(D, { 404: 'API_KEY_NOT_FOUND' }),
});
for (const [method, route, id, summary] of [
  ['delete', '/dashboard/api-keys/{publicId}', 'dashboardRevokeApiKey', 'Revoke an API key for good (again: no change)'],
  ['post', '/dashboard/api-keys/{publicId}/revoke', 'dashboardRevokeApiKeyPost', 'Revoke an API key for good (as DELETE)'],
]) {
  op(method, route, {
    id, tag: 'Dashboard', auth: 'dashboard', summary,
    params: [env, publicId],
    body: emptyBody,
    bodyRequired: false,
    ok: { status: 200, schema: ref('Key') },
    errors: errors(D, E.write, E.body, { 404: 'API_KEY_NOT_FOUND' }),
  });
}
op('post', '/dashboard/api-keys/{publicId}/rotate', {
  id: 'dashboardRotateApiKey', tag: 'Dashboard', auth: 'dashboard',
  summary: 'A new secret for the same public id; the old one stops working at once',
  params: [env, publicId],
  body: emptyBody,
  bodyRequired: false,
  ok: {
    status: 200,
    schema: obj({ publicKey: str(), secretKey: str(), fullKey: str(), rotatedAt: ref('Time'), message: str() }),
  },
  errors: errors(D, E.write, E.body, { 404: 'API_KEY_NOT_FOUND', 409: 'API_KEY_REVOKED' }),
});

// -- Admin -----------------------------------------------------------------------------------

const tenantId = path('id', 'A tenant id, `ten_…`.');
const adminErrors = errors(E.admin, E.body);
const allowance = nul(int({ maximum: 1099511627776, description: 'Records per month and environment; `null`: unlimited.' }));
op('post', '/admin/tenants', {
  id: 'adminCreateTenant', tag: 'Admin', auth: 'admin',
  summary: 'Create a tenant (a direct vendor or a billing middleware)',
  body: obj({ name: text(200), kind: { enum: ['direct', 'middleware'], default: 'direct' }, monthlyAllowance: allowance }, ['kind', 'monthlyAllowance']),
  example: { name: 'Acme Inference', kind: 'direct' },
  ok: { status: 201, schema: ref('Tenant') },
  errors: adminErrors,
});
op('get', '/admin/tenants/{id}', {
  id: 'adminTenant', tag: 'Admin', auth: 'admin',
  summary: 'A tenant with its vendor accounts',
  params: [tenantId],
  ok: { status: 200, schema: ref('Tenant') },
  errors: errors(adminErrors, { 404: 'TENANT_NOT_FOUND' }),
});
op('patch', '/admin/tenants/{id}', {
  id: 'adminUpdateTenant', tag: 'Admin', auth: 'admin',
  summary: 'Rename a tenant, set its allowance or its allow-listed embed origins',
  params: [tenantId],
  body: obj({
    name: text(200),
    monthlyAllowance: allowance,
    embedOrigins: nul(arr(str({ description: '`https://host[:port]`, or `http://` on loopback, exactly as a browser sends `Origin`.' }), { maxItems: 16 })),
  }, ['name', 'monthlyAllowance', 'embedOrigins']),
  ok: { status: 200, schema: ref('Tenant') },
  errors: errors(adminErrors, { 404: 'TENANT_NOT_FOUND' }),
});
op('post', '/admin/tenants/{id}/keys', {
  id: 'adminCreateKey', tag: 'Admin', auth: 'admin',
  summary: 'Make an API key: 201 with its secret, shown once',
  params: [tenantId],
  body: obj({
    environment: { enum: ['sandbox', 'test', 'production', 'live'] },
    name: plain(200),
    rateLimitPerMinute: nul(int({ maximum: 1000000 })),
  }, ['name', 'rateLimitPerMinute']),
  ok: { status: 201, schema: ref('KeyCreated') },
  errors: errors(adminErrors, { 404: 'TENANT_NOT_FOUND' }),
});
op('patch', '/admin/keys/{publicId}', {
  id: 'adminUpdateKey', tag: 'Admin', auth: 'admin',
  summary: 'Enable or disable a key, or change its rate limit',
  params: [publicId],
  body: obj({ enabled: bool, rateLimitPerMinute: nul(int({ maximum: 1000000 })) }, ['enabled', 'rateLimitPerMinute']),
  example: { rateLimitPerMinute: 600 },
  ok: { status: 200, schema: obj({ publicKey: str(), environment: ref('Environment'), enabled: bool, rateLimitPerMinute: int() }) },
  errors: errors(adminErrors, { 404: 'API_KEY_NOT_FOUND' }),
});
op('post', '/admin/tenants/{id}/vendor-accounts', {
  id: 'adminCreateVendorAccount', tag: 'Admin', auth: 'admin',
  summary: 'Add a vendor account to a middleware tenant',
  params: [tenantId],
  body: obj({ displayName: text(200) }),
  example: { displayName: 'Acme Inference' },
  ok: { status: 201, schema: obj({ id: str({ pattern: '^cmw_' }), displayName: str(), createdAt: ref('Time') }) },
  errors: errors(adminErrors, { 400: 'TENANT_NOT_MIDDLEWARE', 404: 'TENANT_NOT_FOUND' }),
});
op('post', '/admin/tenants/{id}/webhooks', {
  id: 'adminCreateWebhook', tag: 'Admin', auth: 'admin',
  summary: 'Add a webhook endpoint to a tenant: 201 with its signing secret, shown once',
  params: [tenantId],
  body: obj({ url: text(2048), environment: ref('Environment'), description: plain(500) }, ['description']),
  example: { url: 'https://hooks.example.com/vericord', environment: 'sandbox' },
  ok: { status: 201, schema: ref('WebhookCreated') },
  errors: errors(adminErrors, { 400: 'WEBHOOK_URL_NOT_ALLOWED', 404: 'TENANT_NOT_FOUND' }),
});
op('post', '/admin/webhooks/{webhookId}/rotate-secret', {
  id: 'adminRotateWebhookSecret', tag: 'Admin', auth: 'admin',
  summary: 'Rotate a webhook endpoint\'s signing secret',
  params: [webhookId],
  body: rotateBody,
  bodyRequired: false,
  ok: { status: 200, schema: ref('WebhookRotated') },
  errors: errors(adminErrors, { 404: 'WEBHOOK_NOT_FOUND' }),
});
op('post', '/admin/tenants/{id}/dashboard-tokens', {
  id: 'adminDashboardToken', tag: 'Admin', auth: 'admin',
  summary: 'Mint a dashboard token (HS256) for a user of the tenant; tokens are not stored, they expire',
  params: [tenantId],
  body: obj({
    userId: text(200, { default: 'admin' }),
    role: { enum: ['admin', 'viewer'], default: 'admin' },
    ttlSeconds: nul(int({ maximum: 2592000, default: 3600 })),
  }, ['userId', 'role', 'ttlSeconds']),
  bodyRequired: false,
  ok: {
    status: 201,
    schema: obj({ token: str(), tokenType: konst('Bearer'), tenantId: str(), userId: str(), role: { enum: ['admin', 'viewer'] }, expiresAt: ref('Time') }),
  },
  errors: errors(adminErrors, { 404: 'TENANT_NOT_FOUND', 503: 'DASHBOARD_AUTH_DISABLED, CONFIG_INVALID' }),
});

// ---------------------------------------------------------------------------------------------

const document = {
  openapi: '3.1.0',
  info: {
    title: 'vericord',
    version: VERSION,
    summary: 'Verified records: a tamper-evident log per customer, receipts with Merkle proofs, signed checkpoints.',
    description: [
      'A self-hostable implementation of the PacSpace verified-records API (see README.md; the formats are docs/SPEC.md).',
      '',
      'Every JSON success is `{"success": true, "data": …}` (close packages and batch exports are files, not wrapped);',
      'every error is `{"success": false, "statusCode": N, "error": {"code", "message", "field"?}}`. Bodies are strict JSON',
      'objects sent as `application/json`: unknown and duplicate members are refused. Any route may also answer',
      '500 INTERNAL_ERROR (a storage failure; retry) and an unknown path 404 NOT_FOUND. The `/bench/*` routes exist only',
      'when the `BENCH_ROUTES` var is "1" and are not described here.',
    ].join('\n'),
    license: { name: LICENSE, identifier: LICENSE },
  },
  servers: [{ url: '/', description: 'The origin this document is served from.' }],
  tags,
  security: [],
  paths,
  components: {
    securitySchemes: {
      ApiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: '`pk_test_…` (sandbox) or `pk_live_…` (production), `<public>.<secret>`.' },
      MiddlewareApiKey: {
        type: 'apiKey', in: 'header', name: 'X-Api-Key',
        description: 'An API key (as ApiKey) of a billing middleware tenant: the `/api/v1/middleware` routes refuse a direct tenant\'s with 403 MIDDLEWARE_ONLY.',
      },
      DashboardToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A dashboard token (docs/DASHBOARD.md); the environment comes from `X-Environment`.' },
      AdminToken: { type: 'http', scheme: 'bearer', description: 'The deployment\'s `ADMIN_TOKEN`.' },
      AccessSession: { type: 'apiKey', in: 'header', name: 'X-Access-Session', description: 'A step-up session token from `POST /api/v1/c/{handle}/access/verify`.' },
      AccessCookie: { type: 'apiKey', in: 'cookie', name: 'vericord_access', description: 'The step-up session as its cookie.' },
    },
    parameters,
    schemas,
  },
};

const output = `${JSON.stringify(document, null, 2)}\n`;
if (process.argv.includes('--check')) {
  let current = '';
  try { current = readFileSync(OUT, 'utf8'); } catch { /* missing */ }
  if (current !== output) {
    console.error('www/openapi.json is not what scripts/openapi.mjs writes: run `node scripts/openapi.mjs`');
    process.exit(1);
  }
  console.log(`www/openapi.json is up to date (${Object.keys(paths).length} paths)`);
} else {
  writeFileSync(OUT, output);
  console.log(`wrote www/openapi.json (${Object.keys(paths).length} paths, ${operationIds.size} operations)`);
}
