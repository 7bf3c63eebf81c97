// A --scales batch end to end: the same photo at three mm/px, so its stones are three sizes in mm. The pooled row
// (histograms-pooled.csv), evaluate's pooled group and the report's batch curve weigh each stone by its own mm³, worked
// out here by hand from the particle tables; the report draws every photo's curve and outlines at that photo's scale.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { passingCurve, runEvaluate } from '../../src/aggregate/index.js';
import { readCsv } from '../../src/io/index.js';
import { loadRun, writeReport } from '../../src/report/index.js';
import { captureAll, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeDiscPhoto } from './helpers.js';

const SCALES = { a: 0.2, b: 0.35, c: 0.5 } as const;
const NAMES = Object.keys(SCALES) as (keyof typeof SCALES)[];
const EDGES = [4, 6, 9];

let tmp: Awaited<ReturnType<typeof tempDir>>;
let out: string;
/** Each photo's binned stones from its particle table: b-axis in mm and mass (major·minor²) in mm³. */
let stones: { image: string; size: number; mass: number }[];
/** Rows of each photo's particle table. */
const rows = new Map<string, number>();

/** The fractions of `items` over EDGES (a size on an edge goes to the bin above, as binIndex does). */
function binned(items: readonly { size: number; w: number }[]): number[] {
  const bins = new Array<number>(EDGES.length + 1).fill(0);
  for (const it of items) bins[EDGES.filter((e) => it.size >= e).length]! += it.w;
  const total = bins.reduce((a, b) => a + b, 0);
  return bins.map((b) => b / total);
}

beforeAll(async () => {
  tmp = await tempDir();
  const photos = join(tmp.dir, 'photos');
  await mkdir(photos);
  await writeDiscPhoto(join(photos, 'a.png'), 150, 150, 7);
  for (const n of ['b', 'c']) await copyFile(join(photos, 'a.png'), join(photos, `${n}.png`));
  const table = await tmp.write('scales.csv', `image,mm_per_px\n${NAMES.map((n) => `${n},${SCALES[n]}`).join('\n')}\n`);
  out = join(tmp.dir, 'run');
  const r = await captureAll(['segment', photos, '--scales', table, '--bins', EDGES.join(','), '--out', out, '--model', 'classical', '--workers', '0', '-q']);
  expect(r.exitCode, r.err).toBe(0);
  stones = [];
  for (const image of NAMES) {
    const t = await readCsv(join(out, 'particles', `${image}.csv`));
    const col = (name: string): number => t.header.indexOf(name);
    const f = SCALES[image];
    rows.set(image, t.rows.length);
    for (const row of t.rows) {
      if (row[col('touches_edge')] === '1') continue;
      const major = Number(row[col('major_px')]) * f;
      const minor = Number(row[col('minor_px')]) * f;
      stones.push({ image, size: minor, mass: major * minor * minor });
    }
  }
}, 120_000);
resetCliAfterEach();

describe('--scales: pooling weighs each stone by its own mm³', () => {
  it('histograms-pooled.csv is the particle tables pooled with mm weights; pixel weights would give another vector', async () => {
    // Every photo found stones in more than one bin of the batch, and the batch has stones on both sides of the edges.
    expect(new Set(stones.map((s) => s.image)).size).toBe(3);
    const want = binned(stones.map((s) => ({ size: s.size, w: s.mass })));
    const pooled = await readCsv(join(out, 'histograms-pooled.csv'));
    expect(pooled.rows).toHaveLength(1);
    expect(pooled.rows[0]![0]).toBe('pooled');
    expect(Number(pooled.rows[0]![1])).toBe(stones.length);
    const got = pooled.rows[0]!.slice(2, 2 + EDGES.length + 1).map(Number);
    got.forEach((x, k) => expect(x).toBeCloseTo(want[k]!, 6));
    // The same stones weighed in px³ (the factor f³ left out): the coarse photo would count 15.6× too little.
    const px = binned(stones.map((s) => ({ size: s.size, w: s.mass / SCALES[s.image as keyof typeof SCALES] ** 3 })));
    expect(Math.max(...px.map((x, k) => Math.abs(x - want[k]!)))).toBeGreaterThan(0.05);
    // The D-values are read off the mm³-weighted curve of all stones.
    const d50 = Number(pooled.rows[0]![pooled.header.indexOf('d50')]);
    const curve = passingCurve(stones.map((s) => ({ size: s.size, weight: s.mass })));
    const k = curve.findIndex((p) => p.passing >= 0.5);
    expect(d50).toBeGreaterThanOrEqual(Number(curve[k - 1]!.size.toPrecision(8)));
    expect(d50).toBeLessThanOrEqual(Number(curve[k]!.size.toPrecision(8)));
  });

  it("evaluate's pooled group is the same mm³-weighted pooling", async () => {
    const hist = await readCsv(join(out, 'histograms.csv'));
    const bins = hist.header.slice(2, 2 + EDGES.length + 1);
    const truth = await tmp.write('truth.csv', `image,group,${bins.join(',')}\n${NAMES.map((n) => `${n},site,0.25,0.25,0.25,0.25`).join('\n')}\n`);
    const report = await runEvaluate({ pred: out, truth });
    const want = binned(stones.map((s) => ({ size: s.size, w: s.mass })));
    expect(report.groups).toHaveLength(1);
    report.groups[0]!.pooled!.pred.forEach((x, k) => expect(x).toBeCloseTo(want[k]!, 12));
  });

  it("the report draws every photo's curve and outlines at that photo's own scale, and the batch curve in mm³", async () => {
    const data = await loadRun(out);
    expect(data.summary.scale).toBeNull();
    expect(data.summary.scales).toBe(join(tmp.dir, 'scales.csv'));
    expect(data.images.map((im) => im.scale)).toEqual(NAMES.map((n) => SCALES[n]));
    for (const im of data.images) {
      const own = stones.filter((s) => s.image === im.name);
      // The curve's sizes are this photo's b-axes at its own mm/px (equal sizes merged).
      expect(im.curve!.map((p) => p.size)).toEqual([...new Set(own.map((s) => s.size))].sort((x, y) => x - y));
      // Every particle has its class for the outlines; the binned ones are this photo's stones.
      expect(im.classes!.size).toBe(rows.get(im.name));
      expect([...im.classes!.values()].filter((c) => typeof c.cls === 'number')).toHaveLength(own.length);
    }
    expect(data.batch!.row).not.toBeNull();
    expect(data.batch!.images).toBe(3);
    const curve = passingCurve(stones.map((s) => ({ size: s.size, weight: s.mass })));
    expect(data.batch!.curve).toHaveLength(curve.length);
    data.batch!.curve.forEach((p, k) => {
      expect(p.size).toBe(curve[k]!.size);
      expect(p.passing).toBeCloseTo(curve[k]!.passing, 12);
    });

    const r = await writeReport({ dir: out, now: new Date('2026-12-01T00:00:00Z') });
    expect(r.layers.map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(['a.png', 'b.png', 'c.png']);
    expect(r.copied.some((f) => f.endsWith('histograms-pooled.csv'))).toBe(true);
    const html = await readFile(r.file, 'utf8');
    expect(html).toContain('each photo its own mm/px, from <code>');
    for (const n of NAMES) expect(html).toContain(`${SCALES[n]} mm/px`);
  });
});
