// What the parts of the Shared Record page (/c/<handle>) share: the link, the keys and state,
// the verdict, and the requests and proofs more than one part makes.
import { $, getData } from '/page.mjs';
import { checkItem, plural } from '/c-checks.mjs';
import { verifier } from '/c-verifier.mjs';

export const handle = (() => {
  try {
    return decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '').toLowerCase();
  } catch {
    return ''; // not percent-decodable: not a handle (main says so)
  }
})();
export const api = `/api/v1/c/${encodeURIComponent(handle)}`;
// `#key=<verifierKey>` pins the key (repeatable). Verifier keys have no spaces; a `+` read
// through URLSearchParams comes back as one.
export const pinned = new URLSearchParams(location.hash.slice(1)).getAll('key').map((k) => k.trim().replaceAll(' ', '+')).filter(Boolean);

export const state = {
  keys: [],
  summary: null,
  latest: null, // the latest checkpoint, as verified: {size, root, origin, note, period, …}
  periods: [],
  nextBefore: null,
  failures: [], // [{what, why}]: once something failed to verify, the page says so
  pkg: null, // {period, total, offset}
  pkgRun: 0,
  urls: {},
};

// --- the verdict ---------------------------------------------------------------------------

/** The verdict: `status` (loading | verified | failed | code-required | locked | revoked | not-found | error). */
export function status(s, headline, detail = '', code = '') {
  const box = $('status');
  Object.assign(box.dataset, { status: s, code });
  $('headline').textContent = headline;
  $('detail').textContent = detail;
}

export function renderChecks(id, checks) {
  $(id).replaceChildren(...checks.map((c) => checkItem(c, pinned.length > 0)));
}

export function addCheck(id, c) {
  const list = $(id);
  list.querySelector(`[data-check="${CSS.escape(c.name)}"]`)?.remove();
  list.append(checkItem(c, pinned.length > 0));
}

/** Records a verification failure; the page's verdict stays failed from then on. */
export function failed(what, why, code = 'NOT_VERIFIED') {
  state.failures.push({ what, why });
  const more = state.failures.length > 1 ? ` (and ${plural(state.failures.length - 1, 'other failure')})` : '';
  status('failed', `Not verified: ${state.failures[0].what}`, `${state.failures[0].why}${more}`, code);
}

export function verifiedVerdict(detail) {
  if (state.failures.length) return; // a failure seen stays the verdict
  status('verified', 'Verified in your browser', detail, 'VERIFIED');
  // For measurements (bench/shared-record): when the page first said verified.
  if (performance.getEntriesByName('vericord:verified').length === 0) performance.mark('vericord:verified');
}

/** A blob: URL for a download, replacing the previous one of the same link. */
export function objectUrl(blob, id) {
  if (state.urls[id]) URL.revokeObjectURL(state.urls[id]);
  state.urls[id] = URL.createObjectURL(blob);
  return state.urls[id];
}

// --- requests and proofs -------------------------------------------------------------------

/** A request started ahead: a promise that never rejects, `{data}` or `{error}`. */
export const ahead = (promise) => promise.then((data) => ({ data }), (error) => ({ error }));
export const settled = async (p) => {
  const r = await p;
  if (r.error) throw r.error;
  return r.data;
};

/** Fetches `url`; its Response, or an Error like getData's when it is not a 200. */
export async function fetchOk(url, init = {}) {
  const res = await fetch(url, { credentials: 'same-origin', ...init });
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    const retry = Number.parseInt(res.headers.get('retry-after') ?? '', 10);
    throw Object.assign(new Error(body?.error?.message ?? `${url} answered ${res.status}`), {
      code: body?.error?.code ?? `HTTP_${res.status}`, status: res.status, details: body?.error ?? {}, retryAfter: Number.isFinite(retry) ? retry : null,
    });
  }
  return res;
}

export const consistencyProof = (from, to) => getData(`${api}/consistency?from=${from}&to=${to}`);

/**
 * Proves the checkpoint (size, root) is in the witnessed history: a prefix of the latest.
 * `early`: `{from, proof}`, a proof asked for ahead (a promise of it, or of null).
 */
export async function inHistory(size, root, early = null) {
  const latest = state.latest;
  if (!latest) return { ok: true, skipped: true, detail: 'the server shows no latest checkpoint to compare it with' };
  if (size > latest.size) return { ok: false, detail: `it has ${size} entries, more than the latest checkpoint's ${latest.size}` };
  if (size === latest.size) {
    return root === latest.root ? { ok: true, detail: 'it is the latest checkpoint' } : { ok: false, detail: `same size as the latest checkpoint (${size}) but another root` };
  }
  try {
    const c = (early?.from === size ? await early.proof : null) ?? await consistencyProof(size, latest.size);
    await verifier('consistency', { oldSize: size, oldRoot: root, newSize: latest.size, newRoot: latest.root, proof: c.proof });
  } catch (e) {
    return { ok: false, detail: `no valid consistency proof from ${size} to ${latest.size} entries: ${e.message}` };
  }
  return { ok: true, detail: `the latest checkpoint (${latest.size} entries) provably extends it (${size} entries)` };
}
