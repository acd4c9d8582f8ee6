// Fills the self-verifying page template (close-package-verify.html, built by
// scripts/build-npm) exactly as the Worker does for a bundle's verify.html
// (worker/src/close/bundle.rs): split at the first package marker, the wasm marker
// replaced (everywhere) by the wasm as standard base64, and the package's JSON text put at
// the split with every `<` written as `\u003c`, so no `</script` can end its element.
export const WASM_MARK = '__VERICORD_WASM_BASE64__';
export const PACKAGE_MARK = '__VERICORD_PACKAGE_JSON__';

/** template: text; wasm: bytes (Uint8Array/Buffer); packageJson: the package's JSON text. */
export function fillVerifyTemplate(template, wasm, packageJson) {
  const at = template.indexOf(PACKAGE_MARK);
  if (at < 0) throw new Error('verify template has no package marker');
  const head = template.slice(0, at);
  const tail = template.slice(at + PACKAGE_MARK.length);
  if (!head.includes(WASM_MARK) && !tail.includes(WASM_MARK)) throw new Error('verify template has no wasm marker');
  const b64 = Buffer.from(wasm.buffer, wasm.byteOffset, wasm.byteLength).toString('base64');
  const safe = packageJson.replaceAll('<', '\\u003c');
  // Function replacers: the text is inserted literally, as Rust's str::replace does.
  return head.replaceAll(WASM_MARK, () => b64) + safe + tail.replaceAll(WASM_MARK, () => b64);
}
