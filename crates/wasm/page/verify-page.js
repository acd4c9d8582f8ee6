// The self-verifying close-package page (a bundle's verify.html). scripts/build-npm bundles
// this module with the package's own web glue and API into the one inline script of
// close-package-verify.html; the Worker fills that template's two data elements per bundle:
// the wasm as base64, and the package's JSON text (every `<` written as `\u003c`). Opened
// from file:// with no network, the page instantiates the wasm from those bytes (no fetch),
// verifies the embedded package and shows the report. Package data only ever reaches the
// page as textContent.
import init from '../pkg/vericord_wasm.js';
import { verifyClosePackage } from '../pkg/api.js';

/** Rows shown in the record table; the report's checks cover every record. */
const MAX_ROWS = 1000;

const $ = (id) => document.getElementById(id);

/** A new element with text content (never markup) and attributes. */
function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** Standard base64 (whitespace allowed) to bytes. */
function decodeBase64(text) {
  const bin = atob(text.replace(/\s+/g, ''));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The verdict box: `status` (verified | failed | error) and `code` are what tests read. */
function verdict(status, code, headline, detail) {
  const box = $('result');
  box.dataset.status = status;
  box.dataset.code = code;
  $('headline').textContent = headline;
  $('detail').textContent = detail;
}

function showError(e) {
  for (const id of ['keys', 'report', 'facts-section', 'records-section']) $(id).hidden = true;
  verdict('error', e?.code ?? 'PAGE_ERROR', 'Could not run the verifier', String(e?.message ?? e));
}

function renderChecks(checks) {
  $('checks').replaceChildren(
    ...checks.map((c) => {
      const li = el('li', undefined, { 'data-check': c.name, 'data-ok': String(c.ok) });
      li.append(el('span', c.ok ? '✓' : '✗', { class: 'mark', 'aria-label': c.ok ? 'passed' : 'failed' }));
      li.append(el('code', c.name), el('span', c.detail, { class: 'check-detail' }));
      return li;
    }),
  );
}

function renderKeys(report) {
  const note = $('keys-note');
  note.hidden = report.keysPinned;
  $('keys-used').replaceChildren(
    ...report.keys.map((k) => {
      const li = el('li');
      li.append(el('code', k));
      return li;
    }),
  );
  $('keys-pinned').hidden = !report.keysPinned;
  $('keys-pinned-key').textContent = report.keys.join(', ');
}

function renderFacts(report) {
  const { period, customer, recordedBy, summary, checkpoint, previous } = report;
  const facts = [
    ['Period', `${period.label} (from ${period.start} to ${period.end}, end excluded)`],
    ['Customer', `${customer.customerId} (reference ${customer.customerReference})`],
    ['Environment', report.environment],
    ['Recorded by', `${recordedBy.displayName} (${recordedBy.type} ${recordedBy.id})`],
    ['Opening balance', summary.opening],
    ['Credits', summary.credits],
    ['Debits', summary.debits],
    ['Net', summary.net],
    ['Closing balance', summary.closing],
    ['Records', summary.recordCount],
    ['Checkpoint', `${checkpoint.checkpointId}: root ${checkpoint.root}, log size ${checkpoint.size}`],
    ['Log', checkpoint.origin],
    ['Previous checkpoint', previous ? `${previous.checkpointId}: root ${previous.root}, log size ${previous.size}` : "none: the log's first period"],
    ['Signing key', report.key ?? ''],
  ];
  $('facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
}

function renderRecords(pkgText) {
  // Only for a verified package: its records are then exactly the log's entries.
  const records = JSON.parse(pkgText).records;
  const rows = records.slice(0, MAX_ROWS).map((r) => {
    const tr = el('tr');
    for (const v of [r.seq, r.item.receivedAt, r.item.delta, r.item.reason, r.balanceAfter]) tr.append(el('td', v));
    if (r.receivedBeforePeriod) tr.dataset.carriedOver = 'true';
    return tr;
  });
  $('records').tBodies[0].replaceChildren(...rows);
  $('records').hidden = rows.length === 0;
  const capped = records.length > MAX_ROWS;
  $('records-note').textContent =
    records.length === 0
      ? 'The period has no records.'
      : capped
        ? `Showing the first ${MAX_ROWS.toLocaleString('en')} of ${records.length.toLocaleString('en')} records; the checks above cover all of them.`
        : `All ${records.length.toLocaleString('en')} records of the period, in log order.`;
}

function render(report, pkgText) {
  renderChecks(report.checks);
  renderKeys(report);
  $('keys').hidden = false;
  $('report').hidden = false;
  $('result').dataset.keys = report.keysPinned ? 'pinned' : 'own';
  if (report.verified) {
    const { customer, period, summary, recordedBy } = report;
    verdict(
      'verified',
      '',
      report.keysPinned
        ? 'Verified: this close package is intact and signed by the key you pinned.'
        : "Verified: this close package is intact (against its own keys: pin the vendor's key to know who signed it).",
      `${summary.recordCount} records of ${customer.customerId} for ${period.label}, recorded by ${recordedBy.displayName}, ` +
        `are exactly the log's entries of the period and add up from ${summary.opening} to ${summary.closing}.`,
    );
    document.title = `Verified: close package ${period.label}, ${customer.customerId}`;
    renderFacts(report);
    renderRecords(pkgText);
  } else {
    const first = report.checks.find((c) => !c.ok);
    const failed = report.checks.filter((c) => !c.ok && !c.detail.startsWith('not checked:'));
    verdict(
      'failed',
      first?.name ?? '',
      `Not verified: check ${first?.name} failed.`,
      `${first?.detail ?? ''}${failed.length > 1 ? ` (failed checks: ${failed.map((c) => c.name).join(', ')})` : ''}`,
    );
    document.title = 'NOT verified: close package';
  }
  $('facts-section').hidden = !report.verified;
  $('records-section').hidden = !report.verified;
}

function run(pkgText, keys) {
  let report;
  try {
    report = verifyClosePackage(pkgText, keys);
  } catch (e) {
    // A malformed pinned key: nothing was verified.
    showError(e);
    return;
  }
  render(report, pkgText);
}

async function main() {
  const wasm = $('vericord-wasm').textContent.trim();
  const pkgText = $('vericord-package').textContent;
  // The markers themselves must not appear in this script (the Worker replaces them): match a prefix.
  if (wasm.startsWith('__VERICORD_') || pkgText.trim().startsWith('__VERICORD_')) {
    throw Object.assign(new Error('this is the unfilled verify.html template: no package is embedded'), { code: 'TEMPLATE_UNFILLED' });
  }
  // Bytes, not a URL: the glue instantiates them directly and never fetches.
  await init({ module_or_path: decodeBase64(wasm) });
  run(pkgText, []);
  $('pin').hidden = false;
  $('pin').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const key = $('pin-key').value.trim();
    run(pkgText, key ? [key] : []);
  });
}

main().catch(showError);
