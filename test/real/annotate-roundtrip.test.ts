// Real data (../shared/data/segmenteverygrain, not in the repository): trace every instance map to polygons,
// import them back through `annotate` as COCO and as LabelMe, and compare instance by instance.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { matchInstances } from '../../src/aggregate/index.js';
import type { AnnotateReport } from '../../src/annotate/index.js';
import { runAnnotate, runFromInstances } from '../../src/annotate/index.js';
import { readInstancePng } from '../../src/io/index.js';
import { tempDir } from '../helpers/tmp.js';

const DATA = process.env.PHOTOSIEVE_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'segmenteverygrain');
const present = existsSync(join(DATA, 'instances_full'));
if (!present) console.warn(`[skip] real-data tests: ${DATA} not found (set PHOTOSIEVE_DATA to the segmenteverygrain folder)`);

describe.skipIf(!present)('segmenteverygrain instance maps: trace → annotate → same instances', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let traced: AnnotateReport;
  let names: string[];
  beforeAll(async () => {
    tmp = await tempDir();
    names = (await readdir(join(DATA, 'instances_full'))).filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4)).sort();
    traced = await runFromInstances({ instances: join(DATA, 'instances_full'), out: join(tmp.dir, 'traced'), copyImages: false });
  }, 120_000);

  async function compare(outDir: string, subset: string[]): Promise<{ found: number; total: number; ious: number[] }> {
    let found = 0;
    let total = 0;
    const ious: number[] = [];
    for (const name of subset) {
      const truth = await readInstancePng(join(DATA, 'instances_full', `${name}.png`));
      const back = await readInstancePng(join(outDir, 'instances', `${name}.png`));
      const m = matchInstances(truth, back);
      found += m.truePositives;
      total += m.truthCount;
      ious.push(...m.matches.map((x) => x.iou));
    }
    return { found, total, ious: ious.sort((a, b) => a - b) };
  }

  it('traces all 13 maps with no finding', () => {
    expect(traced.totals).toMatchObject({ images: 13, errors: 0, repairs: 0, warnings: 0 });
    expect(traced.totals.particles).toBe(5298);
  });

  it('COCO: every particle found, median per-instance IoU ≥ 0.97', async () => {
    const out = join(tmp.dir, 'coco');
    const r = await runAnnotate({ labels: [join(tmp.dir, 'traced', 'annotations.json')], images: join(DATA, 'images'), out, copyImages: false });
    expect(r.totals).toMatchObject({ images: 13, particles: 5298, errors: 0, repairs: 0 });
    const { found, total, ious } = await compare(out, names);
    expect(found).toBe(total);
    const median = ious[ious.length >> 1]!;
    console.log(`[real] COCO round trip: ${found}/${total} found, median IoU ${median.toFixed(4)}, min ${ious[0]!.toFixed(4)}`);
    expect(median).toBeGreaterThanOrEqual(0.97);
  }, 180_000);

  it('LabelMe (three images): every particle found, median per-instance IoU ≥ 0.97', async () => {
    const subset = names.slice(0, 3);
    const out = join(tmp.dir, 'labelme');
    const r = await runAnnotate({ labels: subset.map((n) => join(tmp.dir, 'traced', 'labels', `${n}.json`)), images: join(DATA, 'images'), out, copyImages: false });
    expect(r.totals).toMatchObject({ images: 3, errors: 0, repairs: 0 });
    const { found, total, ious } = await compare(out, subset);
    expect(found).toBe(total);
    expect(ious[ious.length >> 1]!).toBeGreaterThanOrEqual(0.97);
  }, 180_000);

  it('outlines through boundary-pixel centres (OpenCV style) with --pixel-origin center: every particle found, mean IoU ≥ 0.97', async () => {
    const { centreContours, labelmeFromCentreContours } = await import('../helpers/centreContours.js');
    const subset = names.slice(0, 3);
    const files: string[] = [];
    for (const name of subset) {
      const map = await readInstancePng(join(DATA, 'instances_full', `${name}.png`));
      files.push(await tmp.write(`centre/${name}.json`, labelmeFromCentreContours(await centreContours(map), `${name}.png`, map.width, map.height)));
    }
    const out = join(tmp.dir, 'centre-out');
    const r = await runAnnotate({ labels: files, images: join(DATA, 'images'), out, copyImages: false, pixelOrigin: 'center' });
    expect(r.totals).toMatchObject({ images: 3, errors: 0 });
    const { found, total, ious } = await compare(out, subset);
    const mean = ious.reduce((a, b) => a + b, 0) / ious.length;
    console.log(`[real] OpenCV-style outlines, --pixel-origin center: ${found}/${total} found, mean IoU ${mean.toFixed(4)}`);
    expect(found).toBe(total);
    expect(mean).toBeGreaterThanOrEqual(0.97);
  }, 180_000);
});
