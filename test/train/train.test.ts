// A short training run on a tiny synthetic set: the loss goes down, the model folder is complete and loadable,
// resume continues the log, augmentation keeps labels and pixels together, and no tensor is left behind.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { trainCommand } from '../../src/cli/train.js';
import { makeClassMask } from '../../src/annotate/index.js';
import { PixelClass } from '../../src/core/index.js';
import { loadModelFolder, modelSourceHash, readModelMeta, writeRandomModel } from '../../src/segment/index.js';
import { runSynth } from '../../src/synth/index.js';
import { createRandom } from '../../src/synth/random.js';
import { DEFAULT_AUGMENT, NO_AUGMENT, loadTrainingFolder, pipelineSelection, plateauRate, sampleTile, splitByGroup, trainModel } from '../../src/train/index.js';
import type { EpochRecord, TrainingImage } from '../../src/train/index.js';
import { capture, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

resetCliAfterEach();

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

describe('validation split', () => {
  // Only key, source and group matter to the split.
  const im = (source: string, stem: string, group: string): TrainingImage => ({ key: `${source}/${stem}`, source: `/data/${source}`, group }) as TrainingImage;
  const images = [im('real', 'IMG_1', 'IMG_1'), im('real', 'IMG_2', 'IMG_2'), im('matrix', 'g01_001', 'g01'), im('matrix', 'g01_002', 'g01'), im('val', 'g01_001', 'g01'), im('val', 'g02_001', 'g02')];

  it('a STEM names that photo in every folder, FOLDER/STEM only in its own; a photo takes its whole group along', () => {
    const keys = (xs: TrainingImage[]): string[] => xs.map((x) => x.key).sort();
    expect(keys(splitByGroup(images, createRandom(1), 0, ['g01_001']).val)).toEqual(['matrix/g01_001', 'matrix/g01_002', 'val/g01_001']);
    const split = splitByGroup(images, createRandom(1), 0, ['IMG_2', 'val/g01_001', 'val/g02_001']);
    expect(keys(split.val)).toEqual(['real/IMG_2', 'val/g01_001', 'val/g02_001']);
    expect(keys(split.train)).toEqual(['matrix/g01_001', 'matrix/g01_002', 'real/IMG_1']);
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
    const card = loaded.meta.training as { data: { images: number; complete?: boolean }[]; backend: string; validationMetrics: EpochRecord };
    expect(card.data[0]!.images).toBe(6);
    expect(card.validationMetrics.best).toBe(true);
    // A synth folder labels every particle: its validation F1 counts every prediction, on the sand too.
    expect(card.data[0]!.complete).toBe(true);
    for (const e of r.epochs.filter((x) => x.pipeline)) expect(e.pipeline!.f1Labelled).toBe(e.pipeline!.f1);
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

  it('picks the best epoch by the octave-balanced F1 when asked to, else by F1 on labelled ground', () => {
    const score = { f1: 0.5, f1Labelled: 0.6, precision: 0.5, recall: 0.5, rmse5: 0.1, images: 1, octaveF1: 0.4, octaves: [], offLabelArea: 0 };
    expect(pipelineSelection(score, 'octaves')).toBe(0.4);
    expect(pipelineSelection(score, 'f1')).toBe(0.6);
    expect(pipelineSelection(score, undefined)).toBe(0.6);
  });

  it('decays the learning rate on a plateau of evaluations, not below its floor', async () => {
    const decay = { factor: 0.5, after: 2, min: 1e-4 };
    expect(plateauRate(1e-3, 1, decay)).toBe(1e-3);
    expect(plateauRate(1e-3, 2, decay)).toBe(5e-4);
    expect(plateauRate(1.5e-4, 3, decay)).toBe(1e-4);
    expect(plateauRate(1e-3, 99, undefined)).toBe(1e-3);
    await expect(trainModel({ data: [{ dir: join(dir, 'synth'), weight: 1 }], out: join(dir, 'x'), lrDecay: { factor: 1.5, after: 2 } })).rejects.toThrow(/--lr-decay/);
  });
});

describe('fine-tuning (--init)', () => {
  const TINY = { architecture: { depth: 3, baseChannels: 4, batchNorm: true, upsampling: 'transpose' as const }, inputChannels: 3 as const, tileSize: 64, seed: 9 };
  const kernels = async (model: string): Promise<Map<string, Float32Array>> => {
    const { model: m } = await loadModelFolder(model);
    try {
      return new Map(m.layers.filter((l) => l.name.endsWith('_conv') || l.name.startsWith('up') || l.name === 'classes').map((l) => [l.name, l.getWeights()[0]!.dataSync() as Float32Array]));
    } finally {
      m.dispose();
    }
  };
  const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, k) => Math.max(m, Math.abs(v - b[k]!)), 0);
  const base = { get data() { return [{ dir: join(dir, 'synth'), weight: 1 }]; }, batchSize: 2, epochs: 2, stepsPerEpoch: 3, pipelineEvery: 0, workers: 1, seed: 4 };

  beforeAll(async () => {
    await writeRandomModel(join(dir, 'parent'), TINY);
  });

  it('starts from the parent, keeps its architecture and tile, records it, and leaves no tensor behind', async () => {
    const parent = join(dir, 'parent');
    const before = tf.memory().numTensors;
    // With a vanishing learning rate the child's kernels are the parent's: the weights came from --init.
    const child = join(dir, 'child');
    await trainModel({ ...base, out: child, init: parent, learningRate: 1e-12 });
    expect(tf.memory().numTensors).toBe(before);
    const [p, c] = [await kernels(parent), await kernels(child)];
    for (const [name, w] of p) expect(maxDiff(w, c.get(name)!), name).toBeLessThan(1e-6);
    const meta = await readModelMeta(child);
    expect(meta.architecture).toEqual(TINY.architecture);
    expect(meta.tileSize).toBe(64);
    const card = meta.training as { parent: { dir: string; sourceHash: string }; added: { images: number }[]; freezeEncoder: boolean };
    expect(card.parent.dir).toBe(parent);
    expect(card.parent.sourceHash).toBe(await modelSourceHash(parent));
    expect(card.added[0]!.images).toBe(6);
    expect(card.freezeEncoder).toBe(false);
  }, 120_000);

  it.each([1, 2])('--freeze-encoder keeps every encoder kernel exactly and trains the rest (%i worker(s))', async (workers) => {
    const parent = join(dir, 'parent');
    const child = join(dir, `frozen-${workers}`);
    await trainModel({ ...base, out: child, init: parent, freezeEncoder: true, learningRate: 1e-2, workers });
    const [p, c] = [await kernels(parent), await kernels(child)];
    for (const [name, w] of p) {
      if (name.startsWith('enc')) expect(maxDiff(w, c.get(name)!), name).toBe(0);
      else expect(maxDiff(w, c.get(name)!), name).toBeGreaterThan(1e-4);
    }
  }, 120_000);

  it('refuses options that contradict the parent, and --freeze-encoder without --init', async () => {
    const parent = join(dir, 'parent');
    const out = join(dir, 'refused');
    await expect(trainModel({ ...base, out, init: parent, tileSize: 128 })).rejects.toThrow(/--tile must be left out with --init or 64/);
    await expect(trainModel({ ...base, out, init: parent, architecture: TINY.architecture })).rejects.toThrow(/left out with --init/);
    await expect(trainModel({ ...base, out, init: parent, sizeBand: { maxPx: 24 } })).rejects.toThrow(/--size-band must be left out with --init/);
    await expect(trainModel({ ...base, out, freezeEncoder: true })).rejects.toThrow(/--freeze-encoder must be used with --init/);
    await expect(trainModel({ ...base, out, init: join(dir, 'synth') })).rejects.toThrow(/not a model folder/);
    expect(existsSync(out)).toBe(false);
  });

  it('the CLI refuses architecture flags with --init, and --help names the few-shot defaults', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const argv = ['train', '--data', join(dir, 'synth'), '--out', join(dir, 'cli-init'), '--init', join(dir, 'parent')];
    await expect(capture([...argv, '--depth', '3'])).rejects.toThrow(/--depth cannot be used with --init: the architecture and tile size are the parent model's\./);
    await expect(capture([...argv, '--tile', '64'])).rejects.toThrow(/--tile cannot be used with --init/);
    const help = trainCommand().helpInformation();
    expect(help).toMatch(/--init <model>/);
    expect(help).toMatch(/--freeze-encoder/);
    expect(help.replace(/\s+/g, ' ')).toMatch(/--max-minutes 12/);
  });

  it('holds out no photo when there are fewer groups than valMinGroups', async () => {
    const r = await trainModel({ ...base, out: join(dir, 'noval'), init: join(dir, 'parent'), valFraction: 0.2, valMinGroups: 4, epochs: 1 });
    const meta = await readModelMeta(join(dir, 'noval'));
    expect((meta.training as { validation: string[] }).validation).toEqual([]);
    expect(r.epochs).toHaveLength(1);
    const three = await trainModel({ ...base, out: join(dir, 'val3'), init: join(dir, 'parent'), valFraction: 0.2, valMinGroups: 3, epochs: 1 });
    expect(three.epochs).toHaveLength(1);
    expect(((await readModelMeta(join(dir, 'val3'))).training as { validation: string[] }).validation).toHaveLength(2); // one group of 2 photos
  }, 120_000);
});
