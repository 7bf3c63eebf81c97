// Scale-band training (issue 12): a particle whose b-axis at the tile's scale is above the band is labelled
// `large`, wherever the tile is cut and however it is shrunk; a scale-band model trains, has four output classes,
// says so in meta.json, and exports to ONNX.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PixelClass } from '../../src/core/index.js';
import { openEngine, readModelMeta } from '../../src/segment/index.js';
import { createRandom } from '../../src/synth/random.js';
import type { TrainingImage } from '../../src/train/index.js';
import { NO_AUGMENT, loadTrainingFolder, sampleTile, trainModel } from '../../src/train/index.js';
import { runSynth } from '../../src/synth/index.js';
import { tempDir } from '../helpers/tmp.js';

/** Two discs on a dark ground: id 1 of radius 6 (b ≈ 12 px), id 2 of radius 30 (b ≈ 60 px). */
function twoDiscs(): TrainingImage {
  const W = 160;
  const H = 100;
  const instances = new Int32Array(W * H);
  const pixels = new Uint8Array(W * H * 3).fill(40);
  const discs = [
    { id: 1, cx: 30, cy: 50, r: 6 },
    { id: 2, cx: 100, cy: 50, r: 30 },
  ];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (const d of discs) {
        if (Math.hypot(x + 0.5 - d.cx, y + 0.5 - d.cy) <= d.r) {
          instances[y * W + x] = d.id;
          pixels.fill(200, (y * W + x) * 3, (y * W + x) * 3 + 3);
        }
      }
    }
  }
  return { key: 't/discs', source: 't', group: 'g', width: W, height: H, channels: 3, pixels, instances, valid: undefined, boundary: new Int32Array(0), minorPx: Float32Array.from([0, 12, 60]) };
}

function classesOf(target: Uint8Array, ids: Int32Array, id: number): Set<number> {
  const out = new Set<number>();
  ids.forEach((v, q) => {
    if (v === id) out.add(target[q]!);
  });
  return out;
}

describe('scale-band targets', () => {
  it('at scale 1 with a 40 px band the 60 px disc is large (body and rim), the 12 px disc keeps body and boundary', () => {
    const im = twoDiscs();
    const t = sampleTile(im, createRandom(1), 160, { ...NO_AUGMENT, largeAbovePx: 40 }, [80, 50]);
    // The tile is the image at scale 1 (160 wide, centred): tile pixel q is image pixel q for rows 0..99 shifted by 30.
    const ids = new Int32Array(160 * 160);
    for (let v = 0; v < 160; v++) for (let u = 0; u < 160; u++) ids[v * 160 + u] = v - 30 >= 0 && v - 30 < 100 ? im.instances[(v - 30) * 160 + u]! : -1;
    expect(classesOf(t.target, ids, 2)).toEqual(new Set([PixelClass.large]));
    expect(classesOf(t.target, ids, 1)).toEqual(new Set([PixelClass.body, PixelClass.boundary]));
  });

  it("with largeRim 'boundary' the 60 px disc's rim stays boundary and only its body is large; the small disc is unchanged", () => {
    const im = twoDiscs();
    const whole = sampleTile(im, createRandom(1), 160, { ...NO_AUGMENT, largeAbovePx: 40 }, [80, 50]);
    const t = sampleTile(im, createRandom(1), 160, { ...NO_AUGMENT, largeAbovePx: 40, largeRim: 'boundary' }, [80, 50]);
    const ids = new Int32Array(160 * 160);
    for (let v = 0; v < 160; v++) for (let u = 0; u < 160; u++) ids[v * 160 + u] = v - 30 >= 0 && v - 30 < 100 ? im.instances[(v - 30) * 160 + u]! : -1;
    expect(classesOf(t.target, ids, 2)).toEqual(new Set([PixelClass.large, PixelClass.boundary]));
    expect(classesOf(t.target, ids, 1)).toEqual(new Set([PixelClass.body, PixelClass.boundary]));
    // Pixel for pixel: the rim is exactly where the plain class mask has boundary, the rest of the disc is large.
    const plain = sampleTile(im, createRandom(1), 160, NO_AUGMENT, [80, 50]);
    ids.forEach((id, q) => {
      if (id !== 2) expect(t.target[q]).toBe(whole.target[q]);
      else expect(t.target[q]).toBe(plain.target[q] === PixelClass.boundary ? PixelClass.boundary : PixelClass.large);
    });
  });

  it("with largeRim 'ignore' the 60 px disc's rim is left out of the loss and its body is large", () => {
    const im = twoDiscs();
    const t = sampleTile(im, createRandom(1), 160, { ...NO_AUGMENT, largeAbovePx: 40, largeRim: 'ignore' }, [80, 50]);
    const plain = sampleTile(im, createRandom(1), 160, NO_AUGMENT, [80, 50]);
    const ids = new Int32Array(160 * 160);
    for (let v = 0; v < 160; v++) for (let u = 0; u < 160; u++) ids[v * 160 + u] = v - 30 >= 0 && v - 30 < 100 ? im.instances[(v - 30) * 160 + u]! : -1;
    ids.forEach((id, q) => {
      if (id === 2) expect(t.target[q]).toBe(plain.target[q] === PixelClass.boundary ? PixelClass.ignore : PixelClass.large);
      else expect(t.target[q]).toBe(plain.target[q]);
    });
  });

  it('shrunk to 0.5× the 60 px disc is 30 tile px: inside the band, so body and boundary again', () => {
    const im = twoDiscs();
    const t = sampleTile(im, createRandom(1), 96, { ...NO_AUGMENT, scale: [0.5, 0.5], largeAbovePx: 40 }, [80, 50]);
    expect(t.target.includes(PixelClass.large)).toBe(false);
    expect(t.target.includes(PixelClass.body)).toBe(true);
  });
});

describe('a scale-band model', () => {
  it('trains with four classes, records its band and exports an ONNX graph with four outputs', async () => {
    const dir = (await tempDir()).dir;
    await runSynth({ outDir: join(dir, 'synth'), groups: 2, perGroup: 2, width: 160, height: 160, seed: 5, scaleMmPerPx: 0.1 });
    const out = join(dir, 'model');
    const result = await trainModel({
      data: [{ dir: join(dir, 'synth'), weight: 1 }],
      out,
      architecture: { depth: 3, baseChannels: 4, batchNorm: true, upsampling: 'transpose' },
      tileSize: 64,
      batchSize: 2,
      epochs: 1,
      stepsPerEpoch: 2,
      valFraction: 0.5,
      pipelineEvery: 1,
      sizeBand: { maxPx: 24 },
    });
    expect(result.epochs[0]!.iou.large).toBeDefined();
    const meta = await readModelMeta(out);
    expect(meta.classes).toEqual(['background', 'body', 'boundary', 'large']);
    expect(meta.sizeBand).toEqual({ maxPx: 24, minPx: 6, trainedScales: [0.3, 1.3], rim: 'large' });
    const ort = await openEngine(out, meta, { backend: 'onnxruntime', threads: 1 });
    try {
      const y = await ort.run(new Float32Array(64 * 64 * 3).fill(0.5), 1, 64, 64);
      expect(y).toHaveLength(64 * 64 * 4);
      for (let p = 0; p < 64 * 64; p += 97) expect(y[4 * p]! + y[4 * p + 1]! + y[4 * p + 2]! + y[4 * p + 3]!).toBeCloseTo(1, 5);
    } finally {
      await ort.dispose();
    }
  }, 120_000);
});

describe('--large-rim', () => {
  it('is refused for a model without a size band, naming the flag and what it needs', async () => {
    const dir = (await tempDir()).dir;
    await expect(trainModel({ data: [{ dir: join(dir, 'none'), weight: 1 }], out: join(dir, 'model'), largeRim: 'boundary' })).rejects.toThrow(/--large-rim.*scale-band model \(--size-band, or --init of one\)/);
  });
});

describe('the benchmark-only look', () => {
  it('a folder rendered in synth\'s heldout look is refused as training data, naming the folder and the fix', async () => {
    const dir = (await tempDir()).dir;
    await runSynth({ outDir: join(dir, 'heldout'), groups: 1, perGroup: 1, width: 128, height: 128, seed: 2, scaleMmPerPx: 0.1, look: 'heldout' });
    await expect(loadTrainingFolder(join(dir, 'heldout'), 3)).rejects.toThrow(/benchmark-only look \["heldout"\], which no model may train on/);
  });
});
