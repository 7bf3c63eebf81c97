// Real data (../shared/data/segmenteverygrain, not in the repository): classical mode on all 13 photos must keep
// the score recorded in bench/results/classical-real.json (pooled instance F1 at IoU 0.5 against instances_full).
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchInstances } from '../../src/aggregate/index.js';
import { readImage, readInstancePng } from '../../src/io/index.js';
import { createSegmenter } from '../../src/segment/index.js';

const DATA = process.env.PHOTOSIEVE_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'segmenteverygrain');
const present = existsSync(join(DATA, 'instances_full'));
if (!present) console.warn(`[skip] real-data segment tests: ${DATA} not found (set PHOTOSIEVE_DATA to the segmenteverygrain folder)`);

describe.skipIf(!present)('classical mode on the segmenteverygrain photos', () => {
  it('pooled instance F1 ≥ 0.32 (the baseline every model must beat)', async () => {
    const segmenter = await createSegmenter({ model: 'classical' });
    const files = (await readdir(join(DATA, 'images'))).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
    let tp = 0;
    let n = 0;
    for (const f of files) {
      const name = f.replace(/\.[^.]+$/, '');
      const raster = await readImage(join(DATA, 'images', f));
      const { instances } = await segmenter.segment(raster);
      expect([instances.width, instances.height]).toEqual([raster.width, raster.height]);
      const m = matchInstances(await readInstancePng(join(DATA, 'instances_full', `${name}.png`)), instances);
      tp += m.truePositives;
      n += m.truthCount + m.predCount;
    }
    const f1 = (2 * tp) / n;
    console.log(`[real] classical mode: pooled instance F1 ${f1.toFixed(3)} on ${files.length} photos`);
    expect(files).toHaveLength(13);
    expect(f1).toBeGreaterThanOrEqual(0.32);
  }, 180_000);
});
