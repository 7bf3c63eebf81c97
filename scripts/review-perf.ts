// How `photosieve review` copes with a big photo: a 6000×4000 (24 MP) synthetic run with ~10,000 touching stones,
// served by startReviewServer and opened in headless Chromium. Prints the time to trace and send the particles,
// the page's load, the time a full redraw (zoom) and an edit's partial redraw take inside a frame, and a save.
// Run: npx tsx scripts/review-perf.ts [--cols 122 --rows 82]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { writeInstancePng, writeJsonAtomic } from '../src/io/index.js';
import { startReviewServer } from '../src/review/index.js';
import { CHROMIUM_PATH, hasChromium, launchChromium } from '../test/helpers/chromium.js';

const { values } = parseArgs({ options: { cols: { type: 'string', default: '122' }, rows: { type: 'string', default: '82' } } });
const W = 6000;
const H = 4000;
const cols = Number(values.cols);
const rowsN = Number(values.rows);
if (!hasChromium) throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install chromium, or set PHOTOSIEVE_CHROMIUM`);

/** Ellipses on a jittered grid, a little larger than their cells so neighbours touch; ids 1..N. */
function stones(): { data: Int32Array; n: number } {
  const data = new Int32Array(W * H);
  const cw = W / cols;
  const ch = H / rowsN;
  let seed = 7;
  const rnd = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  let id = 0;
  for (let r = 0; r < rowsN; r++) {
    for (let c = 0; c < cols; c++) {
      id += 1;
      const cx = (c + 0.5 + (rnd() - 0.5) * 0.2) * cw;
      const cy = (r + 0.5 + (rnd() - 0.5) * 0.2) * ch;
      const a = cw * (0.5 + rnd() * 0.12);
      const b = ch * (0.42 + rnd() * 0.12);
      const t = rnd() * Math.PI;
      const [ct, st] = [Math.cos(t), Math.sin(t)];
      const R = Math.max(a, b);
      for (let i = Math.max(0, Math.floor(cy - R)); i < Math.min(H, Math.ceil(cy + R)); i++) {
        for (let j = Math.max(0, Math.floor(cx - R)); j < Math.min(W, Math.ceil(cx + R)); j++) {
          const dx = j + 0.5 - cx;
          const dy = i + 0.5 - cy;
          const u = (dx * ct + dy * st) / a;
          const v = (-dx * st + dy * ct) / b;
          if (u * u + v * v <= 1) data[i * W + j] = id;
        }
      }
    }
  }
  return { data, n: id };
}

const ms = (t0: number): string => `${(performance.now() - t0).toFixed(0)} ms`;
const root = await mkdtemp(join(tmpdir(), 'photosieve-review-perf-'));
const browser = await launchChromium();
let server: Awaited<ReturnType<typeof startReviewServer>> | undefined;
try {
  let t0 = performance.now();
  const { data, n } = stones();
  const dir = join(root, 'run');
  await writeInstancePng(join(dir, 'instances', 'big.png'), { width: W, height: H, data });
  const rgb = Buffer.alloc(W * H * 3);
  for (let p = 0; p < data.length; p++) rgb.fill(data[p] === 0 ? 60 : 120 + ((data[p]! * 53) % 100), p * 3, p * 3 + 3);
  const photo = join(root, 'big.jpg');
  await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 85 }).toFile(photo);
  await writeJsonAtomic(join(dir, 'run.json'), { tool: 'photosieve segment', images: [{ name: 'big', path: photo, status: 'done', width: W, height: H, particles: n }] });
  console.log(`run folder: ${W}×${H}, ${n} stones, written in ${ms(t0)}`);

  server = await startReviewServer({ dir });
  t0 = performance.now();
  const res = await fetch(`${server.origin}/api/photos/big/particles`, { headers: { 'X-Photosieve-Token': server.token } });
  const body = await res.text();
  const parsed = JSON.parse(body) as { particles: { polygons: number[][][] }[] };
  const corners = parsed.particles.reduce((a, p) => a + p.polygons.reduce((b, poly) => b + poly.reduce((c, r) => c + r.length / 2, 0), 0), 0);
  console.log(`server: traced and sent ${parsed.particles.length} particles (${corners} corners, ${(body.length / 1e6).toFixed(1)} MB JSON) in ${ms(t0)}`);

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  t0 = performance.now();
  await page.goto(server.url, { waitUntil: 'load' });
  await page.waitForSelector('#viewport[data-photo="big"]', { timeout: 300_000 });
  console.log(`page: photo and particles loaded and drawn in ${ms(t0)} (particles cached on the server now)`);

  // A frame's work: the time from the frame's start to a callback registered after the page's own.
  const frames = await page.evaluate<number[]>(`(async () => {
    const box = document.getElementById('viewport');
    const r = box.getBoundingClientRect();
    const out = [];
    for (let k = 0; k < 12; k++) {
      box.dispatchEvent(new WheelEvent('wheel', { deltaY: k < 6 ? -100 : 100, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, cancelable: true }));
      out.push(await new Promise((done) => requestAnimationFrame((ts) => done(performance.now() - ts))));
    }
    return out;
  })()`);
  const sorted = [...frames].sort((a, b) => a - b);
  console.log(`full redraw (zoom, ${frames.length} frames): median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms (${frames.map((f) => f.toFixed(0)).join(', ')})`);

  // An edit: click the middle stone, delete it, time the frame that redraws its rectangle.
  let sumX = 0;
  let sumY = 0;
  let area = 0;
  let at = (H / 2) * W + W / 2;
  while (data[at] === 0) at += 1;
  const mid = data[at]!;
  for (let p = 0; p < data.length; p++) if (data[p] === mid) [sumX, sumY, area] = [sumX + (p % W) + 0.5, sumY + Math.floor(p / W) + 0.5, area + 1];
  const vb = (await page.locator('#viewport').boundingBox())!;
  const [s, vx, vy] = await page.evaluate<number[]>("(() => { const b = document.getElementById('viewport'); return [b.dataset.scale, b.dataset.x, b.dataset.y].map(Number); })()");
  await page.mouse.click(vb.x + vx! + (sumX / area) * s!, vb.y + vy! + (sumY / area) * s!);
  const edit = await page.evaluate<number>(`(async () => {
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'd', bubbles: true }));
    return await new Promise((done) => requestAnimationFrame((ts) => done(performance.now() - ts)));
  })()`);
  console.log(`edit (delete one stone) and its partial redraw: ${edit.toFixed(1)} ms in the frame; hint: ${await page.locator('#hint').innerText()}`);
  t0 = performance.now();
  // (A locator, not waitForFunction: the page's CSP refuses the string evaluation that one needs.)
  await page.locator('#save-status', { hasText: 'all changes saved' }).waitFor({ timeout: 120_000 });
  console.log(`first save of that edit (400 ms debounce + PUT + LabelMe of ${n - 1} particles, none serialized before): ${ms(t0)}`);
  t0 = performance.now();
  await server.store.idle();
  console.log(`coco.json rewritten ${ms(t0)} after that`);
  // Undo it: the second save finds every other particle's text already made.
  await page.keyboard.press('Control+z');
  t0 = performance.now();
  await page.locator('#save-status', { hasText: 'all changes saved' }).waitFor({ timeout: 120_000 });
  console.log(`second save (undo of the delete; the other particles' JSON is cached): ${ms(t0)}`);
  t0 = performance.now();
  await server.store.idle();
  console.log(`coco.json rewritten ${ms(t0)} after that`);
} finally {
  await browser.close();
  await server?.close();
  await rm(root, { recursive: true, force: true });
}
