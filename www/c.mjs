// The buyer's Shared Record page, /c/<handle>. It reads the link's routes under
// /api/v1/c/<handle>/ and verifies, in a module Web Worker running the npm package, what it
// shows: the latest signed checkpoint (and, as a witness, that the log extends the one this
// browser saw last), each period's close package, and compares. What the server states
// without proof (names, the live balance) is shown as the server's word; nothing is called
// verified before the verifier said so.
import { $, el, fillRows, getData } from '/page.mjs';
import { witness } from '/witness.mjs';
import { fingerprint, label, plural } from '/c-checks.mjs';
import { accessError, showAccess, stepUp } from '/c-access.mjs';
import { compare } from '/c-compare.mjs';
import { addCheck, ahead, api, consistencyProof, failed, fetchOk, handle, inHistory, objectUrl, pinned, renderChecks, settled, state, status, verifiedVerdict } from '/c-page.mjs';
import { verifier } from '/c-verifier.mjs';

const PAGE_SIZE = 100;

// --- the record: summary, latest checkpoint, witness ---------------------------------------

function renderSummary(s) {
  const name = s.tenant?.name ?? s.recordedBy?.displayName ?? '';
  $('title').textContent = name ? `Shared record — ${name}` : 'Shared record';
  document.title = `${$('title').textContent} — vericord`;
  $('vendor').textContent = name || '—';
  $('customer').textContent = s.customer?.customerId ?? '—';
  $('reference').textContent = s.customer?.customerReference ?? '—';
  $('environment').textContent = s.environment ?? '—';
  $('balance').textContent = s.balance ?? '—';
  const c = s.counts ?? {};
  $('counts').textContent = c.records === undefined ? '—'
    : `${c.records.toLocaleString('en')} in total: ${(c.verified ?? 0).toLocaleString('en')} in the log, ${(c.pending ?? 0).toLocaleString('en')} pending, ${(c.failed ?? 0).toLocaleString('en')} failed`;
  $('account').hidden = false;
}

function renderKeys() {
  const fp = state.keys.map(fingerprint);
  $('key-info').textContent = pinned.length
    ? `Pinned in this link: ${fp.join(', ')}. The page trusts only ${pinned.length === 1 ? 'this key' : 'these keys'}.`
    : `Not pinned: the page trusts the key${fp.length === 1 ? '' : 's'} this server publishes, ${fp.join(', ')}. A server could publish a key of its own choosing, so check the key with your vendor and pin it.`;
  if (!pinned.length && state.keys.length) {
    $('pin-link').href = `${location.pathname}#key=${state.keys[0]}`;
    $('key-pin').hidden = false;
  }
  $('key-section').hidden = false;
}

/**
 * Verifies the summary's latest checkpoint and witnesses it. `{ok: true, latest}` (latest null
 * when the log has no checkpoint yet), or `{ok: false}` after saying what failed.
 */
async function checkLatest(s) {
  $('log').hidden = false;
  $('log-checks').replaceChildren();
  $('log-facts').hidden = true;
  const note = s.latestCheckpoint?.note;
  if (typeof note !== 'string') {
    addCheck('log-checks', { name: 'latest.signature', ok: false, skipped: true, detail: 'the server shows no signed checkpoint of this log yet' });
    return { ok: true, latest: null };
  }
  let cp;
  try {
    cp = await verifier('checkpoint', { note, keys: state.keys });
  } catch (e) {
    if (e.code === 'VERIFIER_UNAVAILABLE') throw e;
    addCheck('log-checks', { name: 'latest.signature', ok: false, detail: `${e.message} (${e.code})` });
    failed('the latest checkpoint', `Its signature does not verify with the trusted key: ${e.message}`, e.code);
    return { ok: false };
  }
  addCheck('log-checks', { name: 'latest.signature', ok: true, detail: `signed by ${state.keys.map(fingerprint).join(' or ')}` });
  const ref = s.customer?.customerReference ?? '';
  const ours = ref !== '' && cp.origin.endsWith(`/${ref}`);
  addCheck('log-checks', { name: 'latest.origin', ok: ours, detail: ours ? cp.origin : `the checkpoint is of log ${cp.origin}, not of customer reference ${ref}` });
  if (!ours) {
    failed('the latest checkpoint', `It is of another log (${cp.origin}) than this customer's (${ref}).`, 'ORIGIN_MISMATCH');
    return { ok: false };
  }
  const latest = { ...cp, note };
  const w = await witness(handle, latest, {
    verifierKeys: state.keys,
    fetchConsistency: consistencyProof,
    verifyConsistency: (oldSize, oldRoot, newSize, newRoot, proof) => verifier('consistency', { oldSize, oldRoot, newSize, newRoot, proof }),
  });
  const seenAt = w.seen?.verifiedAt ? ` on ${new Date(w.seen.verifiedAt).toLocaleString()}` : '';
  switch (w.state) {
    case 'first':
      addCheck('log-checks', { name: 'witness', ok: true, detail: `first visit from this browser: it now remembers this checkpoint (${plural(cp.size, 'entry', 'entries')}) and will check on later visits that the log only grows from it` });
      break;
    case 'same':
      addCheck('log-checks', { name: 'witness', ok: true, detail: `the same checkpoint this browser verified${seenAt}` });
      break;
    case 'extended':
      addCheck('log-checks', { name: 'witness', ok: true, detail: `the log grew from ${w.seen.treeSize} to ${cp.size} entries, and the server proved the new log extends the one this browser saw${seenAt}` });
      break;
    case 'off':
      addCheck('log-checks', { name: 'witness', ok: true, skipped: true, detail: 'this browser keeps no storage for the page, so it cannot compare with an earlier visit' });
      break;
    case 'error':
      addCheck('log-checks', { name: 'witness', ok: false, detail: w.reason });
      status('error', 'Could not finish checking', `This browser could not check that the log extends what it saw before: ${w.reason}. Reload to try again.`, 'WITNESS_UNCHECKED');
      return { ok: false };
    default: {
      addCheck('log-checks', { name: 'witness', ok: false, detail: w.reason });
      showEvidence(w);
      failed('the server rewrote the history this browser saw', `The server served a history that does not extend what this browser saw${seenAt}: ${w.reason}.`, 'HISTORY_REWRITTEN');
      return { ok: false };
    }
  }
  // Shown once the signature and the witness both passed: facts of the signed text itself.
  for (const [id, v] of [['cp-period', cp.period], ['cp-size', cp.size], ['cp-opening', cp.opening], ['cp-closing', cp.closing], ['cp-count', cp.count], ['cp-origin', cp.origin], ['cp-root', cp.root]]) $(id).textContent = String(v);
  $('log-facts').hidden = false;
  state.latest = latest;
  const balance = s.balance;
  if (balance !== undefined && balance === cp.closing) {
    $('balance').textContent = `${balance} — the closing balance of the latest signed checkpoint (verified)`;
  } else if (balance !== undefined) {
    $('balance').textContent = `${balance} (the server's figure; the latest signed checkpoint, after ${plural(cp.size, 'entry', 'entries')}, says ${cp.closing})`;
  }
  return { ok: true, latest };
}

function showEvidence(w) {
  const file = JSON.stringify(w.evidence, null, 2);
  const link = $('evidence-link');
  link.href = objectUrl(new Blob([file], { type: 'application/json' }), 'evidence');
  link.download = `vericord-evidence-${handle}.json`;
  $('evidence-text').textContent = `This browser saw a signed log of ${w.seen.treeSize} entries (root ${w.seen.proofRoot})${w.seen.verifiedAt ? ` on ${new Date(w.seen.verifiedAt).toLocaleString()}` : ''}. The server now serves a signed log of ${w.served.size} entries (root ${w.served.root}) that does not extend it: ${w.reason}.`;
  $('evidence').hidden = false;
}

// --- periods and their close packages ------------------------------------------------------
async function loadPeriods(more = false, early = null) {
  let data;
  try {
    data = await (early ? settled(early) : getData(`${api}/periods${more && state.nextBefore ? `?before=${encodeURIComponent(state.nextBefore)}` : ''}`));
  } catch (e) {
    if (!accessError(e)) status('error', 'Could not load the periods', e.message, e.code);
    return false;
  }
  state.periods = more ? [...state.periods, ...data.periods] : data.periods;
  state.nextBefore = data.pagination?.nextBefore ?? null;
  const select = $('period');
  const keep = select.value;
  select.replaceChildren(...state.periods.map((p) => p.status === 'closed'
    ? el('option', `${p.period} (${plural(p.totals?.recordCount ?? 0, 'record')})`, { value: p.checkpointId })
    : el('option', `${p.period} (still closing)`, { value: '', disabled: '' })));
  if (keep) select.value = keep;
  $('older').hidden = !state.nextBefore;
  $('periods').hidden = false;
  const closed = state.periods.filter((p) => p.status === 'closed');
  for (const id of ['compare-from', 'compare-to']) {
    const v = $(id).value;
    $(id).replaceChildren(...closed.map((p) => el('option', p.period, { value: p.period })));
    if (v) $(id).value = v;
  }
  if (!more && closed.length >= 2) {
    $('compare-from').value = closed[1].period;
    $('compare-to').value = closed[0].period;
  }
  $('compare').hidden = closed.length < 2;
  return closed;
}

function resetPackage() {
  state.pkgRun++;
  state.pkg = null;
  $('package-checks').replaceChildren();
  $('package-checks-title').hidden = true;
  for (const id of ['package-facts', 'records-block', 'downloads']) $(id).hidden = true;
}

function pkgStatus(s, text) {
  $('package').dataset.status = s;
  $('package-status').textContent = text;
}

/**
 * Verifies the close package answered in `res`. Its body stream goes to the verifier worker
 * (a transferable stream), so even 50 MB are read and copied there, not on this thread;
 * a browser that cannot transfer streams reads the bytes here and transfers those.
 */
async function verifyPackageResponse(res) {
  const stream = res.body;
  try {
    return await verifier('closePackage', { stream, keys: state.keys }, [stream]);
  } catch (e) {
    if (e?.name !== 'DataCloneError') throw e;
  }
  const bytes = await res.arrayBuffer();
  return verifier('closePackage', { bytes, keys: state.keys }, [bytes]);
}

const packageUrl = (p) => `${api}/close-package?checkpointId=${encodeURIComponent(p.checkpointId)}`;

/** Fetches, verifies and shows period `p`'s close package; `asked`: its response asked for ahead. */
async function loadPackage(p, asked = null) {
  resetPackage();
  const run = state.pkgRun;
  pkgStatus('loading', `Fetching the close package of ${p.period}…`);
  // The proof that the period's checkpoint is in the witnessed history, asked for meanwhile
  // at the size the server lists; used only if the verified package has that size.
  const latest = state.latest;
  const early = latest && Number.isSafeInteger(p.treeSize) && p.treeSize < latest.size
    ? { from: p.treeSize, proof: consistencyProof(p.treeSize, latest.size).then((c) => c, () => null) }
    : null;
  let res;
  try {
    const got = asked ? await settled(asked) : null;
    res = got?.checkpointId === p.checkpointId ? got.res : await fetchOk(packageUrl(p));
  } catch (e) {
    if (run !== state.pkgRun) return;
    if (accessError(e)) return;
    pkgStatus('error', `Could not fetch the close package of ${p.period}: ${e.message}`);
    status('error', 'Could not load a period', e.message, e.code);
    return;
  }
  if (run !== state.pkgRun) return;
  pkgStatus('loading', `Downloading and verifying the close package of ${p.period} in your browser…`);
  let out;
  try {
    out = await verifyPackageResponse(res);
  } catch (e) {
    if (run !== state.pkgRun) return;
    pkgStatus('error', `Could not verify the close package of ${p.period}: ${e.message}`);
    status('error', 'Could not verify a period', e.message, e.code);
    return;
  }
  // For measurements (bench/shared-record): when the whole package had arrived in the worker.
  performance.mark('vericord:close-package-received', { startTime: out.receivedAt - performance.timeOrigin, detail: { period: p.period, bytes: out.bytes } });
  if (run !== state.pkgRun) return;
  const { report, blob } = out;
  const checks = [...report.checks];
  if (report.verified) {
    const asked = report.period?.label === p.period && report.checkpoint?.checkpointId === p.checkpointId;
    checks.push({ name: 'package.request', ok: asked, detail: asked ? `${p.period}, checkpoint ${p.checkpointId}` : `the package is for ${report.period?.label} (checkpoint ${report.checkpoint?.checkpointId}), not ${p.period} (${p.checkpointId})` });
    const sameLog = !state.latest || report.checkpoint.origin === state.latest.origin;
    const h = sameLog ? await inHistory(report.checkpoint.size, report.checkpoint.root, early) : { ok: false, detail: `the package is of log ${report.checkpoint.origin}, not ${state.latest.origin}` };
    if (run !== state.pkgRun) return;
    checks.push({ name: 'package.history', ...h });
  } else {
    for (const name of ['package.request', 'package.history']) checks.push({ name, ok: false, skipped: true, detail: 'not checked: the package did not verify' });
  }
  $('package-checks-title').hidden = false;
  renderChecks('package-checks', checks);
  const bad = checks.filter((c) => !c.ok && !c.skipped);
  if (bad.length) {
    pkgStatus('failed', `The close package of ${p.period} is NOT verified: ${plural(bad.length, 'check')} failed.`);
    failed(`the close package of ${p.period}`, `${label(bad[0].name)} — failed: ${bad[0].detail}`, bad[0].name);
    return;
  }
  const s = report.summary;
  const facts = {
    'pk-period': `${report.period.label} (from ${report.period.start} to ${report.period.end}, end excluded)`,
    'pk-recorder': report.recordedBy?.displayName ?? '—',
    'pk-opening': s.opening, 'pk-credits': s.credits, 'pk-debits': s.debits, 'pk-net': s.net, 'pk-closing': s.closing,
    'pk-count': s.recordCount.toLocaleString('en'),
  };
  for (const [id, v] of Object.entries(facts)) $(id).textContent = String(v);
  $('package-facts').hidden = false;
  const customer = report.customer?.customerId ?? 'customer';
  $('dl-verified').href = objectUrl(blob, 'package');
  $('dl-verified').download = `close-package-${customer}-${p.period}.json`;
  for (const f of ['csv', 'pdf', 'bundle']) $(`dl-${f}`).href = `${api}/export?format=${f}&period=${encodeURIComponent(p.period)}`;
  $('downloads').hidden = false;
  state.pkg = { period: p.period, total: report.recordCount ?? s.recordCount, offset: 0 };
  pkgStatus('verified', `The close package of ${p.period} is verified: all ${checks.length} checks passed for its ${plural(s.recordCount, 'record')}.`);
  verifiedVerdict(state.latest
    ? `The latest signed checkpoint (${plural(state.latest.size, 'entry', 'entries')}), this browser's record of the log, and the close package of ${p.period} (${plural(s.recordCount, 'record')}, closing balance ${s.closing}) all check out.`
    : `The close package of ${p.period} (${plural(s.recordCount, 'record')}, closing balance ${s.closing}) checks out. The server shows no latest checkpoint, so this browser could not witness the log.`);
  await showRecords(0);
}

async function showRecords(offset) {
  const pkg = state.pkg;
  if (!pkg) return;
  const run = state.pkgRun;
  let page;
  try {
    page = await verifier('records', { slot: 'package', offset, limit: PAGE_SIZE });
  } catch (e) {
    $('page-info').textContent = `Could not show the records: ${e.message}`;
    return;
  }
  if (run !== state.pkgRun) return;
  pkg.offset = offset;
  pkg.total = page.total;
  fillRows('records', page.rows.map((r) => [r.seq, r.receivedBeforePeriod ? `${r.receivedAt} (before the period: carried over)` : r.receivedAt, r.delta, r.reason, r.referenceId, r.balanceAfter]));
  $('records').hidden = false;
  $('page-info').textContent = page.total === 0 ? 'No records in this period.'
    : `Records ${(offset + 1).toLocaleString('en')}–${(offset + page.rows.length).toLocaleString('en')} of ${page.total.toLocaleString('en')}`;
  $('prev').disabled = offset === 0;
  $('next').disabled = offset + PAGE_SIZE >= page.total;
  $('records-block').hidden = false;
}

// --- the whole page ------------------------------------------------------------------------

/** Loads and verifies the record; `early`: the summary asked for ahead (see `ahead`). */
async function load(early = null) {
  let s;
  try {
    s = await settled(early ?? ahead(getData(api)));
  } catch (e) {
    if (!accessError(e)) status('error', 'Could not load this shared record', e.message, e.code);
    return;
  }
  state.summary = s;
  $('access').hidden = true;
  renderSummary(s);
  // With access, the periods are asked for while the checkpoint is being checked.
  const open = !s.access?.required || s.access?.granted;
  const periods = open ? ahead(getData(`${api}/periods`)) : null;
  // …and so is the newest period's close package (verified only after the checkpoint).
  const abort = new AbortController();
  const firstPackage = periods && ahead(settled(periods).then((d) => {
    const p = d.periods.find((x) => x.status === 'closed');
    return p ? fetchOk(packageUrl(p), { signal: abort.signal }).then((res) => ({ checkpointId: p.checkpointId, res })) : null;
  }));
  const { ok, latest } = await checkLatest(s);
  if (!ok) {
    abort.abort();
    return;
  }
  if (!open) {
    showAccess(s.access.locked === true);
    return;
  }
  const closed = await loadPeriods(false, periods);
  if (closed === false) return;
  if (closed.length === 0) {
    if (latest) verifiedVerdict(`The latest signed checkpoint (${plural(latest.size, 'entry', 'entries')}) and this browser's record of the log check out. No period has closed yet.`);
    else status('error', 'Nothing to verify yet', 'This log has no signed checkpoint and no closed period yet; come back after the vendor closes a period.', 'NO_CHECKPOINT');
    return;
  }
  $('period').value = closed[0].checkpointId;
  await loadPackage(closed[0], firstPackage);
}

async function main() {
  if (!/^cus_[a-z2-7]{32}$/.test(handle)) {
    status('not-found', 'This is not a shared record link', 'A shared record link ends in /c/cus_ and 32 letters and digits.', 'LINK_NOT_FOUND');
    return;
  }
  // The verifier (its wasm) loads while the keys and the summary are on their way.
  verifier('ready').catch(() => {});
  const summary = ahead(getData(api));
  if (pinned.length) state.keys = pinned;
  else state.keys = (await getData('/.well-known/vericord/keys')).keys.map((k) => k.verifierKey);
  renderKeys();
  await load(summary);
}

$('access-form').addEventListener('submit', (e) => stepUp(e, load).catch(crash));
$('compare-form').addEventListener('submit', (e) => compare(e).catch(crash));
$('period').addEventListener('change', () => {
  const p = state.periods.find((x) => x.checkpointId === $('period').value);
  if (p) loadPackage(p).catch(crash);
});
$('older').addEventListener('click', () => loadPeriods(true).catch(crash));
$('prev').addEventListener('click', () => showRecords(Math.max(0, (state.pkg?.offset ?? 0) - PAGE_SIZE)).catch(crash));
$('next').addEventListener('click', () => showRecords((state.pkg?.offset ?? 0) + PAGE_SIZE).catch(crash));
$('code').addEventListener('input', () => {
  $('code').removeAttribute('aria-invalid');
});
// A pinned key is part of the fragment: following the pin link (or editing it) starts over.
addEventListener('hashchange', () => location.reload());

function crash(e) {
  status('error', 'Could not check this shared record', e.message, e.code ?? 'ERROR');
}

main().catch(crash);
