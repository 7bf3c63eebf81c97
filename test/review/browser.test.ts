// The review page in a real browser: a hand-made segment run served by `startReviewServer`, opened in headless
// Chromium. Delete, merge, split, draw (with undo/redo) and erase with the mouse and the shortcuts, reload, and the
// saved LabelMe must hold exactly the edited set — as the page shows it and as `photosieve annotate` reads it.
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillMultiPolygon, pixelArea, runAnnotate } from '../../src/annotate/index.js';
import { readInstancePng } from '../../src/io/index.js';
import type { ReviewParticle, ReviewServer } from '../../src/review/index.js';
import { readReviewLabelme, startReviewServer, toMultiPolygon } from '../../src/review/index.js';
import { hasChromium, launchChromium, noChromiumMessage, watchedPage } from '../helpers/chromium.js';
import { canonicalIds, rows } from '../helpers/grid.js';
import { tempDir } from '../helpers/tmp.js';
import type { FakeReviewRun } from './fakeReviewRun.js';
import { H, SHAPES, W, countId, writeFakeReviewRun } from './fakeReviewRun.js';

const SCREENSHOT = resolve('test-output', 'review.png');
const MESSAGE = noChromiumMessage('review browser test');
if (!hasChromium) console.warn(MESSAGE);

// Without Chromium the suite below is skipped; this test is skipped with the reason, so reporters show why.
if (!hasChromium) {
  describe('the review page in headless Chromium (no browser here)', () => {
    it('needs Chromium', (ctx) => ctx.skip(MESSAGE));
  });
}

/** Where the drawn particle F goes (image px): an empty part of the photo. */
const F = { x0: 22, y0: 92, x1: 48, y1: 112 };
/** The split runs down x = 30 through D; the erase cuts G from x = 120.2 rightwards. */
const SPLIT_X = 30;
const ERASE_X = 120.2;

describe.skipIf(!hasChromium)('the review page in headless Chromium', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let run: FakeReviewRun;
  let server: ReviewServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const foreign: string[] = [];

  const status = (): Promise<string> => page.locator('#save-status').innerText();
  const count = async (): Promise<number> => parseInt(await page.locator('#particle-count').innerText(), 10);
  const hint = (): Promise<string> => page.locator('#hint').innerText();
  async function saved(): Promise<void> {
    await expect.poll(status, { timeout: 20_000 }).toBe('all changes saved');
  }
  /** Image pixel coordinates → page coordinates, from the view transform the page publishes on #viewport. */
  async function screen(x: number, y: number): Promise<[number, number]> {
    const box = (await page.locator('#viewport').boundingBox())!;
    const [s, vx, vy] = await page.evaluate<[number, number, number]>("(() => { const b = document.getElementById('viewport'); return [b.dataset.scale, b.dataset.x, b.dataset.y].map(Number); })()");
    return [box.x + vx + x * s, box.y + vy + y * s];
  }
  async function clickAt(x: number, y: number, shift = false): Promise<void> {
    const [sx, sy] = await screen(x, y);
    if (shift) await page.keyboard.down('Shift');
    await page.mouse.click(sx, sy);
    if (shift) await page.keyboard.up('Shift');
  }
  async function polygon(points: [number, number][]): Promise<void> {
    for (const [x, y] of points) await clickAt(x, y);
    await page.keyboard.press('Enter');
  }

  beforeAll(async () => {
    tmp = await tempDir();
    run = await writeFakeReviewRun(tmp.dir);
    // The fine-tune button's process: a stand-in that prints a line and writes a model folder (the real command is
    // tested in fineTune.test.ts).
    const standIn = "const fs = require('node:fs'), p = require('node:path'); console.log('epoch 1: loss 0.5'); fs.mkdirSync(p.join(process.argv[1], 'review', 'model'), { recursive: true }); fs.writeFileSync(p.join(process.argv[1], 'review', 'model', 'meta.json'), '{}');";
    server = await startReviewServer({ dir: run.dir, fineTuneCli: (args) => ({ command: process.execPath, args: ['-e', standIn, args[1]!] }) });
    browser = await launchChromium();
    page = await watchedPage(browser, (url) => url.startsWith(server.origin), problems, foreign);
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForSelector('#viewport[data-photo="tray"]');
  }, 120_000);

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await server?.close();
    }
  });

  it('opens the first photo with its traced particles, the photo list, no error and no request elsewhere', async () => {
    expect(new URL(page.url()).search).toBe(''); // the token left the address bar for a cookie
    expect(await count()).toBe(7);
    expect(await status()).toBe('all changes saved');
    expect(await page.locator('#photos button').allInnerTexts()).toEqual([expect.stringMatching(/tray\s+160×120/), expect.stringMatching(/second\s+40×30/)]);
    expect(await page.locator('#photo-count').innerText()).toBe('0 of 2 reviewed');
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  });

  it('deletes a particle: click, d', async () => {
    await clickAt(20, 20);
    expect(await page.locator('#selection').innerText()).toBe(`1 selected (${SHAPES.A.id})`);
    await page.keyboard.press('d');
    expect(await count()).toBe(6);
    await saved();
  });

  it('merges two: click, shift+click, m', async () => {
    await clickAt(50, 20);
    await clickAt(70, 20, true);
    expect(await page.locator('#selection').innerText()).toBe(`2 selected (${SHAPES.B.id}, ${SHAPES.C.id})`);
    await page.keyboard.press('m');
    expect(await hint()).toBe(`merged 2 particles into ${SHAPES.B.id}`); // one piece: the half-pixel gap was closed
    expect(await count()).toBe(5);
    await saved();
  });

  it('splits one along a dragged line: select, s, drag across', async () => {
    await clickAt(20, 65);
    await page.keyboard.press('s');
    const [ax, ay] = await screen(SPLIT_X, 44);
    const [bx, by] = await screen(SPLIT_X, 86);
    await page.mouse.move(ax, ay);
    await page.mouse.down();
    await page.mouse.move(bx, by, { steps: 6 });
    await page.mouse.up();
    expect(await hint()).toBe(`split particle ${SHAPES.D.id} into 2`);
    expect(await count()).toBe(6);
    await saved();
  });

  it('draws one: p, four corners, Enter; ctrl+z takes it back, ctrl+shift+z brings it again', async () => {
    await page.keyboard.press('p');
    await polygon([
      [F.x0, F.y0],
      [F.x1, F.y0],
      [F.x1, F.y1],
      [F.x0, F.y1],
    ]);
    expect(await hint()).toMatch(/^drew particle \d+$/);
    expect(await count()).toBe(7);
    await page.keyboard.press('Control+z');
    expect(await count()).toBe(6);
    await page.keyboard.press('Control+Shift+z');
    expect(await count()).toBe(7);
    await saved();
  });

  it('erases part of one: select, e, polygon, Enter', async () => {
    await page.keyboard.press('v');
    await clickAt(110, 85);
    expect(await page.locator('#selection').innerText()).toBe(`1 selected (${SHAPES.G.id})`);
    await page.keyboard.press('e');
    await polygon([
      [ERASE_X, 64],
      [152, 64],
      [152, 106],
      [ERASE_X, 106],
    ]);
    expect(await hint()).toBe('erased from 1 particle(s)');
    expect(await count()).toBe(7);
    await saved();
    expect(problems).toEqual([]);
  });

  it('after a reload the page shows the saved set, and the LabelMe file holds exactly the edited particles — also as annotate reads it', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#viewport[data-photo="tray"]');
    expect(await count()).toBe(7);

    const file = join(run.dir, 'review', 'tray.json');
    const particles = await readReviewLabelme(file, 'tray', W, H);
    expect(particles).toHaveLength(7);
    const inF = (p: ReviewParticle): boolean => toMultiPolygon(p.polygons).every((poly) => poly[0]!.every(([x, y]) => x > F.x0 - 1 && x < F.x1 + 1 && y > F.y0 - 1 && y < F.y1 + 1));
    const drawn = particles.filter(inF);
    expect(drawn).toHaveLength(1);
    const fArea = pixelArea(toMultiPolygon(drawn[0]!.polygons), W, H);
    expect(Math.abs(fArea - (F.x1 - F.x0) * (F.y1 - F.y0))).toBeLessThanOrEqual(50); // 520 px ± a row or column

    // The edited set, pixel by pixel: A gone, C part of B, D cut at x = 30, G cut at x = 120.2, F drawn; the rest as traced.
    const expected = new Int32Array(run.map.data);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const k = i * W + j;
        const id = expected[k]!;
        if (id === SHAPES.A.id) expected[k] = 0;
        else if (id === SHAPES.C.id) expected[k] = SHAPES.B.id;
        else if (id === SHAPES.D.id && j + 0.5 > SPLIT_X) expected[k] = 100;
        else if (id === SHAPES.G.id && j + 0.5 > ERASE_X) expected[k] = 0;
      }
    }
    fillMultiPolygon(toMultiPolygon(drawn[0]!.polygons), W, H, expected, 101);
    const ours = new Int32Array(W * H);
    for (const p of particles) fillMultiPolygon(toMultiPolygon(p.polygons), W, H, ours, p.id);
    expect(rows(canonicalIds({ width: W, height: H, data: ours }))).toEqual(rows(canonicalIds({ width: W, height: H, data: expected })));
    expect(countId({ data: expected }, 100)).toBe(20 * 30);

    const out = join(tmp.dir, 'annotated');
    const report = await runAnnotate({ labels: [file], out, allowOutside: true });
    expect(report.totals).toMatchObject({ images: 1, particles: 7, errors: 0, repairs: 0 });
    const map = await readInstancePng(join(out, 'instances', 'tray.png'));
    expect(rows(canonicalIds(map))).toEqual(rows(canonicalIds({ width: W, height: H, data: expected })));
  });

  it('marks the photo reviewed with r (the list and state.json say so), and switches photos from the list', async () => {
    await page.keyboard.press('r');
    await expect.poll(() => page.locator('#photo-count').innerText()).toBe('1 of 2 reviewed');
    expect(await page.locator('#photos button[data-name="tray"]').getAttribute('class')).toContain('reviewed');
    await server.store.idle();
    const state = JSON.parse(await readFile(join(run.dir, 'review', 'state.json'), 'utf8')) as { photos: { name: string; reviewed: boolean }[] };
    expect(state.photos.find((p) => p.name === 'tray')!.reviewed).toBe(true);
    // Another photo from the list, and back.
    await page.locator('#photos button[data-name="second"]').click();
    await page.waitForSelector('#viewport[data-photo="second"]');
    expect(await count()).toBe(1);
    await page.locator('#photos button[data-name="tray"]').click();
    await page.waitForSelector('#viewport[data-photo="tray"]');
    expect(await count()).toBe(7);
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  });

  it('the Fine-tune button starts a job on the reviewed photos and shows where its model went', async () => {
    await page.locator('button[data-action="fine-tune"]').click();
    await expect.poll(() => page.locator('#fine-tune-status').innerText(), { timeout: 15_000 }).toBe(
      `fine-tuned model: ${join(run.dir, 'review', 'model')} (segment again with --model ${join(run.dir, 'review', 'model')})`,
    );
    expect(server.fineTune.status()).toMatchObject({ state: 'done', photos: ['tray'], lines: ['epoch 1: loss 0.5'] });
    expect(problems).toEqual([]);
  });

  it('keeps a save that failed and sends it again; a save made elsewhere stops saving and asks for a reload', async () => {
    // The next PUT never reaches the server, as if it had stopped for a moment.
    let dropped = 0;
    await page.route('**/api/photos/*/particles', async (route) => {
      if (route.request().method() === 'PUT' && dropped === 0) {
        dropped += 1;
        await route.abort();
      } else await route.continue();
    });
    await clickAt(110, 40);
    await page.keyboard.press('d');
    await expect.poll(status, { timeout: 10_000 }).toMatch(/^not saved yet: the review server does not answer/);
    await saved();
    expect(dropped).toBe(1);
    await page.unroute('**/api/photos/*/particles');
    const file = join(run.dir, 'review', 'tray.json');
    expect((await readReviewLabelme(file, 'tray', W, H)).map((p) => p.id)).not.toContain(5);

    // Someone else saves this photo (a second tab, a script): the page's next save is refused, nothing is overwritten.
    const headers = { 'X-Photosieve-Token': server.token, 'Content-Type': 'application/json' };
    const current = (await (await fetch(`${server.origin}/api/photos/tray/particles`, { headers })).json()) as { version: number };
    expect((await fetch(`${server.origin}/api/photos/tray/particles`, { method: 'PUT', headers, body: JSON.stringify({ base: current.version, upsert: [], remove: [] }) })).status).toBe(200);
    await page.keyboard.press('Control+z'); // brings particle 5 back on the page
    expect(await count()).toBe(7);
    await expect.poll(status, { timeout: 10_000 }).toMatch(/^not saved: tray was saved since this page loaded it .*reload the page$/);
    expect((await readReviewLabelme(file, 'tray', W, H)).map((p) => p.id)).not.toContain(5);
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#viewport[data-photo="tray"]');
    expect(await count()).toBe(6);
    // The aborted request is the browser's own console error; nothing else went wrong.
    expect(problems.filter((p) => !/Failed to load resource|409 \(Conflict\)/.test(p))).toEqual([]);
    problems.length = 0;
  });

  it('saves a screenshot', async () => {
    await mkdir(resolve('test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    console.log(`[review] screenshot of the review page: ${SCREENSHOT}`);
    expect((await readFile(SCREENSHOT)).subarray(1, 4).toString()).toBe('PNG');
  });
});
