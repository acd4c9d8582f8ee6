// The Shared Record page's verifier, a module Web Worker: the npm package runs here so that
// checking a 100,000-record close package never freezes the page. Messages in:
// `{id, op, args}`; out: `{id, ok: true, result}` or `{id, ok: false, error: {name, code, message}}`.
// A verified document's records stay here and are read a page at a time (`records`).
//
// The package is imported dynamically: its module instantiates the wasm with a top-level
// await, and a message that arrives while a worker's static imports are still evaluating
// finds no handler yet and is lost. The handler is in place at once; each call awaits the load.
const vericord = import('/vendor/vericord/browser.js');

/** Records of the last verified document of each kind (`package`, `compare`), parsed once. */
const docs = new Map();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Only what the page shows of a record; every field comes from the verified document. */
const row = (r) => ({
  seq: r.seq,
  receivedAt: r.item?.receivedAt ?? '',
  delta: r.item?.delta ?? '',
  reason: r.item?.reason ?? '',
  referenceId: r.item?.referenceId ?? '',
  balanceAfter: r.balanceAfter,
  receivedBeforePeriod: r.receivedBeforePeriod === true,
});

const ops = {
  /** Answers once the verifier has loaded (the page warms it up with this). */
  ready: () => true,
  checkpoint: ({ note, keys }, V) => V.verifyCheckpoint(note, keys),
  consistency: ({ oldSize, oldRoot, newSize, newRoot, proof }, V) => V.verifyConsistency(oldSize, oldRoot, newSize, newRoot, proof),
  /**
   * The close package exactly as served: `stream` (the response body, read here) or `bytes`.
   * `receivedAt` (ms since the epoch, as `performance.timeOrigin + now()`) is when it was whole.
   */
  closePackage: async ({ stream, bytes, keys }, V) => {
    docs.delete('package');
    const data = new Uint8Array(stream ? await new Response(stream).arrayBuffer() : bytes);
    const receivedAt = performance.timeOrigin + performance.now();
    const report = V.verifyClosePackage(data, keys);
    // The exact bytes verified, for the buyer to keep (a Blob crosses to the page by reference).
    const blob = report.verified ? new Blob([data], { type: 'application/json' }) : null;
    return { result: { report, blob, receivedAt, bytes: data.byteLength }, keep: report.verified ? () => JSON.parse(decoder.decode(data)).records : null, slot: 'package' };
  },
  /** `bytes`: the compare route's JSON answer (the result is its `data`). */
  compare: ({ bytes, keys }, V) => {
    docs.delete('compare');
    const body = JSON.parse(decoder.decode(bytes));
    const result = body && body.success === true ? body.data : body;
    const report = V.verifyCompare(JSON.stringify(result), keys);
    return { result: { report }, keep: report.verified ? () => result.records : null, slot: 'compare' };
  },
  records: ({ slot, offset, limit }) => {
    const records = docs.get(slot);
    if (!records) throw Object.assign(new Error(`no verified ${slot} is loaded`), { code: 'NOT_LOADED' });
    return { total: records.length, offset, rows: records.slice(offset, offset + limit).map(row) };
  },
};

// Messages are handled one at a time, in order, whatever each awaits.
let queue = Promise.resolve();
self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data));
};

async function handle({ id, op, args }) {
  let out;
  try {
    out = await ops[op](args, await vericord);
  } catch (e) {
    self.postMessage({ id, ok: false, error: { name: e?.name ?? 'Error', code: e?.code ?? 'ERROR', message: String(e?.message ?? e) } });
    return;
  }
  if (out && typeof out === 'object' && 'keep' in out) {
    // Answer with the report first; the records are parsed after, before any later message.
    self.postMessage({ id, ok: true, result: out.result });
    if (out.keep) {
      try {
        docs.set(out.slot, out.keep());
      } catch { /* verified bytes that do not parse cannot happen; `records` then says not loaded */ }
    }
    return;
  }
  self.postMessage({ id, ok: true, result: out });
}
