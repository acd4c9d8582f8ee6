// The /verify/:root page: asks this deployment what the root is, then checks the signed
// checkpoint here, with the npm package, against a key pinned in the link (?key=…) or else the
// one the deployment publishes. Everything shown as verified comes from the signed text.
import { isVericordError, verifyCheckpoint } from '/vendor/vericord/browser.js';

const $ = (id) => document.getElementById(id);
const root = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
// Verifier keys never contain spaces, but a hand-written link's raw `+` decodes as one.
const pinned = new URLSearchParams(location.search).getAll('key').map((k) => k.trim().replaceAll(' ', '+'));

function show(status, headline, detail = '', code = '') {
  const box = $('result');
  box.dataset.status = status;
  box.dataset.code = code;
  $('headline').textContent = headline;
  $('detail').textContent = detail;
}

/** GET a vericord JSON route; its `data`, or an Error carrying the route's error code. */
async function getData(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (body?.success !== true) {
    throw Object.assign(new Error(body?.error?.message ?? `${path} answered ${res.status}`), {
      code: body?.error?.code ?? `HTTP_${res.status}`,
    });
  }
  return body.data;
}

function fill(cp, data, keySource) {
  const facts = { period: cp.period, opening: cp.opening, closing: cp.closing, count: cp.count, size: cp.size, origin: cp.origin };
  for (const [id, value] of Object.entries(facts)) $(id).textContent = String(value);
  $('recorder').textContent = data.recordedBy?.displayName ?? '—';
  $('key').textContent = keySource;
  $('facts').hidden = false;
  const rows = (data.records ?? []).map((r) => {
    const tr = document.createElement('tr');
    for (const v of [r.sequenceNumber, r.time, r.amount, r.reason, r.status]) {
      const td = document.createElement('td');
      td.textContent = v ?? '';
      tr.append(td);
    }
    return tr;
  });
  $('records').tBodies[0].replaceChildren(...rows);
  $('records').hidden = rows.length === 0;
}

async function main() {
  $('root').textContent = root;
  const data = await getData(`/api/v1/verify/${encodeURIComponent(root)}`);
  if (data.kind !== 'checkpoint') {
    show('error', 'Not a checkpoint', 'This root names a submission, which carries no signature; open the link of the checkpoint that closes its period.', 'NOT_A_CHECKPOINT');
    return;
  }
  const keys = pinned.length > 0 ? pinned : (await getData('/.well-known/vericord/keys')).keys.map((k) => k.verifierKey);
  const keySource = pinned.length > 0 ? `pinned in this link: ${pinned.join(', ')}` : `published by this deployment: ${keys.join(', ')}`;
  let cp;
  try {
    cp = verifyCheckpoint(data.verification?.note, keys);
  } catch (e) {
    if (!isVericordError(e)) throw e;
    show('failed', 'Not verified', e.message, e.code);
    return;
  }
  if (cp.root !== root.toLowerCase()) {
    show('failed', 'Not verified', `the signed checkpoint is for root ${cp.root}, not this one`, 'ROOT_MISMATCH');
    return;
  }
  fill(cp, data, keySource);
  show('verified', 'Verified', `Signed checkpoint for ${cp.period}: ${cp.count} records, opening balance ${cp.opening}, closing balance ${cp.closing}.`, 'VERIFIED');
}

main().catch((e) => show('error', 'Could not check this root', e.message, e.code ?? 'ERROR'));
