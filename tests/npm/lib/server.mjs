// A tiny static file server on 127.0.0.1 for the Chromium test: URL-prefix
// mounts onto directories, plus in-memory pages. `.wasm` is served as
// application/wasm so browsers can compile it while streaming.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
};

/** mounts: {'/prefix/': dir}; pages: {'/path': text}. Resolves to {url, close}. */
export function serve(mounts, pages = {}) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      return body;
    };
    if (path in pages) return res.end(send(200, TYPES[extname(path)] ?? 'text/plain', pages[path]));
    const prefix = prefixes.find((p) => path.startsWith(p));
    const root = prefix && resolve(mounts[prefix]);
    const file = root && resolve(join(root, path.slice(prefix.length)));
    const inside = file && (file + sep).startsWith(root + sep) && statSync(file, { throwIfNoEntry: false })?.isFile();
    if (!inside) return res.end(send(404, 'text/plain', `not found: ${path}`));
    send(200, TYPES[extname(file)] ?? 'application/octet-stream');
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() });
    });
  });
}
