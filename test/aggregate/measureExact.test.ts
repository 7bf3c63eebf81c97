// The measure stage must give identical particles however it is made faster: src/aggregate/measure.ts and the
// particle table are checked against the plain versions they replaced (test/aggregate/referenceMeasure.ts) on seeded
// random maps, every measure compared with Object.is and every CSV line compared as text.
import { describe, expect, it } from 'vitest';
import type { InstanceMap } from '../../src/core/index.js';
import type { Particle } from '../../src/aggregate/index.js';
import { measureParticles, particleTable } from '../../src/aggregate/index.js';
import { labelMoments } from '../../src/aggregate/labelMoments.js';
import { formatCsv } from '../../src/io/index.js';
import { grid } from '../helpers/grid.js';
import { randomInstanceMap, randomRoi } from '../helpers/randomInstances.js';
import type { ReferenceParticle } from './referenceMeasure.js';
import { referenceMeasureParticles, referenceParticleTable } from './referenceMeasure.js';

const GETTERS = ['id', 'areaPx', 'xPx', 'yPx', 'eqDiamPx', 'majorPx', 'minorPx', 'orientationDeg', 'touchesEdge', 'perimeterPx', 'feretMinPx', 'feretMaxPx', 'solidity', 'scale'] as const;

/** Every measure, the hull and toJSON, compared exactly (Object.is: -0 ≠ 0, NaN = NaN). */
function expectSame(fast: readonly Particle[], ref: readonly ReferenceParticle[]): void {
  expect(fast.map((p) => p.id)).toEqual(ref.map((p) => p.id));
  for (let k = 0; k < ref.length; k++) {
    const f = fast[k]!;
    const r = ref[k]!;
    for (const g of GETTERS) {
      if (!Object.is(f[g], r[g])) expect.fail(`particle ${r.id}: ${g} is ${f[g]}, the reference gives ${r[g]}`);
    }
    expect(f.hull).toEqual(r.hull);
    expect(JSON.stringify(f.toJSON())).toBe(JSON.stringify(r.toJSON()));
  }
}

function check(map: InstanceMap, roi: Uint8Array | undefined, scale: number | undefined): number {
  const fast = measureParticles(map, { scale, roi });
  const ref = referenceMeasureParticles(map, { scale, roi });
  expectSame(fast, ref);
  const a = particleTable(fast, scale);
  const b = referenceParticleTable(ref, scale);
  expect(formatCsv(a.header, a.rows)).toBe(formatCsv(b.header, b.rows));
  return ref.length;
}

describe('measureParticles is identical to the reference', () => {
  const sizes = [
    [1, 1],
    [1, 17],
    [23, 1],
    [2, 2],
    [40, 30],
    [97, 64],
    [160, 121],
  ] as const;
  for (const [w, h] of sizes) {
    for (const ids of ['dense', 'sparse'] as const) {
      it(`${w}×${h}, ${ids} ids, 6 seeds × (no ROI, ROI) × (no scale, scale)`, () => {
        let n = 0;
        for (let seed = 1; seed <= 6; seed++) {
          const map = randomInstanceMap(w, h, seed * 131 + w, { ids, shapes: 5 + seed * 6 });
          const roi = randomRoi(w, h, seed);
          for (const r of [undefined, roi]) for (const scale of [undefined, 0.2672, 1e-3 * seed]) n += check(map, r, scale);
        }
        if (w * h > 100) expect(n).toBeGreaterThan(50);
      });
    }
  }

  it('hand-made corner cases: empty, all one particle, a checkerboard, a 1-pixel-wide cross with a hole', () => {
    for (const rows of [
      ['....', '....'],
      ['1111', '1111', '1111'],
      ['1212', '2121', '1212', '2121'],
      ['..1..', '..1..', '11.11', '..1..', '..1..'],
      ['3', '.', '3'],
    ]) {
      const map = grid(rows);
      check(map, undefined, undefined);
      check(map, undefined, 0.5);
      check(map, new Uint8Array(map.data.length).fill(1).map((_, k) => (k % 3 === 0 ? 0 : 1)), 0.5);
    }
  });

  it('a map with one particle 2³¹−1 and the rest background uses no table of 2³¹ entries', () => {
    const map = { width: 50, height: 40, data: new Int32Array(2000) };
    map.data[777] = 2147483647;
    map.data[778] = 2147483647;
    map.data[1999] = -2147483648;
    expect(check(map, undefined, 0.1)).toBe(2);
  });
});

describe('labelMoments: sums by runs equal sums pixel by pixel', () => {
  it('on random maps with sparse and dense ids, with and without an ROI', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const w = 20 + seed * 13;
      const h = 90 - seed * 7;
      const map = randomInstanceMap(w, h, seed, { ids: seed % 2 ? 'dense' : 'sparse', shapes: 10 + seed * 4 });
      for (const roi of [undefined, randomRoi(w, h, seed + 100)]) {
        expect(labelMoments(map, roi, 'runs')).toEqual(labelMoments(map, roi, 'pixels'));
      }
    }
  });
});
