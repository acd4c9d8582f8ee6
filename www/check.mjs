// The receipt checker: verifies a pasted customer receipt whole with the npm package —
// signed checkpoint, every record's item, entry and inclusion proof, and the running balance —
// and lists the records from their verified items (exact amount texts, not JSON floats).
import { isVericordError, verifyReceipt } from '/vendor/vericord/browser.js';

const $ = (id) => document.getElementById(id);

function show(status, headline, detail, code) {
  const box = $('result');
  Object.assign(box.dataset, { status, code });
  $('headline').textContent = headline;
  $('detail').textContent = detail;
  box.hidden = false;
}

async function publishedKeys() {
  const body = await (await fetch('/.well-known/vericord/keys')).json();
  if (body?.success !== true) throw Object.assign(new Error('this deployment publishes no keys'), { code: 'KEYS_UNAVAILABLE' });
  return body.data.keys.map((k) => k.verifierKey);
}

function list(receipt) {
  const rows = receipt.deltas.map((d) => {
    const tr = document.createElement('tr');
    for (const v of [d.sequenceNumber, d.item.receivedAt, d.item.delta, d.item.reason]) {
      const td = document.createElement('td');
      td.textContent = String(v ?? '');
      tr.append(td);
    }
    return tr;
  });
  $('records').tBodies[0].replaceChildren(...rows);
  $('records').hidden = rows.length === 0;
}

async function check() {
  $('facts').hidden = true;
  $('records').hidden = true;
  const text = $('receipt').value;
  const pinned = $('key').value.trim();
  const keys = pinned ? [pinned] : await publishedKeys();
  let cp;
  try {
    cp = verifyReceipt(text, keys);
  } catch (e) {
    if (!isVericordError(e)) throw e;
    show('failed', 'Not verified', e.message, e.code);
    return;
  }
  for (const id of ['period', 'opening', 'closing', 'count', 'origin']) $(id).textContent = String(cp[id]);
  $('keyUsed').textContent = pinned ? `pinned: ${pinned}` : `published by this deployment: ${keys.join(', ')}`;
  $('facts').hidden = false;
  list(JSON.parse(text)); // parses: verifyReceipt accepted it
  show('verified', 'Verified', `Every one of the ${cp.count} records is in the signed log, and they take the balance from ${cp.opening} to ${cp.closing}.`, 'VERIFIED');
}

$('form').addEventListener('submit', (event) => {
  event.preventDefault();
  check().catch((e) => show('error', 'Could not check the receipt', e.message, e.code ?? 'ERROR'));
});
$('file').addEventListener('change', async () => {
  const [file] = $('file').files;
  if (file) $('receipt').value = await file.text();
});
