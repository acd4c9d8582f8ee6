// Headless Debian Chromium for the page tests (playwright-core drives it; VERICORD_CHROMIUM
// picks another binary). A persistent context on a fresh profile directory, so nothing
// carries over between files.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
export const CHROMIUM = process.env.VERICORD_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(options = {}) {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vericord-chromium-')), {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, ...options,
  });
}
