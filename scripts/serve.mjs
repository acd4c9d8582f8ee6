#!/usr/bin/env node
// Serves the built Worker (worker/build) on workerd through Miniflare's Node API: the same
// bindings, assets and local D1 as `wrangler dev`, read from wrangler.toml, without its dev
// proxy. wrangler dev's proxy → Worker hop can answer a request on a pooled connection with a
// spurious 503 or park it when both ends' 5 s keep-alive timers meet
// (cloudflare/workers-sdk#14641).
//
// workerd's own socket closes a connection idle for 5 s without announcing it, so a client
// that keeps connections longer (Python's urllib3, the SDK's, does) and sends at that moment
// loses the request (ECONNRESET, never seen by the Worker). So clients talk to a Node server
// here that keeps idle connections 120 s and says so (`Keep-Alive: timeout=120`), and hands each
// request to workerd on a connection of its own (loopback, never reused): no connection is
// ever closed under a request on either hop. --direct serves workerd's socket instead (the
// keep-alive experiment measures both).
//
//   node scripts/serve.mjs [--port N] [--ip A] [--persist-to DIR] [--var K:V]… [--cron]
//                          [--log-level none|error|warn|info|debug] [--direct]
//
// --port 0 (the default) lets workerd pick a free port, so two servers never race for one.
// Prints `ready <url>` on stdout once it answers. --cron runs the configured crons at every
// minute boundary, as Cloudflare does (wrangler dev never runs them). SIGUSR2 runs the cron
// handler at once. Started with an IPC channel (the test harness), a message {id, scheduled: cron}
// runs it once and is answered with {id, outcome}. (Miniflare's /cdn-cgi/handler/scheduled would
// reach the static-assets router in front of the Worker, which has no scheduled handler.)
import { Miniflare, Log, LogLevel } from 'miniflare';
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from 'wrangler';
import { createServer, request as forward } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    ip: { type: 'string', default: '127.0.0.1' },
    'persist-to': { type: 'string', default: join(ROOT, '.wrangler/state') },
    var: { type: 'string', multiple: true, default: [] },
    cron: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    direct: { type: 'boolean', default: false },
  },
});

const configPath = join(ROOT, 'wrangler.toml');
const config = unstable_readConfig({ config: configPath });
const { workerOptions, main } = unstable_getMiniflareWorkerOptions(config);
const vars = Object.fromEntries(opts.var.map((kv) => {
  const at = kv.indexOf(':');
  if (at < 1) throw new Error(`--var wants KEY:VALUE, got ${JSON.stringify(kv)}`);
  return [kv.slice(0, at), kv.slice(at + 1)];
}));
const level = LogLevel[opts['log-level'].toUpperCase()];
if (level === undefined) throw new Error(`unknown --log-level ${opts['log-level']}`);
const persist = resolve(opts['persist-to']);

const mf = new Miniflare({
  ...workerOptions,
  name: config.name,
  modules: true,
  scriptPath: main,
  bindings: { ...workerOptions.bindings, ...vars },
  host: opts.direct ? opts.ip : '127.0.0.1',
  port: opts.direct ? Number(opts.port) : 0,
  // The layout `wrangler dev --persist-to` and `wrangler d1 … --local --persist-to` use.
  d1Persist: join(persist, 'v3/d1'),
  cachePersist: join(persist, 'v3/cache'),
  cf: false, // offline: no fetch of Cloudflare's request metadata
  log: new Log(level),
});
const url = await mf.ready;
const worker = await mf.getWorker(config.name);
process.stdout.write(`ready ${opts.direct ? url.origin : await front(url)}\n`);

/** The client-facing server: long announced keep-alive, one fresh workerd connection per request. */
async function front(upstream) {
  // Hop-by-hop headers belong to each connection, not to the request.
  const hop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
  const pass = (raw) => raw.flatMap((v, i) => (i % 2 === 0 && !hop.has(v.toLowerCase()) ? [v, raw[i + 1]] : []));
  const server = createServer((req, res) => {
    const headers = pass(req.rawHeaders);
    if (req.headers['transfer-encoding']) headers.push('transfer-encoding', 'chunked');
    const up = forward({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
      // keep-alive, though the socket is dropped after this one answer: workerd then reads
      // what the Worker left of the body instead of resetting the connection under its answer.
      headers: [...headers, 'connection', 'keep-alive'], agent: false,
    }, (upRes) => {
      res.writeHead(upRes.statusCode, upRes.statusMessage, pass(upRes.rawHeaders));
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
      upRes.on('end', () => up.destroy());
    });
    up.on('error', (e) => {
      // workerd went away under the request (stopped or killed): say so, never hang.
      if (res.headersSent) return res.destroy();
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: false, error: { code: 'RUNTIME_UNAVAILABLE', message: `local runtime: ${e.code ?? e.message}`, field: null } }));
    });
    req.pipe(up);
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
  });
  // What Node's parser refuses never reaches the Worker: answer it as the Worker answers bad input.
  server.on('clientError', (e, socket) => {
    if (!socket.writable || e.code === 'ECONNRESET') return socket.destroy();
    const [status, text] = e.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
    const body = JSON.stringify({ success: false, error: { code: 'BAD_REQUEST', message: `malformed HTTP request (${e.code ?? 'parse error'})`, field: null } });
    socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0; // as workerd: a long upload or a slow client is not cut off
  await new Promise((ok, fail) => server.once('error', fail).listen(Number(opts.port), opts.ip, ok));
  const { address, port } = server.address();
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

const scheduled = async (cron) => {
  const { outcome } = await worker.scheduled({ cron, scheduledTime: new Date() });
  return outcome;
};

if (opts.cron) {
  const crons = config.triggers?.crons ?? [];
  for (const cron of crons) {
    if (cron !== '* * * * *') console.warn(`# cron ${JSON.stringify(cron)} is not run locally (only "* * * * *" is)`);
  }
  const tick = () => {
    setTimeout(tick, 60_000 - (Date.now() % 60_000));
    for (const cron of crons.filter((c) => c === '* * * * *')) {
      scheduled(cron).catch((e) => console.error(`# scheduled ${cron}: ${e?.stack ?? e}`));
    }
  };
  setTimeout(tick, 60_000 - (Date.now() % 60_000));
}

process.on('SIGUSR2', () => {
  scheduled('* * * * *').then((o) => console.log(`# scheduled: ${o}`), (e) => console.error(`# scheduled: ${e?.stack ?? e}`));
});
process.on('message', async ({ id, scheduled: cron }) => {
  try {
    process.send({ id, outcome: await scheduled(cron ?? '* * * * *') });
  } catch (e) {
    process.send({ id, error: String(e?.stack ?? e) });
  }
});

const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
