// Builds the self-verifying page template, close-package-verify.html, from
// close-package-verify.html (this directory) and verify-page.js bundled with esbuild into its
// one inline script. Run by scripts/build-npm after the package is assembled in pkg/:
//
//   node crates/wasm/page/build.mjs <out.html>
//
// The Worker fills the output's two markers per bundle (worker/src/close/bundle.rs): it splits
// at the package marker and replaces the wasm marker, so each must occur exactly once, in its
// data element, and nowhere in the script. Fails on anything that could load from elsewhere.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const WASM_MARK = '__VERICORD_WASM_BASE64__';
const PACKAGE_MARK = '__VERICORD_PACKAGE_JSON__';
const here = new URL('.', import.meta.url);
const out = process.argv[2];
const die = (why) => {
  console.error(`page/build.mjs: ${why}`);
  process.exit(1);
};
if (!out) die('usage: build.mjs <out.html>');

const count = (text, what) => text.split(what).length - 1;
const sha256 = (text) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;

const bundled = await build({
  entryPoints: [new URL('verify-page.js', here).pathname],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
});
const script = bundled.outputFiles[0].text.trim();
for (const bad of [WASM_MARK, PACKAGE_MARK]) if (script.includes(bad)) die(`the script contains the marker ${bad}`);
// Inside <script>, these would end the element or change how it parses.
if (/<\/script|<!--|<script/i.test(script)) die('the script contains </script, <script or <!--');
if (/\bimport\s*\(|\bimport\s*[{*\w]/.test(script.replace(/import\.meta/g, ''))) die('the bundle still imports a module');

let html = readFileSync(new URL('close-package-verify.html', here), 'utf8');
for (const [mark, n] of [[WASM_MARK, 1], [PACKAGE_MARK, 1], ['@@SCRIPT@@', 1], ['@@SCRIPT_HASH@@', 1], ['@@STYLE_HASH@@', 1]]) {
  if (count(html, mark) !== n) die(`the template must contain ${mark} exactly ${n} time(s)`);
}
if (count(html, '<style>') !== 1) die('the template must have exactly one <style>');
const style = html.slice(html.indexOf('<style>') + 7, html.indexOf('</style>'));
html = html
  .replace('@@SCRIPT_HASH@@', sha256(script))
  .replace('@@STYLE_HASH@@', sha256(style))
  .replace('@@SCRIPT@@', () => script);

// Self-contained: no attribute that loads anything but a data: URL, no external script or style.
const refs = [...html.matchAll(/\s(?:src|href|action|srcset|poster|data)\s*=\s*["']?([^"'\s>]*)/gi)]
  .filter((m) => !m[1].startsWith('data:'))
  .map((m) => m[0].trim());
if (refs.length) die(`the page refers to other resources: ${refs.join(', ')}`);
if (/@import|url\(/i.test(style)) die('the style loads something');
if (/<(?:link|iframe|object|embed|img|audio|video|source)\b(?![^>]*href="data:)/i.test(html)) die('the page embeds or links another resource');
// The template's order: the wasm marker before the package marker, both in their elements.
const wasmAt = html.indexOf(`<script id="vericord-wasm" type="application/octet-stream">${WASM_MARK}</script>`);
const pkgAt = html.indexOf(`<script id="vericord-package" type="application/json">${PACKAGE_MARK}</script>`);
if (wasmAt < 0 || pkgAt < 0) die('the markers must be the whole text of #vericord-wasm and #vericord-package');

writeFileSync(out, html);
console.log(`${out}: ${html.length} bytes (script ${script.length})`);
