// The receipt checker: verifies a pasted customer receipt whole with the npm package —
// signed checkpoint, every record's item, entry and inclusion proof, and the running balance —
// and lists the records from their verified items (exact amount texts, not JSON floats).
import { isVericordError, verifyReceipt } from '/vendor/vericord/browser.js';
import { $, fillRows, publishedKeys, show } from '/page.mjs';

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
  // It parses: verifyReceipt accepted it. Amounts and reasons come from the verified items.
  fillRows('records', JSON.parse(text).deltas.map((d) => [d.sequenceNumber, d.item.receivedAt, d.item.delta, d.item.reason]));
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
