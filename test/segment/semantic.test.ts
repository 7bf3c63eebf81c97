// Tiled inference with a seeded random U-Net: no seams on a constant photo, the same probabilities as one
// whole-image pass away from the borders, exact model-folder round trips, and bounded tensors.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PixelClass } from '../../src/core/index.js';
import type { LoadedModel, Probabilities } from '../../src/segment/index.js';
import { PROBABILITY_CHANNELS, initBackend, inputMapper, loadModelFolder, predictProbabilities, probabilityPlane } from '../../src/segment/index.js';
import { errorLineOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { constantRaster, discGrid, discRaster, engineOf, tinyModelDir } from './helpers.js';

let dir: string;
let loaded: LoadedModel;
beforeAll(async () => {
  dir = await tinyModelDir();
  loaded = await loadModelFolder(dir);
});

const K = PROBABILITY_CHANNELS;

describe('backend', () => {
  it('runs on wasm with SIMD here (no tfjs-node installed)', async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('tiled inference', () => {
  it('probabilities sum to 1 and have the input size, for images smaller and larger than a tile', async () => {
    for (const [w, h] of [[10, 7], [64, 64], [150, 97]] as const) {
      const p = await predictProbabilities(engineOf(loaded), loaded.meta, constantRaster(w, h, 100));
      expect(p.data).toHaveLength(w * h * K);
      for (let q = 0; q < w * h; q += 7) expect(p.data[q * K]! + p.data[q * K + 1]! + p.data[q * K + 2]!).toBeCloseTo(1, 5);
    }
  });

  it('no seams on a constant image: away from the edges the map repeats with the network period at every tile border', async () => {
    const w = 300;
    const h = 200;
    const p = await predictProbabilities(engineOf(loaded), loaded.meta, constantRaster(w, h, 128));
    // The random net paints a texture of period 2^(depth−1) = 4 even on a flat input; a seam would break it.
    const period = 4;
    let texture = 0;
    let seam = 0;
    for (let y = 0; y < h - period; y++) {
      for (let x = 0; x < w - period; x++) {
        for (let k = 0; k < K; k++) {
          const v = p.data[(y * w + x) * K + k]!;
          texture = Math.max(texture, Math.abs(p.data[(y * w + x + 1) * K + k]! - v));
          seam = Math.max(seam, Math.abs(p.data[(y * w + x + period) * K + k]! - v), Math.abs(p.data[((y + period) * w + x) * K + k]! - v));
        }
      }
    }
    expect(texture).toBeGreaterThan(0.02);
    expect(seam).toBeLessThan(0.01);
  });

  it('matches one whole-image pass of the same network away from the image border', async () => {
    const w = 192;
    const h = 160;
    const raster = discRaster(w, h, discGrid(w, h, 6, 12));
    const tiled = await predictProbabilities(engineOf(loaded), loaded.meta, raster);
    const mapper = inputMapper(raster, 3, 'unit');
    const input = new Float32Array(w * h * 3);
    for (let q = 0; q < w * h; q++) mapper.write(q, input, q * 3);
    const whole = tf.tidy(() => (loaded.model.predict(tf.tensor4d(input, [1, h, w, 3])) as tf.Tensor).dataSync());
    let worst = 0;
    const border = 32;
    for (let y = border; y < h - border; y++) {
      for (let x = border; x < w - border; x++) {
        for (let k = 0; k < K; k++) worst = Math.max(worst, Math.abs(tiled.data[(y * w + x) * K + k]! - whole[(y * w + x) * K + k]!));
      }
    }
    expect(worst).toBeLessThan(0.02);
  });

  it('keeps tensors bounded: none left after inference, whatever the image size', async () => {
    const before = tf.memory().numTensors;
    let peak = 0;
    await predictProbabilities(engineOf(loaded), loaded.meta, constantRaster(400, 300, 90), {
      onTile: () => {
        peak = Math.max(peak, tf.memory().numTensors - before);
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(peak).toBe(0);
  });

  it('probabilityPlane reads channels by PixelClass', () => {
    const p: Probabilities = { width: 2, height: 1, data: new Float32Array([0.1, 0.7, 0.2, 0.3, 0.3, 0.4]) };
    expect(Array.from(probabilityPlane(p, PixelClass.body))).toEqual([Math.fround(0.7), Math.fround(0.3)]);
    expect(Array.from(probabilityPlane(p, PixelClass.boundary))).toEqual([Math.fround(0.2), Math.fround(0.4)]);
  });
});

describe('model folders', () => {
  it('reload exactly: the same probabilities from a second load', async () => {
    const again = await loadModelFolder(dir);
    try {
      const raster = discRaster(80, 70, [{ cx: 40, cy: 35, r: 20 }]);
      const a = await predictProbabilities(engineOf(loaded), loaded.meta, raster);
      const b = await predictProbabilities(engineOf(again), again.meta, raster);
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
      expect(again.meta).toEqual(loaded.meta);
    } finally {
      again.model.dispose();
    }
  });

  it('a broken meta.json is one line naming the file and the field', async () => {
    const tmp = await tempDir();
    await writeFile(join(tmp.dir, 'meta.json'), JSON.stringify({ ...loaded.meta, tileSize: 102 }));
    expect(await errorLineOf(() => loadModelFolder(tmp.dir))).toMatch(/meta\.json: meta\.json field tileSize: must be a multiple of 4/);
    await writeFile(join(tmp.dir, 'meta.json'), JSON.stringify({ ...loaded.meta, classes: ['a', 'b', 'c'] }));
    expect(await errorLineOf(() => loadModelFolder(tmp.dir))).toMatch(/field classes: must be \["background","body","boundary"\] or/);
  });

  it('a folder without model.json says which file is missing', async () => {
    const tmp = await tempDir();
    await writeFile(join(tmp.dir, 'meta.json'), JSON.stringify(loaded.meta));
    expect(await errorLineOf(() => loadModelFolder(tmp.dir))).toMatch(/model\.json: the model folder has no readable model\.json\. Fix: pass --model DIR/);
  });
});
