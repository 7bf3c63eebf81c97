// Regenerates the README's picture of `photosieve report`: the demo run's first image (overlay zoomed onto the
// particle picked in the table, size vector beside the truth, the table sorted by area) in headless Chromium.
// Run: npm run demo && npm run demo:report && npx tsx scripts/report-screenshot.ts
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { CHROMIUM_PATH, hasChromium, launchChromium } from '../test/helpers/chromium.js';

const PAGE = resolve('demo-out/segment/report/index.html');
const OUT = 'docs/img/report.png';
const MAX_BYTES = 300_000;

if (!existsSync(PAGE)) throw new Error(`${PAGE} does not exist: run npm run demo && npm run demo:report first`);
if (!hasChromium) throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install chromium, or set PHOTOSIEVE_CHROMIUM`);

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(pathToFileURL(PAGE).href, { waitUntil: 'load' });
  const section = page.locator('#img-0');
  await section.locator('thead th', { hasText: 'area_px' }).locator('button').click();
  await section.locator('thead th', { hasText: 'area_px' }).locator('button').click();
  await section.locator('table.particles tbody tr').nth(1).click();
  const shot = await section.screenshot();
  const { width, height } = await sharp(shot).metadata();
  // The top of the section (overlay, vector, scores, the table's first rows); a 256-colour palette keeps it sharp
  // and small enough for the README.
  const small = await sharp(shot).extract({ left: 0, top: 0, width, height: Math.min(height, 1000) }).png({ palette: true, colours: 256, compressionLevel: 9, effort: 10 }).toBuffer();
  if (small.length > MAX_BYTES) throw new Error(`${OUT} would be ${small.length} bytes, over ${MAX_BYTES}`);
  await writeFile(OUT, small);
  console.log(`wrote ${OUT} (${small.length} bytes)`);
} finally {
  await browser.close();
}
