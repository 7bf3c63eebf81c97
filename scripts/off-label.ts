// Where a prediction on partly labelled photos goes off the labels, and what that does to the 5-bin vector the
// real-photo test scores (test/real/segment-default.test.ts: SegmentationScorer's rmse5, bins at the labels'
// area-weighted b-axis percentiles 20/40/60/80, so the labels read 0.2 in each). Per photo: predicted particles,
// those lying mostly off every label (their count and share of predicted area, SegmentationScorer.offLabelArea),
// the vector and RMSE of all predicted particles and of those on labelled ground only. The segmenteverygrain
// labels leave small and shadowed grains blank, so an off-label particle is either a stone the labels left out or
// a false particle (a dark gap, sand, the scale card); `--sheets` draws a random sample of them (outline red, labels
// green, 3× zoom) for judging which.
//   npx tsx scripts/off-label.ts TRUTH_DIR PRED_DIR [--images DIR --sheets OUT_DIR] [--sample 24] [--seed 3]
//     e.g. photosieve segment --model models/scale-band -o /tmp/sb ../shared/data/segmenteverygrain/images/IMG_5208.png
//          npx tsx scripts/off-label.ts ../shared/data/segmenteverygrain/instances_full /tmp/sb/instances \
//            --images ../shared/data/segmenteverygrain/images --sheets /tmp/sheets
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { ON_LABEL_SHARE, distributionOf, labelOverlap, measureParticles, quantileBinSpec, rmse, sizedItems } from '../src/aggregate/index.js';
import type { LabelOverlap } from '../src/aggregate/index.js';
import type { InstanceMap } from '../src/core/index.js';
import { readImage, readInstancePng } from '../src/io/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { images: { type: 'string' }, sheets: { type: 'string' }, sample: { type: 'string', default: '24' }, seed: { type: 'string', default: '3' } },
});
const [truthDir, predDir] = positionals;
if (!truthDir || !predDir) throw new Error('usage: npx tsx scripts/off-label.ts TRUTH_DIR PRED_DIR [--images DIR --sheets OUT_DIR]');
if (values.sheets && !values.images) throw new Error('--sheets needs --images (the photos the instance maps were made from)');

const fmt = (v: readonly number[]): string => v.map((f) => f.toFixed(3)).join(' ');

async function sheet(photo: string, truth: InstanceMap, pred: InstanceMap, off: [number, LabelOverlap][], file: string): Promise<void> {
  // The bounding box of each sampled particle: its crop is centred there.
  const boxes = new Map(off.map(([q]): [number, { x0: number; y0: number; x1: number; y1: number }] => [q, { x0: Infinity, y0: Infinity, x1: -1, y1: -1 }]));
  for (let i = 0; i < pred.data.length; i++) {
    const b = boxes.get(pred.data[i]!);
    if (!b) continue;
    const x = i % pred.width;
    const y = (i - x) / pred.width;
    b.x0 = Math.min(b.x0, x);
    b.y0 = Math.min(b.y0, y);
    b.x1 = Math.max(b.x1, x);
    b.y1 = Math.max(b.y1, y);
  }
  const raster = await readImage(photo);
  const { width: W, height: H, channels } = raster;
  const C = 72;
  const zoom = 3;
  const cols = 6;
  const rows = Math.ceil(off.length / cols);
  const gap = 4;
  const sw = cols * (C + gap);
  const sh = rows * (C + gap);
  const buf = Buffer.alloc(sw * sh * 3, 255);
  const value = (i: number, c: number): number => {
    const v = raster.data[i * channels + (channels >= 3 ? c : 0)]!;
    return raster.depth === 16 ? v >> 8 : v;
  };
  const edge = (map: InstanceMap, i: number, x: number, y: number): boolean => {
    const id = map.data[i]!;
    return id !== 0 && ((x > 0 && map.data[i - 1] !== id) || (x + 1 < W && map.data[i + 1] !== id) || (y > 0 && map.data[i - W] !== id) || (y + 1 < H && map.data[i + W] !== id));
  };
  off.forEach(([q], k) => {
    const b = boxes.get(q)!;
    const cx = (b.x0 + b.x1) >> 1;
    const cy = (b.y0 + b.y1) >> 1;
    const left = (k % cols) * (C + gap);
    const top = Math.floor(k / cols) * (C + gap);
    for (let y = 0; y < C; y++) {
      for (let x = 0; x < C; x++) {
        const X = cx - C / 2 + x;
        const Y = cy - C / 2 + y;
        const o = 3 * ((top + y) * sw + left + x);
        if (X < 0 || Y < 0 || X >= W || Y >= H) continue;
        const i = Y * W + X;
        const rgb = pred.data[i] === q && edge(pred, i, X, Y) ? [255, 0, 0] : edge(truth, i, X, Y) ? [0, 200, 0] : [value(i, 0), value(i, 1), value(i, 2)];
        buf[o] = rgb[0]!;
        buf[o + 1] = rgb[1]!;
        buf[o + 2] = rgb[2]!;
      }
    }
  });
  await sharp(buf, { raw: { width: sw, height: sh, channels: 3 } }).resize(sw * zoom, sh * zoom, { kernel: 'nearest' }).png().toFile(file);
}

if (values.sheets) await mkdir(values.sheets, { recursive: true });
const photos = values.images ? await readdir(values.images) : [];
let seed = Number(values.seed);
const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
for (const f of (await readdir(predDir)).filter((f) => f.endsWith('.png')).sort()) {
  const stem = f.replace(/\.png$/, '');
  const truthFile = join(truthDir, f);
  if (!existsSync(truthFile)) {
    process.stdout.write(`${stem}: no ${truthFile}, skipped\n`);
    continue;
  }
  const truth = await readInstancePng(truthFile);
  const pred = await readInstancePng(join(predDir, f));
  const stats = labelOverlap(truth, pred);
  const isOff = (s: LabelOverlap): boolean => s.onLabel < ON_LABEL_SHARE * s.area;
  const off = [...stats].filter(([, s]) => isOff(s));
  const total = [...stats.values()].reduce((a, s) => a + s.area, 0);
  const offArea = off.reduce((a, [, s]) => a + s.area, 0);
  const truthParticles = measureParticles(truth);
  const spec = quantileBinSpec(truthParticles);
  if (!spec) {
    process.stdout.write(`${stem}: fewer than 5 labelled particles inside the photo, no bins\n`);
    continue;
  }
  const edges = spec.edges;
  const t = distributionOf(sizedItems(truthParticles, spec, undefined), spec).fractions;
  const all = distributionOf(sizedItems(measureParticles(pred), spec, undefined), spec).fractions;
  const onLabel = { ...pred, data: pred.data.map((q) => (q !== 0 && !isOff(stats.get(q)!) ? q : 0)) };
  const on = distributionOf(sizedItems(measureParticles(onLabel), spec, undefined), spec).fractions;
  process.stdout.write(
    `${stem}: ${stats.size} predicted, ${off.length} mostly off the labels (${((100 * offArea) / total).toFixed(1)} % of predicted area)\n` +
      `  bins (b-axis px) ${edges.map((e) => e.toFixed(1)).join(' / ')}; labels ${fmt(t)}\n` +
      `  all predicted:       ${fmt(all)}  RMSE ${rmse(all, t).toFixed(4)}\n` +
      `  on labelled ground:  ${fmt(on)}  RMSE ${rmse(on, t).toFixed(4)}\n`,
  );
  if (values.sheets) {
    const photo = photos.find((p) => p.replace(/\.[^.]+$/, '') === stem);
    if (!photo) {
      process.stdout.write(`  no photo ${stem}.* in ${values.images}, no sheet\n`);
      continue;
    }
    // Particles of at least 200 px (about 16 px across): the ones that carry mass in the bins.
    const sample = off.filter(([, s]) => s.area >= 200).map((e) => [rand(), e] as const).sort((a, b) => a[0] - b[0]).slice(0, Number(values.sample)).map(([, e]) => e);
    const file = join(values.sheets, `${stem}.png`);
    await sheet(join(values.images!, photo), truth, pred, sample, file);
    process.stdout.write(`  sheet of ${sample.length} off-label particles of ≥ 200 px: ${file}\n`);
  }
}
