// Strip processing (src/segment/strips.ts): the plan, the ownership and stitching rule on hand-made maps, and
// through the batch runner on a real photo: forced strips give exactly the whole photo's instance map, particle
// table and overlay when the margin holds its particles, and a warning with counts when it does not.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { InstanceMap } from '../../src/core/index.js';
import { readRunFile } from '../../src/io/index.js';
import { runSegmentBatch } from '../../src/pipeline/runSegmentBatch.js';
import { runJsonSchema } from '../../src/pipeline/runFiles.js';
import type { Segmenter } from '../../src/segment/index.js';
import { STRIP_ALIGN, planStrips, segmentInStrips, stitchStrip, stripWarning } from '../../src/segment/strips.js';
import { tempDir } from '../helpers/tmp.js';

const map = (width: number, rows: number[][]): InstanceMap => ({ width, height: rows.length, data: Int32Array.from(rows.flat()) });

describe('planStrips', () => {
  it('cores of equal height (a multiple of 16, at least twice the margin) cover the photo; rows add the margin within it', () => {
    const plan = planStrips(1000, 2500, { margin: 100, stripPixels: 1000 * 900 });
    // 900 rows per strip − 2 × 100 margin = 700 → 688 (multiple of 16).
    expect(plan.strips).toEqual([
      { core: [0, 688], rows: [0, 788] },
      { core: [688, 1376], rows: [588, 1476] },
      { core: [1376, 2064], rows: [1276, 2164] },
      { core: [2064, 2500], rows: [1964, 2500] },
    ]);
    expect(plan.strips.every((s) => s.core[0] % STRIP_ALIGN === 0)).toBe(true);
    // Too few rows for the margin: the core is still twice the margin, so margins never cost more than cores.
    expect(planStrips(1000, 2500, { margin: 300, stripPixels: 1000 * 700 }).strips[0]).toEqual({ core: [0, 592], rows: [0, 892] });
    expect(planStrips(10, 10, { margin: 4 }).strips).toEqual([{ core: [0, 10], rows: [0, 10] }]);
  });
});

describe('stitchStrip: a particle belongs to the strip whose core holds its first pixel', () => {
  // A 6-wide photo of 8 rows in two strips: cores [0, 4) and [4, 8), margin 2 → rows [0, 6) and [2, 8).
  const two = [
    { core: [0, 4] as [number, number], rows: [0, 6] as [number, number] },
    { core: [4, 8] as [number, number], rows: [2, 8] as [number, number] },
  ];
  it('copies owned particles with ids in raster order of first pixels, skips the others, counts cut particles', () => {
    const full: InstanceMap = { width: 6, height: 8, data: new Int32Array(48) };
    // Strip 1 sees rows 0–5: particle 7 starts in row 1 (owned), 3 starts in row 3 (owned) and reaches row 5, the
    // strip's cut row (cut), 9 starts in row 5 (the margin: the next strip's).
    const a = stitchStrip(
      full,
      map(6, [
        [0, 0, 0, 0, 0, 0],
        [0, 7, 7, 0, 0, 0],
        [0, 7, 7, 0, 0, 0],
        [0, 0, 0, 0, 3, 0],
        [0, 0, 0, 0, 3, 0],
        [9, 0, 0, 0, 3, 0],
      ]),
      two[0]!,
      1,
    );
    expect(a).toEqual({ particles: 2, cut: 1, clashes: 0, nextId: 3 });
    // Strip 2 sees rows 2–7 with ids of its own: 5 is the same stone as above (first pixel row 2, not its core), 4
    // is particle 9 (first pixel row 5: owned), 6 starts in row 6 (owned).
    const b = stitchStrip(
      full,
      map(6, [
        [0, 5, 5, 0, 0, 0],
        [0, 0, 0, 0, 8, 0],
        [0, 0, 0, 0, 8, 0],
        [4, 0, 0, 0, 8, 0],
        [4, 0, 0, 0, 8, 6],
        [0, 0, 0, 0, 6, 6],
      ]),
      two[1]!,
      a.nextId,
    );
    // 8 starts in row 3, strip 1's core: not owned here.
    expect(b).toEqual({ particles: 2, cut: 0, clashes: 0, nextId: 5 });
    expect(Array.from({ length: 8 }, (_, i) => Array.from(full.data.subarray(i * 6, i * 6 + 6)))).toEqual([
      [0, 0, 0, 0, 0, 0],
      [0, 1, 1, 0, 0, 0],
      [0, 1, 1, 0, 0, 0],
      [0, 0, 0, 0, 2, 0],
      [0, 0, 0, 0, 2, 0],
      [3, 0, 0, 0, 2, 0],
      [3, 0, 0, 0, 0, 4],
      [0, 0, 0, 0, 4, 4],
    ]);
  });

  it('a particle that lands on pixels an earlier strip gave away is drawn only where free, and counted', () => {
    const full: InstanceMap = { width: 6, height: 8, data: new Int32Array(48) };
    full.data[4 * 6 + 2] = 1;
    const c = stitchStrip(full, map(6, [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 2, 2, 0, 0], [0, 0, 2, 2, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]), two[1]!, 2);
    expect(c).toEqual({ particles: 1, cut: 0, clashes: 1, nextId: 3 });
    expect(Array.from(full.data.subarray(24, 36))).toEqual([0, 0, 1, 2, 0, 0, 0, 0, 2, 2, 0, 0]);
  });

  it('the warning names both counts, the margin and the flags; none when nothing was cut', () => {
    expect(stripWarning({ strips: 3, cut: 0, clashes: 0 }, 256)).toBeUndefined();
    expect(stripWarning({ strips: 3, cut: 2, clashes: 1 }, 256)).toBe(
      'segmented in 3 strips: 2 particle(s) reach the edge of the rows their strip segmented (taller than the strip margin of 256 px) and may be cut short; 1 particle(s) overlap a particle of the strip above and were drawn only where it was not: pass --max-size with the largest particle (a wider margin), or --max-memory with room to segment it whole',
    );
  });
});

describe('segmentInStrips: unresolved clusters', () => {
  it('adds up the unresolved pixels of each strip\'s core rows (margins are counted by the strip that owns them), none when no strip looked', async () => {
    const plan = planStrips(64, 400, { margin: 16, stripPixels: 64 * 140 });
    expect(plan.strips.length).toBeGreaterThan(2);
    const stub = (unresolved: 'rows' | 'total' | 'none'): Segmenter => ({
      kind: 'unet',
      modelId: 'stub',
      meta: undefined,
      backend: undefined,
      segment: () => Promise.reject(new Error('not used')),
      rowsFor: (_w, _h, from, to) => [from, to],
      // One unresolved pixel per row a strip segments, margins included: counted once per photo row, the photo's
      // height; a strip without per-row counts is pro-rated to its core.
      segmentRows: (_r, window) =>
        Promise.resolve({
          instances: { width: 64, height: window.to - window.from, data: new Int32Array(64 * (window.to - window.from)) },
          timings: { semanticMs: 0, instancesMs: 0 },
          tiles: 1,
          levels: 0,
          ...(unresolved === 'rows' ? { unresolved: { count: 1, areaPx: window.to - window.from, perRow: new Float64Array(window.to - window.from).fill(1) } } : unresolved === 'total' ? { unresolved: { count: 1, areaPx: window.to - window.from } } : {}),
        }),
      dispose: () => Promise.resolve(),
    });
    const read = (from: number, to: number): Promise<{ width: number; height: number; channels: 3; depth: 8; data: Uint8Array }> => Promise.resolve({ width: 64, height: to - from, channels: 3, depth: 8, data: new Uint8Array(64 * (to - from) * 3) });
    expect((await segmentInStrips(stub('rows'), read, plan)).unresolved).toEqual({ count: plan.strips.length, areaPx: 400 });
    expect((await segmentInStrips(stub('total'), read, plan)).unresolved).toEqual({ count: plan.strips.length, areaPx: 400 });
    expect((await segmentInStrips(stub('none'), read, plan)).unresolved).toBeUndefined();
  });
});

describe('strips through the batch runner (default model, onnxruntime, in this thread)', () => {
  it('forced strips of a 1536² photo (the demo photos tiled 2×2) give the whole photo\'s instance map, particle table and overlay byte for byte; a margin too small for its stones warns', async () => {
    const tmp = await tempDir();
    const tiles = await Promise.all(['g01_001', 'g02_001', 'g03_001', 'g01_001'].map((n) => sharp(`fixtures/demo/images/${n}.jpg`).raw().toBuffer()));
    const photo = join(tmp.dir, 'mosaic.png');
    await sharp({ create: { width: 1536, height: 1536, channels: 3, background: '#000' } })
      .composite(tiles.map((input, k) => ({ input, raw: { width: 768, height: 768, channels: 3 as const }, left: (k % 2) * 768, top: Math.floor(k / 2) * 768 })))
      .png()
      .toFile(photo);
    const spec = { edges: [4, 5.6, 8, 11.2], unit: 'mm' as const, measure: 'minor' as const, weight: 'mass' as const, edgePolicy: 'exclude' as const, minSizePx: 0 };
    const common = { images: [photo], workers: 0, overlays: 'png' as const, measure: { scale: 0.1, spec } };
    const whole = await runSegmentBatch({ ...common, out: join(tmp.dir, 'whole'), segmenter: { model: 'default', maxSizePx: 160 } });
    // 800 rows per strip: cores of 480 rows, margins of 160 (--max-size), 4 strips.
    const strips = { thresholdPixels: 1, stripPixels: 1536 * 800 };
    const inStrips = await runSegmentBatch({ ...common, out: join(tmp.dir, 'strips'), segmenter: { model: 'default', maxSizePx: 160 }, strips });
    expect(whole.results[0]).toMatchObject({ status: 'done' });
    expect(whole.results[0]!.strips).toBeUndefined();
    expect(inStrips.results[0]).toMatchObject({ status: 'done', strips: 4, particles: whole.results[0]!.particles });
    expect(inStrips.results[0]!.warnings).toBeUndefined();
    expect(whole.results[0]!.particles).toBeGreaterThan(500);
    for (const f of ['instances/mosaic.png', 'particles/mosaic.csv', 'overlays/mosaic.png', 'histograms.csv']) {
      expect((await readFile(join(tmp.dir, 'strips', f))).equals(await readFile(join(tmp.dir, 'whole', f))), f).toBe(true);
    }
    const runJson = await readRunFile(runJsonSchema, join(tmp.dir, 'strips', 'run.json'), 'run.json', 'run segment again');
    expect(runJson.images[0]!.strips).toBe(4);

    // A margin of 16 px (--max-size 16 px) is far below these stones: the cut ones are counted on the photo.
    const narrow = await runSegmentBatch({ ...common, out: join(tmp.dir, 'narrow'), segmenter: { model: 'default', maxSizePx: 16 }, strips: { thresholdPixels: 1, stripPixels: 1536 * 200 } });
    const r = narrow.results[0]!;
    expect(r.strips).toBe(10);
    expect(r.warnings).toEqual([expect.stringMatching(/^segmented in 10 strips: [1-9]\d* particle\(s\) reach the edge of the rows their strip segmented \(taller than the strip margin of 16 px\) and may be cut short; [1-9]\d* particle\(s\) overlap a particle of the strip above/)]);
    expect(r.measure!.warnings).toContain(r.warnings![0]);
  }, 180_000);
});
