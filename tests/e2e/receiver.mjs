// A local webhook receiver for the end-to-end suites.
import { createServer } from 'node:http';

/** A local webhook receiver: records every request; per path, can fail or hang the next N. */
export async function startReceiver() {
  const requests = [];
  const plans = new Map(); // path -> { fail, hang }
  const secrets = new Map(); // path -> secrets valid now, current first
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const plan = plans.get(req.url) ?? { fail: 0, hang: 0 };
      let answer = 200;
      if (plan.hang > 0) { plan.hang--; answer = 'hang'; } else if (plan.fail > 0) { plan.fail--; answer = 500; }
      requests.push({
        path: req.url, method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'),
        receivedAtMs: Date.now(), answer, secrets: [...(secrets.get(req.url) ?? [])],
      });
      if (answer === 'hang') return; // never answer: the Worker must give up on its own
      res.writeHead(answer, { 'content-type': 'application/json' });
      res.end(answer === 200 ? '{"received":true}' : '{"error":"try again"}');
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    url: (path) => `${base}${path}`,
    requests,
    at: (path) => requests.filter((r) => r.path === path),
    plan: (path, p) => plans.set(path, { fail: 0, hang: 0, ...p }),
    secrets: (path, list) => secrets.set(path, list),
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}
