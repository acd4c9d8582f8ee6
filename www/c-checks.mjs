// How the Shared Record page (c.mjs) says things: every check's name in plain words, one
// check as a list item, counts and waiting times in words. No state: only what it is given.
import { el } from '/page.mjs';

const LABELS = {
  format: 'The document is complete and well formed',
  'checkpoint.signature': "The period's closing checkpoint is signed by the trusted key",
  'previous.signature': "The previous period's closing checkpoint is signed by the trusted key",
  'manifest.signature': "The package's manifest is signed by the trusted key",
  'manifest.fields': 'The signed manifest covers the package as it is',
  'checkpoint.origin': "The checkpoints are of this customer's log",
  period: 'The period and its dates agree with the signed checkpoint',
  identity: 'The customer reference belongs to this customer and vendor',
  consistency: 'The log at the end extends the log at the start (nothing rewritten)',
  'range.start': 'The records start where the earlier checkpoint ends',
  'range.frontier': 'The log before the records folds to the earlier signed root',
  opening: "The opening balance is the log's own",
  'records.count': 'The number of records is the signed count',
  'records.seq': 'Every record is in its place in the log',
  'records.itemHash': "Every record's content matches its hash",
  'records.identity': 'Every record names this customer and vendor',
  'records.amount': 'Every amount is an exact decimal',
  'records.balance': 'The running balance adds up record by record',
  'records.entryHash': 'Every log entry matches its record and balance',
  'records.period': 'Every record belongs in the period',
  'range.root': "The records are exactly the signed log's entries, none added, dropped or reordered",
  closing: 'The closing balance is the signed one',
  summary: 'The totals add up',
  'from.signature': 'The earlier checkpoint is signed by the trusted key',
  'to.signature': 'The later checkpoint is signed by the trusted key',
  differences: 'The differences add up',
  // The page's own checks.
  'latest.signature': 'The latest checkpoint is signed by the trusted key',
  'latest.origin': "The latest checkpoint is of this customer's log",
  witness: 'The log extends the history this browser saw before',
  'package.request': 'The package is the period you picked',
  'package.history': 'The period is part of the history this browser witnessed',
  'compare.request': 'The comparison is between the periods you picked',
  'compare.history': 'The comparison is part of the history this browser witnessed',
};

/** A check's name in plain words. */
export const label = (name) => LABELS[name] ?? name;

export const fingerprint = (key) => key.split('+').slice(0, 2).join('+');
export const plural = (n, one, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** "2 minutes", "1 hour 5 minutes": Retry-After seconds in words. */
export function inWords(seconds) {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return plural(s, 'second');
  const m = Math.ceil(s / 60);
  if (m < 60) return plural(m, 'minute');
  const h = Math.floor(m / 60);
  return m % 60 ? `${plural(h, 'hour')} ${plural(m % 60, 'minute')}` : plural(h, 'hour');
}

/** One check: `{name, ok, detail, skipped?}`, in plain words, with its name for the record;
 * `keysPinned`: whether the link pinned the keys the verifier was given. */
export function checkItem(c, keysPinned) {
  const li = el('li', undefined, { 'data-check': c.name, 'data-ok': String(c.ok) });
  if (c.skipped) li.dataset.skipped = 'true';
  li.append(
    el('span', c.ok ? '✓' : '✗', { class: 'mark', 'aria-hidden': 'true' }),
    el('strong', c.skipped ? 'Not checked:' : c.ok ? 'Passed:' : 'Failed:'),
    ' ',
    el('span', label(c.name), { class: 'check-label' }),
  );
  // The verifier calls the keys it was given "pinned"; unless the link pinned them, they are
  // the ones this server publishes.
  const detail = keysPinned ? c.detail : c.detail?.replaceAll('(pinned)', '(the key this server publishes)');
  if (detail) li.append(el('span', detail, { class: 'check-detail' }));
  li.append(el('code', c.name, { class: 'check-name' }));
  return li;
}
