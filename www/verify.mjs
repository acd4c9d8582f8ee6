// The /verify/:root page: asks this deployment what the root is, then checks the signed
// checkpoint here, with the npm package, against a key pinned in the link (?key=…) or else the
// one the deployment publishes. Everything shown as verified comes from the signed text.
import { isVericordError, verifyCheckpoint } from '/vendor/vericord/browser.js';
import { $, fillRows, getData, publishedKeys, show } from '/page.mjs';

const root = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
// Verifier keys never contain spaces, but a hand-written link's raw `+` decodes as one.
const pinned = new URLSearchParams(location.search).getAll('key').map((k) => k.trim().replaceAll(' ', '+'));

// Verified facts come from the signed text alone; the server's other words (who recorded it,
// its record list) are shown apart, as its claim.
function fill(cp, data, keySource) {
  const facts = { period: cp.period, opening: cp.opening, closing: cp.closing, count: cp.count, size: cp.size, origin: cp.origin };
  for (const [id, value] of Object.entries(facts)) $(id).textContent = String(value);
  $('key').textContent = keySource;
  $('verified-facts').hidden = false;
  $('recorder').textContent = data.recordedBy?.displayName ?? '—';
  fillRows('records', (data.records ?? []).map((r) => [r.sequenceNumber, r.time, r.amount, r.reason, r.status]));
  $('claims').hidden = false;
}

async function main() {
  $('root').textContent = root;
  const data = await getData(`/api/v1/verify/${encodeURIComponent(root)}`);
  if (data.kind !== 'checkpoint') {
    show('error', 'Not a checkpoint', 'This root names a submission, which carries no signature; open the link of the checkpoint that closes its period.', 'NOT_A_CHECKPOINT');
    return;
  }
  const keys = pinned.length > 0 ? pinned : await publishedKeys();
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
