// The multi-scale semantic stage: how deep the pyramid goes, the fusion rule (a pixel's `large` share goes to the
// coarser level, the rest stays), and the whole stage on an engine whose answer depends on the level it sees.
import { describe, expect, it } from 'vitest';
import type { ModelMeta, Probabilities, TileEngine } from '../../src/segment/index.js';
import { fuseLevel, predictMultiscale, pyramidLevels, upsampleProbabilities } from '../../src/segment/index.js';
import { constantRaster } from './helpers.js';

const META: ModelMeta = {
  format: 'photosieve-unet/1',
  classes: ['background', 'body', 'boundary', 'large'],
  sizeBand: { maxPx: 32 },
  inputChannels: 3,
  normalization: 'unit',
  tileSize: 64,
  architecture: { depth: 3, baseChannels: 4, batchNorm: true, upsampling: 'transpose' },
};

describe('pyramid depth', () => {
  it('adds levels until the largest particle fits the band, never below a 32 px frame', () => {
    expect(pyramidLevels(META, 1000, 1000)).toBe(4); // 500 px stones / 32 → 2^4
    expect(pyramidLevels(META, 1000, 1000, 30)).toBe(0);
    expect(pyramidLevels(META, 1000, 1000, 100)).toBe(2);
    expect(pyramidLevels(META, 100, 4000)).toBe(1); // the 100 px side allows one halving to 50 px
    expect(pyramidLevels({ ...META, classes: ['background', 'body', 'boundary'], sizeBand: undefined }, 1000, 1000)).toBe(0);
  });
});

describe('fusion', () => {
  it('keeps background/body/boundary and replaces the large share with the upsampled coarser map', () => {
    const coarse: Probabilities = { width: 1, height: 1, data: Float32Array.from([0.1, 0.7, 0.2]) };
    const p = { width: 2, height: 1, channels: 4, data: Float32Array.from([0.5, 0.3, 0.2, 0, 0, 0, 0, 1]) };
    const q = fuseLevel(p, coarse);
    expect(Array.from(q.data).map((v) => Number(v.toFixed(6)))).toEqual([0.5, 0.3, 0.2, 0.1, 0.7, 0.2]);
  });

  it('equals P[bg, body, boundary] + P[large] · upsampleProbabilities(Q) pixel for pixel on random maps of odd sizes', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const coarse: Probabilities = { width: 5, height: 3, data: Float32Array.from({ length: 45 }, rand) };
    const p = { width: 11, height: 7, channels: 4, data: Float32Array.from({ length: 11 * 7 * 4 }, (_, k) => (k % 4 === 3 && k % 3 === 0 ? 0 : rand())) };
    const up = upsampleProbabilities(coarse, 11, 7);
    const q = fuseLevel(p, coarse);
    for (let n = 0; n < 77; n++) {
      for (let k = 0; k < 3; k++) expect(q.data[3 * n + k]).toBeCloseTo(p.data[4 * n + k]! + p.data[4 * n + 3]! * up[3 * n + k]!, 6);
    }
  });

  it('bilinear upsampling with half-pixel centres keeps a constant map constant and interpolates a ramp', () => {
    const flat: Probabilities = { width: 3, height: 2, data: new Float32Array(18).fill(1 / 3) };
    expect(upsampleProbabilities(flat, 6, 4).every((v) => Math.abs(v - 1 / 3) < 1e-6)).toBe(true);
    const ramp: Probabilities = { width: 2, height: 1, data: Float32Array.from([1, 0, 0, 0, 1, 0]) };
    const up = upsampleProbabilities(ramp, 4, 1);
    expect(Array.from(up.filter((_, k) => k % 3 === 1)).map((v) => Number(v.toFixed(3)))).toEqual([0, 0.25, 0.75, 1]);
  });
});

describe('predictMultiscale', () => {
  it('runs every level, coarsest first, and a full-resolution "large" everywhere becomes the coarse body', async () => {
    const raster = constantRaster(256, 256, 120);
    const levels = pyramidLevels(META, 256, 256);
    // The engine cannot see the level, so it counts finished levels from the progress callback: the last level
    // predictMultiscale runs is full resolution, where it answers `large`; every coarser level answers body.
    let pass = 0;
    const engine: TileEngine = {
      info: { name: 'cpu', skipped: [] },
      maxBatchPixels: 1 << 24,
      run(_input, n, h, w) {
        const out = new Float32Array(n * h * w * 4);
        for (let q = 0; q < n * h * w; q++) out[4 * q + (pass === levels ? 3 : 1)] = 1;
        return Promise.resolve(out);
      },
      dispose: () => Promise.resolve(),
    };
    const r = await predictMultiscale(engine, META, raster, {
      onTile: (done, total) => {
        if (done === total) pass += 1;
      },
    });
    expect(r.levels).toBe(2); // 128 px stones (half of 256) fit a 32 px band two halvings down
    expect(pass).toBe(levels + 1);
    expect(r.probabilities.width).toBe(256);
    expect(r.probabilities.height).toBe(256);
    for (let q = 0; q < 256 * 256; q += 101) {
      expect(r.probabilities.data[3 * q + 1]).toBeCloseTo(1, 5);
      expect(r.probabilities.data[3 * q]! + r.probabilities.data[3 * q + 2]!).toBeCloseTo(0, 5);
    }
  });

  it('levels: 0 runs full resolution only, with large counted as body', async () => {
    const engine: TileEngine = {
      info: { name: 'cpu', skipped: [] },
      maxBatchPixels: 1 << 24,
      run(_input, n, h, w) {
        const out = new Float32Array(n * h * w * 4);
        for (let q = 0; q < n * h * w; q++) {
          out[4 * q] = 0.25;
          out[4 * q + 3] = 0.75;
        }
        return Promise.resolve(out);
      },
      dispose: () => Promise.resolve(),
    };
    const r = await predictMultiscale(engine, META, constantRaster(100, 80, 50), { levels: 0 });
    expect(r.levels).toBe(0);
    expect(r.probabilities.data[0]).toBeCloseTo(0.25, 6);
    expect(r.probabilities.data[1]).toBeCloseTo(0.75, 6);
  });
});
