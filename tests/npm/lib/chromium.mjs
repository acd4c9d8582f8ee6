// Headless Chromium for the page tests: Debian's binary (VERICORD_CHROMIUM), a fresh profile,
// and the flags this machine needs (root: no sandbox; a closed network: no background
// connections). Resolves to {context, page, errors}: page errors and console errors collected.
export async function openPage(chromium, profile) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.VERICORD_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return { context, page, errors };
}
