// Headless Chromium for the report's browser test and its screenshot script: the system's Debian build driven by
// playwright-core, which never downloads a browser of its own.
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

/** PHOTOSIEVE_CHROMIUM, else Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.PHOTOSIEVE_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);
/** The skip line for a browser test without Chromium: what is skipped, and how to install it. */
export function noChromiumMessage(test: string): string {
  return `[skip] ${test}: no Chromium at ${CHROMIUM_PATH}. Install it with \`apt-get install chromium\` (Debian), or point PHOTOSIEVE_CHROMIUM at a Chromium binary.`;
}
export const NO_CHROMIUM_MESSAGE = noChromiumMessage('report browser test');

/** Flags that keep Chromium off the network (no updates, sync, QUIC or prefetching) and working as root in CI. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A fresh browser with its own temporary profile; close it when done. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

/**
 * A 1280×900 page that records console errors and warnings and page errors in `problems`, and every request whose
 * URL `isOwn` refuses in `foreign`, so a test can assert both stay empty.
 */
export async function watchedPage(browser: Browser, isOwn: (url: string) => boolean, problems: string[], foreign: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('request', (r) => {
    if (!isOwn(r.url())) foreign.push(r.url());
  });
  return page;
}
