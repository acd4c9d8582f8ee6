// What the buyer's pages share: element lookup, the verdict box, reading a vericord JSON
// route, the published signing keys, and filling a table.

export const $ = (id) => document.getElementById(id);

/** Shows the verdict: `status` (verified | failed | error) and `code` are what tests read. */
export function show(status, headline, detail = '', code = '') {
  const box = $('result');
  Object.assign(box.dataset, { status, code });
  $('headline').textContent = headline;
  $('detail').textContent = detail;
  box.hidden = false;
}

/**
 * Fetches a vericord JSON route (GET unless `init` says otherwise; cookies same-origin only);
 * its `data`, or an Error carrying the route's error `code`, the HTTP `status`, the error
 * object's other members (`details`: e.g. `policy`, `locked`) and `retryAfter` (seconds, or null).
 */
export async function getData(path, init = {}) {
  const res = await fetch(path, { credentials: 'same-origin', ...init, headers: { accept: 'application/json', ...init.headers } });
  const body = await res.json().catch(() => null);
  if (body?.success !== true) {
    const retry = Number.parseInt(res.headers.get('retry-after') ?? '', 10);
    throw Object.assign(new Error(body?.error?.message ?? `${path} answered ${res.status}`), {
      code: body?.error?.code ?? `HTTP_${res.status}`,
      status: res.status,
      details: body?.error ?? {},
      retryAfter: Number.isFinite(retry) ? retry : null,
    });
  }
  return body.data;
}

/** The verifier keys this deployment publishes (current and retired). */
export async function publishedKeys() {
  return (await getData('/.well-known/vericord/keys')).keys.map((k) => k.verifierKey);
}

/** Fills table `id` with one row per array of cell values; hides it when there are none. */
export function fillRows(id, rows) {
  const trs = rows.map((cells) => {
    const tr = document.createElement('tr');
    for (const v of cells) {
      const td = document.createElement('td');
      td.textContent = String(v ?? '');
      tr.append(td);
    }
    return tr;
  });
  $(id).tBodies[0].replaceChildren(...trs);
  $(id).hidden = trs.length === 0;
}

/** A new element with text content (never markup) and attributes. */
export function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}
