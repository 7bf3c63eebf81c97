// The overlay must stay byte-identical however drawOverlay is made faster: checked against the version it
// replaced (test/segment/referenceOverlay.ts) on seeded random maps and photos of every channel count and depth,
// at outline thicknesses 1, 2 and 3 (photos up to 1499, 2499 and 3499 px on the long side).
import { describe, expect, it } from 'vitest';
import type { Raster } from '../../src/core/index.js';
import { drawOverlay, rgb8 } from '../../src/pipeline/index.js';
import { grid } from '../helpers/grid.js';
import { random, randomInstanceMap } from '../helpers/randomInstances.js';
import { referenceDrawOverlay, referenceRgb8 } from './referenceOverlay.js';

function randomRaster(width: number, height: number, channels: Raster['channels'], depth: Raster['depth'], seed: number): Raster {
  const rnd = random(seed);
  const data = depth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  const top = depth === 16 ? 65536 : 256;
  for (let k = 0; k < data.length; k++) data[k] = Math.floor(rnd() * top);
  return { width, height, channels, depth, data };
}

/** First differing byte, or -1: a readable failure instead of a multi-megabyte diff. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return k;
  return -1;
}

describe('drawOverlay is byte-identical to the reference', () => {
  const cases = [
    [1, 1, 1],
    [5, 3, 2],
    [61, 47, 3],
    [200, 150, 4],
    [1600, 37, 1],
    [45, 1700, 3],
    [2600, 29, 3],
  ] as const;
  for (const [w, h, channels] of cases) {
    it(`${w}×${h}, ${channels} channel(s), 8 and 16 bit, dense and sparse ids`, () => {
      for (let seed = 1; seed <= 3; seed++) {
        for (const depth of [8, 16] as const) {
          const raster = randomRaster(w, h, channels, depth, seed);
          expect(firstDifference(rgb8(raster), referenceRgb8(raster))).toBe(-1);
          for (const ids of ['dense', 'sparse'] as const) {
            const map = randomInstanceMap(w, h, seed * 17 + depth, { ids, shapes: 8 + seed * 5 });
            // The overlay palette needs ids ≥ 0 (as instance maps have): negative ids become their absolute value.
            for (let k = 0; k < map.data.length; k++) map.data[k] = Math.abs(map.data[k]!);
            expect(firstDifference(drawOverlay(raster, map), referenceDrawOverlay(raster, map))).toBe(-1);
          }
        }
      }
    });
  }

  it('labels overlapping each other and the border, ids with many digits', () => {
    const map = grid(['1.2.3', '.....', '4.5.6', '....z']);
    map.data[2] = 1234567;
    const raster = randomRaster(map.width, map.height, 3, 8, 9);
    expect(firstDifference(drawOverlay(raster, map), referenceDrawOverlay(raster, map))).toBe(-1);
  });
});
