// A short training run on a tiny synthetic set: the loss goes down, the model folder is complete and loadable,
// resume continues the log, augmentation keeps labels and pixels together, and no tensor is left behind.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeClassMask } from '../../src/annotate/index.js';
import { PixelClass } from '../../src/core/index.js';
import { loadModelFolder } from '../../src/segment/index.js';
import { runSynth } from '../../src/synth/index.js';
import { createRandom } from '../../src/synth/random.js';
import { DEFAULT_AUGMENT, NO_AUGMENT, loadTrainingFolder, plateauRate, sampleTile, trainModel } from '../../src/train/index.js';
import type { EpochRecord } from '../../src/train/index.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
beforeAll(async () => {
  dir = (await tempDir()).dir;
  await runSynth({ outDir: join(dir, 'synth'), groups: 3, perGroup: 2, width: 160, height: 160, seed: 3, scaleMmPerPx: 0.25 });
}, 60_000);

describe('tiles', () => {
  it('a tile at scale 1 without augmentation is the image and its target, pixel for pixel', async () => {
    const [im] = await loadTrainingFolder(join(dir, 'synth'), 3);
    const t = sampleTile(im!, createRandom(1), 32, NO_AUGMENT, [40, 48]);
    // Tile pixel (v, u) has its centre at image (40 - 16 + u + 0.5, 48 - 16 + v + 0.5): pixel (row 32 + v, col 24 + u).
    const crop = new Int32Array(32 * 32);
    for (let v = 0; v < 32; v++) {
      for (let u = 0; u < 32; u++) {
        const src = (32 + v) * im!.width + 24 + u;
        crop[v * 32 + u] = im!.instances[src]!;
        for (let c = 0; c < 3; c++) expect(t.x[(v * 32 + u) * 3 + c]!).toBeCloseTo(im!.pixels[src * 3 + c]! / 255, 5);
      }
    }
    expect(Array.from(t.target)).toEqual(Array.from(makeClassMask({ width: 32, height: 32, data: crop }, { boundaryPx: 2 }).data));
  });

  it('shrunk tiles keep a boundary band and mark pixels beyond the image as ignore', async () => {
    const [im] = await loadTrainingFolder(join(dir, 'synth'), 3);
    const t = sampleTile(im!, createRandom(2), 64, { ...DEFAULT_AUGMENT, scale: [0.3, 0.3], boundaryFraction: 0 }, [10, 10]);
    const counts = [0, 0, 0, 0];
    for (const v of t.target) counts[v === PixelClass.ignore ? 3 : v]! += 1;
    expect(counts[2]).toBeGreaterThan(0);
    expect(counts[3]).toBeGreaterThan(0);
    expect(t.x.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe('trainModel', () => {
  it('lowers the loss, writes best and last checkpoints and a log, and resumes', async () => {
    const out = join(dir, 'model');
    const opts = {
      data: [{ dir: join(dir, 'synth'), weight: 1 }],
      out,
      architecture: { depth: 3, baseChannels: 4, batchNorm: true, upsampling: 'transpose' as const },
      tileSize: 64,
      batchSize: 4,
      epochs: 4,
      stepsPerEpoch: 6,
      learningRate: 1e-2,
      valFraction: 0.34,
      pipelineEvery: 2,
      seed: 5,
      // The single-thread path; test/train/parallel.test.ts covers workers > 1.
      workers: 1,
    };
    const before = tf.memory().numTensors;
    const r = await trainModel(opts);
    expect(tf.memory().numTensors).toBe(before);
    const losses = r.epochs.map((e) => e.trainLoss);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    expect(r.epochs.filter((e) => e.pipeline)).toHaveLength(2);
    for (const f of ['model.json', 'weights.bin', 'meta.json', 'train-log.json', 'checkpoints/last/meta.json']) expect(existsSync(join(out, f)), f).toBe(true);
    const loaded = await loadModelFolder(out);
    expect(loaded.meta.tileSize).toBe(64);
    const card = loaded.meta.training as { data: { images: number }[]; backend: string; validationMetrics: EpochRecord };
    expect(card.data[0]!.images).toBe(6);
    expect(card.validationMetrics.best).toBe(true);
    loaded.model.dispose();
    const resumed = await trainModel({ ...opts, epochs: 5, resume: true });
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5]);
    const log = JSON.parse(await readFile(join(out, 'train-log.json'), 'utf8')) as { epochs: EpochRecord[] };
    expect(log.epochs).toHaveLength(5);
    // Every epoch records its learning rate, and a resumed run continues with the last one (as after a decay).
    expect(log.epochs.every((e) => e.learningRate === 1e-2)).toBe(true);
    log.epochs.at(-1)!.learningRate = 2.5e-3;
    await writeFile(join(out, 'train-log.json'), JSON.stringify(log));
    const decayed = await trainModel({ ...opts, epochs: 6, resume: true });
    expect(decayed.epochs.at(-1)!.learningRate).toBe(2.5e-3);
  }, 120_000);

  it('decays the learning rate on a plateau of evaluations, not below its floor', async () => {
    const decay = { factor: 0.5, after: 2, min: 1e-4 };
    expect(plateauRate(1e-3, 1, decay)).toBe(1e-3);
    expect(plateauRate(1e-3, 2, decay)).toBe(5e-4);
    expect(plateauRate(1.5e-4, 3, decay)).toBe(1e-4);
    expect(plateauRate(1e-3, 99, undefined)).toBe(1e-3);
    await expect(trainModel({ data: [{ dir: join(dir, 'synth'), weight: 1 }], out: join(dir, 'x'), lrDecay: { factor: 1.5, after: 2 } })).rejects.toThrow(/--lr-decay/);
  });
});
