// Tile plans (coverage, overlap, alignment), the blending window and reflection, with exact small cases.
import { describe, expect, it } from 'vitest';
import { blendProfile, minOverlap, planAxis, planTiles, reflectIndex, reflectedRange } from '../../src/segment/index.js';
import { errorLineOf } from '../helpers/errors.js';

describe('planAxis / planTiles', () => {
  const cases: [number, number, number][] = [
    [1, 64, 16],
    [63, 64, 16],
    [64, 64, 16],
    [65, 64, 16],
    [300, 64, 16],
    [1500, 256, 64],
    [6000, 256, 32],
    [4000, 256, 64],
  ];
  it.each(cases)('length %i, tile %i, overlap %i: covers image + margin, neighbours overlap enough, aligned', (length, tile, overlap) => {
    const align = 4;
    const margin = Math.floor(overlap / 2);
    const starts = planAxis(length, tile, overlap, margin, align);
    expect(starts[0]!).toBeLessThanOrEqual(0);
    expect(starts.at(-1)! + tile).toBeGreaterThanOrEqual(length);
    for (const s of starts) expect(s % align === 0).toBe(true);
    for (let k = 1; k < starts.length; k++) {
      expect(starts[k]! - starts[k - 1]!).toBeGreaterThan(0);
      expect(tile - (starts[k]! - starts[k - 1]!)).toBeGreaterThanOrEqual(overlap);
    }
    // Image edge pixels are not at a tile edge when the image is larger than a tile: they get reflected context.
    if (length + 2 * margin > tile) {
      expect(starts[0]!).toBeLessThanOrEqual(-margin);
      expect(starts.at(-1)! + tile).toBeGreaterThanOrEqual(length + margin);
    }
  });

  it('a 1500×1500 photo at 256² tiles, overlap 64, plus a 32 px reflected margin: 8 × 8 tiles', () => {
    const plan = planTiles(1500, 1500, { tileSize: 256, align: 8 });
    expect(plan.overlap).toBe(64);
    expect(plan.tiles).toHaveLength(plan.columns.length * plan.rows.length);
    expect(plan.columns).toEqual([-32, 152, 344, 528, 720, 904, 1096, 1280]);
  });

  it('rejects an overlap under tile/8 with the range in the message', async () => {
    expect(minOverlap(256)).toBe(32);
    expect(await errorLineOf(() => planTiles(100, 100, { tileSize: 256, overlap: 8 }))).toMatch(/overlap must be an integer from 32 \(tile\/8\) to 128/);
  });
});

describe('blendProfile', () => {
  it('is 1 in the middle, symmetric, above the floor, and neighbours at stride tile − overlap sum to 1', () => {
    const t = 64;
    const o = 16;
    const p = blendProfile(t, o, 1e-3);
    for (let i = 0; i < t; i++) {
      expect(p[i]).toBeCloseTo(p[t - 1 - i]!, 6);
      expect(p[i]!).toBeGreaterThanOrEqual(1e-3);
    }
    expect(p[o]).toBe(1);
    expect(p[t / 2]).toBe(1);
    for (let k = 0; k < o; k++) expect(p[t - o + k]! + p[k]!).toBeCloseTo(1, 5);
  });
});

describe('reflection', () => {
  it('mirrors without repeating the edge pixel, for any distance and tiny sizes', () => {
    expect(Array.from(reflectedRange(-3, 10, 4))).toEqual([3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    expect(Array.from(reflectedRange(-2, 5, 1))).toEqual([0, 0, 0, 0, 0]);
    expect(reflectIndex(-7, 3)).toBe(1);
    expect(reflectIndex(100, 5)).toBe(4); // 100 mod 8 = 4
  });
});
