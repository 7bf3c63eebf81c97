// The default model on the two real photos held out of its training (../shared/data, not in the repository):
// the first bar (F1 ≥ 0.5 counting predictions on labelled grains, 5-bin RMSE ≤ 0.05) and a wide margin
// over classical mode on the same photos.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SegmentationScorer } from '../../src/aggregate/index.js';
import { readImage, readInstancePng } from '../../src/io/index.js';
import { createSegmenter } from '../../src/segment/index.js';

const DATA = process.env.PHOTOSIEVE_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'segmenteverygrain');
const present = existsSync(join(DATA, 'instances_full'));
if (!present) console.warn(`[skip] real-data default-model test: ${DATA} not found (set PHOTOSIEVE_DATA to the segmenteverygrain folder)`);
const HELD_OUT = ['IMG_5208', '20230511_132710955'];

async function score(model: string): Promise<ReturnType<SegmentationScorer['result']>> {
  const segmenter = await createSegmenter({ model });
  const scorer = new SegmentationScorer();
  try {
    for (const name of HELD_OUT) {
      const file = readdirSync(join(DATA, 'images')).find((f) => f.replace(/\.[^.]+$/, '') === name)!;
      const { instances } = await segmenter.segment(await readImage(join(DATA, 'images', file)));
      scorer.add({ truth: await readInstancePng(join(DATA, 'instances_full', `${name}.png`)), pred: instances });
    }
  } finally {
    await segmenter.dispose();
  }
  return scorer.result();
}

describe.skipIf(!present)('default model on held-out real photos', () => {
  it('clears the first bar and beats classical mode by a wide margin', async () => {
    const unet = await score('default');
    const classical = await score('classical');
    console.log(`[real] held-out photos: default F1 ${unet.f1.toFixed(3)} (labelled ${unet.f1Labelled.toFixed(3)}), RMSE ${unet.rmse5.toFixed(4)}; classical F1 ${classical.f1.toFixed(3)} (labelled ${classical.f1Labelled.toFixed(3)}), RMSE ${classical.rmse5.toFixed(4)}`);
    expect(unet.f1Labelled).toBeGreaterThanOrEqual(0.5);
    expect(unet.rmse5).toBeLessThanOrEqual(0.05);
    expect(unet.f1Labelled - classical.f1Labelled).toBeGreaterThan(0.2);
  }, 180_000);
});
