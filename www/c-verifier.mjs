// The Shared Record page's client of its verifier: a module Web Worker running the npm
// package (c-verify-worker.mjs), so large close packages are read and checked off the page's thread.

export const verifier = (() => {
  let worker;
  let next = 0;
  let dead = null;
  const pending = new Map();
  const start = () => {
    worker = new Worker('/c-verify-worker.mjs', { type: 'module' });
    worker.onmessage = ({ data }) => {
      const p = pending.get(data.id);
      if (!p) return;
      pending.delete(data.id);
      if (data.ok) p.ok(data.result);
      else p.fail(Object.assign(new Error(data.error.message), { name: data.error.name, code: data.error.code }));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      dead = Object.assign(new Error(`the verifier could not run in this browser (${e.message || 'it did not load'})`), { code: 'VERIFIER_UNAVAILABLE' });
      for (const p of pending.values()) p.fail(dead);
      pending.clear();
    };
  };
  return (op, args, transfer = []) => {
    if (!worker) start();
    if (dead) return Promise.reject(dead);
    return new Promise((ok, fail) => {
      const id = ++next;
      pending.set(id, { ok, fail });
      try {
        worker.postMessage({ id, op, args }, transfer);
      } catch (e) {
        pending.delete(id);
        fail(e); // e.g. a DataCloneError where streams cannot be transferred
      }
    });
  };
})();
