// The Shared Record page's comparison of two closed periods, verified in the browser.
import { $ } from '/page.mjs';
import { label, plural } from '/c-checks.mjs';
import { accessError } from '/c-access.mjs';
import { api, failed, fetchOk, inHistory, renderChecks, state } from '/c-page.mjs';
import { verifier } from '/c-verifier.mjs';

export async function compare(event) {
  event.preventDefault();
  const from = $('compare-from').value;
  const to = $('compare-to').value;
  const error = $('compare-error');
  error.hidden = true;
  if (!from || !to || from >= to) {
    error.textContent = from === to ? 'Pick two different periods.' : 'Pick the earlier period first, then the later one.';
    error.hidden = false;
    return;
  }
  $('compare-checks').replaceChildren();
  $('compare-facts').hidden = true;
  const box = $('compare-result');
  const say = (s, text) => {
    box.dataset.status = s;
    $('compare-status').textContent = text;
  };
  say('loading', `Comparing ${from} with ${to}…`);
  $('compare-run').disabled = true;
  try {
    let bytes;
    try {
      bytes = await (await fetchOk(`${api}/compare`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ from, to }) })).arrayBuffer();
    } catch (e) {
      if (!accessError(e)) say('error', `Could not compare: ${e.message}`);
      return;
    }
    let report;
    try {
      ({ report } = await verifier('compare', { bytes, keys: state.keys }, [bytes]));
    } catch (e) {
      say('error', `Could not verify the comparison: ${e.message}`);
      return;
    }
    const checks = [...report.checks];
    if (report.verified) {
      const asked = report.previous?.period === from && report.checkpoint?.period === to;
      checks.push({ name: 'compare.request', ok: asked, detail: asked ? `from the end of ${from} to the end of ${to}` : `the comparison is from ${report.previous?.period} to ${report.checkpoint?.period}` });
      const sameLog = !state.latest || report.checkpoint.origin === state.latest.origin;
      const h = sameLog ? await inHistory(report.checkpoint.size, report.checkpoint.root) : { ok: false, detail: `the comparison is of log ${report.checkpoint.origin}, not ${state.latest.origin}` };
      checks.push({ name: 'compare.history', ...h });
    } else {
      for (const name of ['compare.request', 'compare.history']) checks.push({ name, ok: false, skipped: true, detail: 'not checked: the comparison did not verify' });
    }
    renderChecks('compare-checks', checks);
    const bad = checks.filter((c) => !c.ok && !c.skipped);
    if (bad.length) {
      say('failed', `The comparison of ${from} with ${to} is NOT verified: ${plural(bad.length, 'check')} failed.`);
      failed(`the comparison of ${from} with ${to}`, `${label(bad[0].name)} — failed: ${bad[0].detail}`, bad[0].name);
      return;
    }
    const d = report.differences;
    for (const [id, v] of [['cmp-entries', d.entries], ['cmp-balance', d.balance], ['cmp-credits', d.credits], ['cmp-debits', d.debits]]) $(id).textContent = String(v);
    $('compare-facts').hidden = false;
    say('verified', `Verified: from the end of ${from} to the end of ${to} the log gained ${plural(d.entries, 'entry', 'entries')} and the balance changed by ${d.balance}.`);
  } finally {
    $('compare-run').disabled = false;
  }
}
