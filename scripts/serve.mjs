#!/usr/bin/env node
// Serves the built Worker (worker/build) on workerd through Miniflare's Node API: the same
// bindings, assets and local D1 as `wrangler dev`, read from wrangler.toml, but with no dev
// proxy in front. wrangler dev's proxy → Worker hop can answer a request on a pooled connection
// with a spurious 503 or park it when both ends' 5 s keep-alive timers meet
// (cloudflare/workers-sdk#14641); here the client talks to workerd's own socket.
//
//   node scripts/serve.mjs [--port N] [--ip A] [--persist-to DIR] [--var K:V]… [--cron]
//                          [--log-level none|error|warn|info|debug]
//
// --port 0 (the default) lets workerd pick a free port, so two servers never race for one.
// Prints `ready <url>` on stdout once it answers. --cron runs the configured crons at every
// minute boundary, as Cloudflare does (wrangler dev never runs them). SIGUSR2 runs the cron
// handler at once. Started with an IPC channel (the test harness), a message {id, scheduled: cron}
// runs it once and is answered with {id, outcome}. (Miniflare's /cdn-cgi/handler/scheduled would
// reach the static-assets router in front of the Worker, which has no scheduled handler.)
import { Miniflare, Log, LogLevel } from 'miniflare';
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from 'wrangler';
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
  host: opts.ip,
  port: Number(opts.port),
  // The layout `wrangler dev --persist-to` and `wrangler d1 … --local --persist-to` use.
  d1Persist: join(persist, 'v3/d1'),
  cachePersist: join(persist, 'v3/cache'),
  cf: false, // offline: no fetch of Cloudflare's request metadata
  log: new Log(level),
});
const url = await mf.ready;
const worker = await mf.getWorker(config.name);
process.stdout.write(`ready ${url.origin}\n`);

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
