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

/** GET a vericord JSON route; its `data`, or an Error carrying the route's error code. */
export async function getData(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (body?.success !== true) {
    throw Object.assign(new Error(body?.error?.message ?? `${path} answered ${res.status}`), {
      code: body?.error?.code ?? `HTTP_${res.status}`,
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
