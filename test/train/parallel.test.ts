// Data-parallel training: one 2-worker step equals one single-thread step on the same full batch, a short
// 2-worker run learns and leaves no tensor or thread behind, and a failing worker reports one clear line.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildUnet, initBackend } from '../../src/segment/index.js';
import type { TileSource } from '../../src/train/index.js';
import {
  DEFAULT_AUGMENT,
  batchTensors,
  drawTile,
  liveTrainWorkers,
  loadTrainingFolder,
  registerWasmTrainingKernels,
  segmentationLoss,
  shareOf,
  startParallelTraining,
  tileRandom,
  trainModel,
} from '../../src/train/index.js';
import { runSynth } from '../../src/synth/index.js';
import { tempDir } from '../helpers/tmp.js';

const NO_BN = { depth: 3, baseChannels: 4, batchNorm: false, upsampling: 'transpose' as const };
const TINY_BN = { ...NO_BN, batchNorm: true };

let dir: string;
let sources: TileSource[];
beforeAll(async () => {
  dir = (await tempDir()).dir;
  await runSynth({ outDir: join(dir, 'synth'), groups: 3, perGroup: 2, width: 128, height: 128, seed: 4, scaleMmPerPx: 0.25 });
  const backend = await initBackend();
  if (backend.name === 'wasm') registerWasmTrainingKernels();
  sources = [{ weight: 1, imgs: await loadTrainingFolder(join(dir, 'synth'), 3) }];
}, 60_000);

afterEach(async () => {
  // Workers end with their trainer: none may outlive a test.
  for (let k = 0; k < 50 && liveTrainWorkers() > 0; k++) await new Promise((r) => setTimeout(r, 20));
  expect(liveTrainWorkers()).toBe(0);
});

const weightsOf = (m: tf.LayersModel): Float32Array[] => m.weights.map((w) => w.read().dataSync() as Float32Array);

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  a.forEach((x, k) => x.forEach((v, i) => (d = Math.max(d, Math.abs(v - b[k]![i]!)))));
  return d;
}

describe('shareOf', () => {
  it('splits a batch into contiguous shares that cover it once', () => {
    expect([0, 1, 2].map((w) => shareOf(w, 3, 8))).toEqual([
      [0, 2],
      [2, 5],
      [5, 8],
    ]);
    expect([0, 1].map((w) => shareOf(w, 2, 1))).toEqual([
      [0, 0],
      [0, 1],
    ]);
  });
});

describe('startParallelTraining', () => {
  it('one 2-worker step gives the weights of one single-thread step on the same batch (no batch norm)', async () => {
    // SGD makes the update a multiple of the gradient itself (Adam's first step would hide it behind a sign).
    // Dice weight 0: the cross-entropy is a mean over valid pixels, which per-worker weighting reproduces exactly,
    // ignored pixels at shrunk or rotated tiles' edges included.
    const loss = { diceWeight: 0 };
    const B = 4;
    const T = 64;
    const seed = 11;
    const single = buildUnet({ architecture: NO_BN, inputChannels: 3, seed: 5 });
    const parallel = buildUnet({ architecture: NO_BN, inputChannels: 3, seed: 5 });
    expect(maxDiff(weightsOf(single), weightsOf(parallel))).toBe(0);
    const optA = tf.train.sgd(0.1);
    const optB = tf.train.sgd(0.1);
    const before = weightsOf(single);

    const tiles = Array.from({ length: B }, (_, k) => drawTile(sources, tileRandom(seed, 3, k), T, DEFAULT_AUGMENT));
    expect(tiles.some((t) => t.target.includes(255))).toBe(true);
    const lossFn = segmentationLoss(loss);
    const { x, y } = batchTensors(tiles, T, 3);
    const vars = single.trainableWeights.map((w) => w.read() as tf.Variable);
    const l = optA.minimize(() => lossFn(y, single.apply(x, { training: true }) as tf.Tensor), true, vars)!;
    const singleLoss = l.dataSync()[0]!;
    tf.dispose([x, y, l]);

    const trainer = await startParallelTraining({ model: parallel, optimizer: optB, workers: 2, sources, tileSize: T, inputChannels: 3, augment: DEFAULT_AUGMENT, loss, seed });
    try {
      const parallelLoss = await trainer.step(3, B);
      // float32 sums over 16 k pixels in a different grouping: agreement to ~1e-5 relative.
      expect(Math.abs(parallelLoss - singleLoss) / singleLoss).toBeLessThan(1e-4);
    } finally {
      expect(await trainer.close()).toEqual([0, 0]);
    }
    const a = weightsOf(single);
    const b = weightsOf(parallel);
    // The step moved the weights by far more than the tolerance, and both the same way.
    expect(maxDiff(before, a)).toBeGreaterThan(1e-2);
    expect(maxDiff(a, b)).toBeLessThan(1e-5);
    tf.dispose([single, parallel].flatMap((m) => m.weights.map((w) => w.read())));
    optA.dispose();
    optB.dispose();
  }, 60_000);

  it('averages batch-norm moving statistics back into the master model', async () => {
    const model = buildUnet({ architecture: TINY_BN, inputChannels: 3, seed: 2 });
    const stats = (): number[] => model.nonTrainableWeights.flatMap((w) => Array.from(w.read().dataSync()));
    const start = stats();
    const optimizer = tf.train.adam(1e-3);
    const trainer = await startParallelTraining({ model, optimizer, workers: 2, sources, tileSize: 64, inputChannels: 3, augment: DEFAULT_AUGMENT, loss: {}, seed: 1 });
    try {
      await trainer.step(1, 4);
    } finally {
      await trainer.close();
    }
    const after = stats();
    expect(after.some((v, i) => Math.abs(v - start[i]!) > 1e-4)).toBe(true);
    expect(after.every(Number.isFinite)).toBe(true);
    model.dispose();
    optimizer.dispose();
  }, 60_000);

  it('a failing worker rejects the step with one line naming the worker and the step, and all workers end', async () => {
    const model = buildUnet({ architecture: NO_BN, inputChannels: 3, seed: 2 });
    const optimizer = tf.train.adam(1e-3);
    // 62 px is not a multiple of 4: the depth-3 U-Net's skip concatenation fails inside the workers.
    const trainer = await startParallelTraining({ model, optimizer, workers: 2, sources, tileSize: 62, inputChannels: 3, augment: DEFAULT_AUGMENT, loss: {}, seed: 1 });
    try {
      const err = await trainer.step(1, 4).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toMatch(/^training worker [12] of 2 failed at step 1: /);
      expect(err?.message).not.toContain('\n');
      await expect(trainer.step(2, 4)).rejects.toThrow(/training worker/);
    } finally {
      await trainer.close();
    }
    model.dispose();
    optimizer.dispose();
  }, 60_000);
});

describe('trainModel with workers: 2', () => {
  it('lowers the loss, leaves no tensor in this thread and no worker running, is deterministic and resumes', async () => {
    const opts = {
      data: [{ dir: join(dir, 'synth'), weight: 1 }],
      architecture: TINY_BN,
      tileSize: 64,
      batchSize: 4,
      epochs: 3,
      stepsPerEpoch: 6,
      learningRate: 1e-2,
      valFraction: 0.34,
      pipelineEvery: 0,
      seed: 5,
      workers: 2,
    };
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    const r = await trainModel({ ...opts, out: join(dir, 'par-a'), log: (l) => lines.push(l) });
    expect(tf.memory().numTensors).toBe(before);
    expect(liveTrainWorkers()).toBe(0);
    expect(lines).toContain('data-parallel: 2 worker threads');
    const losses = r.epochs.map((e) => e.trainLoss);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    const again = await trainModel({ ...opts, epochs: 1, out: join(dir, 'par-b') });
    expect(again.epochs[0]!.trainLoss).toBe(r.epochs[0]!.trainLoss);
    const resumed = await trainModel({ ...opts, epochs: 4, resume: true, out: join(dir, 'par-a') });
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
