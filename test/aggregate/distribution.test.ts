// Hand-made maps with known histograms and percentiles; metric edge cases; calibration on a known bias.
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/aggregate/index.js';
import {
  applyCalibration,
  crossEntropy,
  distributionOf,
  fitCalibration,
  klDivergence,
  mae,
  maxBinError,
  measureParticles,
  meanVector,
  particleTableItems,
  pooledItems,
  rmse,
  sizeDistribution,
  sizedItems,
  skill,
  weightedPercentile,
} from '../../src/aggregate/index.js';
import { grid } from '../helpers/grid.js';
import { SQUARES, squaresSpec } from './squares.js';

const spec = squaresSpec;
const MAP = SQUARES;

describe('size distributions', () => {
  it('count weighting: one particle per bin; the edge particle is excluded', () => {
    const d = sizeDistribution(measureParticles(MAP), spec());
    // Particle 4 is a 2 × 1 domino (Feret min 1): bin 0 holds particles 1 and 4; 5 is on the edge.
    expect(d.n).toBe(4);
    expect(d.nEdge).toBe(1);
    expect(d.fractions).toEqual([0.5, 0.25, 0.25]);
  });

  it('area weighting: fractions are pixel shares', () => {
    const d = sizeDistribution(measureParticles(MAP), spec({ weight: 'area' }));
    const total = 1 + 2 + 9 + 25;
    [3, 9, 25].forEach((pixels, k) => expect(d.fractions[k]! * total).toBeCloseTo(pixels, 10));
  });

  it('edge policy include bins the edge particle too', () => {
    const d = sizeDistribution(measureParticles(MAP), spec({ edgePolicy: 'include' }));
    expect(d.n).toBe(5);
    expect(d.nEdge).toBe(0);
  });

  it('below the detection limit: reported as unmeasured (share of area), with a warning near the smallest bin', () => {
    const d = sizeDistribution(measureParticles(MAP), spec({ minSizePx: 1.5, weight: 'area' }));
    expect(d.unmeasured.count).toBe(2);
    expect(d.unmeasured.areaFraction).toBeCloseTo(3 / 37, 12);
    expect(d.warnings.join()).toMatch(/smallest bin ends at 2\.0 px, near the detection limit of 1\.5 px/);
    // 3/37 = 8 % of the area is unmeasured: above the 5 % warning line, so the distribution says so.
    expect(d.warnings.join()).toMatch(/8\.1 % of the particle area is in particles below the detection limit of 1\.50 px/);
    const mm = sizeDistribution(measureParticles(MAP), spec({ minSizePx: 1.5, unit: 'mm', edges: [0.2, 0.3, 0.4] }), 0.1);
    expect(mm.warnings.join()).toMatch(/detection limit of 0\.150 mm \(1\.50 px\)/);
    // Without a detection limit nothing is unmeasured and nothing is said.
    expect(sizeDistribution(measureParticles(MAP), spec()).warnings.join()).not.toMatch(/unmeasured/);
  });

  it('unresolved clusters of fines: their area is unmeasured with the rest, never binned, and the warning says where it lies', () => {
    const particles = measureParticles(MAP);
    const plain = sizeDistribution(particles, spec({ minSizePx: 1.5, weight: 'area' }));
    // 37 px of particles, 3 below the limit; 13 px more in clusters the segmenter could not resolve.
    const d = sizeDistribution(particles, spec({ minSizePx: 1.5, weight: 'area' }), undefined, 13);
    expect(d.fractions).toEqual(plain.fractions);
    expect(d.n).toBe(plain.n);
    expect(d.unmeasured.count).toBe(2);
    expect(d.unmeasured.areaFraction).toBeCloseTo(16 / 50, 12);
    expect(d.unmeasured.unresolvedAreaFraction).toBeCloseTo(13 / 50, 12);
    expect(d.warnings.join()).toMatch(/32\.0 % of the particle area is in particles below the detection limit of 1\.50 px \(6\.0 %\) or in clusters of grains too small to resolve \(26\.0 %\)/);
    // Without a detection limit, clusters alone.
    const only = sizeDistribution(particles, spec({ weight: 'area' }), undefined, 13);
    expect(only.unmeasured.count).toBe(0);
    expect(only.warnings.join()).toMatch(/26\.0 % of the particle area is in clusters of grains too small to resolve/);
    expect(plain.unmeasured.unresolvedAreaFraction).toBe(0);
    expect(() => distributionOf([], spec(), undefined, -1)).toThrow(/unresolvedAreaPx/);
  });

  it('no measurable particle: NaN vector and a flag, never zeros', () => {
    const d = sizeDistribution(measureParticles(grid(['1..', '...'])), spec());
    expect(d.empty).toBe(true);
    expect(d.fractions.every(Number.isNaN)).toBe(true);
    expect(Number.isNaN(d.d.d50)).toBe(true);
    expect(d.warnings[0]).toMatch(/no measurable particle/);
  });

  it('mm edges need a scale, and are converted with it', () => {
    expect(() => sizeDistribution(measureParticles(MAP), spec({ unit: 'mm' }))).toThrow(/bin edges in mm need a scale/);
    const d = sizeDistribution(measureParticles(MAP), spec({ unit: 'mm', edges: [1, 2] }), 0.5);
    expect(d.fractions).toEqual([0.5, 0.25, 0.25]);
    expect(d.d.d90).toBeCloseTo(2.5, 12); // largest square: 5 px × 0.5 mm
  });

  it('weights are in the unit of the bins: mm² and mm³ for mm bins, px² and px³ for px bins', () => {
    const particles = measureParticles(MAP);
    const f = 0.3;
    const mass = sizedItems(particles, spec({ unit: 'mm', edges: [1, 2], weight: 'mass' }), f);
    const area = sizedItems(particles, spec({ unit: 'mm', edges: [1, 2], weight: 'area' }), f);
    const px = sizedItems(particles, spec({ weight: 'mass' }), f);
    particles.forEach((p, k) => {
      expect(mass[k]!.weight).toBe(p.majorPx * f * (p.minorPx * f) * (p.minorPx * f));
      expect(area[k]!.weight).toBe(p.areaPx * f * f);
      expect(px[k]!.weight).toBe(p.majorPx * p.minorPx * p.minorPx);
    });
    // One photo: the factor cancels, the vector is the px-weighted one (up to the last bits of the products).
    const mmVector = sizeDistribution(particles, spec({ unit: 'mm', edges: [0.6, 1.2], weight: 'mass' }), f).fractions;
    const pxVector = sizeDistribution(particles, spec({ weight: 'mass' })).fractions;
    mmVector.forEach((x, k) => expect(x).toBeCloseTo(pxVector[k]!, 14));
  });

  it('pooled photos at different mm/px: each stone weighs its own mm³ (mm²), not its pixels', () => {
    // The same 10 × 10 px stone in two photos: 1 mm at 0.1 mm/px, 3 mm at 0.3 mm/px.
    const header = ['id', 'area_px', 'major_px', 'minor_px', 'touches_edge'];
    const table = { header, rows: [['1', '100', '10', '10', '0']] };
    const pool = (weight: 'mass' | 'area' | 'count'): number[] => {
      const s = spec({ unit: 'mm', edges: [2], measure: 'minor', weight });
      return distributionOf(pooledItems([particleTableItems(table, s, 0.1), particleTableItems(table, s, 0.3)], s), s).fractions;
    };
    // mass 1 mm³ and 27 mm³; area 1 mm² and 9 mm²; in pixels both would weigh the same (0.5, 0.5).
    pool('mass').forEach((x, k) => expect(x).toBeCloseTo([1 / 28, 27 / 28][k]!, 12));
    pool('area').forEach((x, k) => expect(x).toBeCloseTo([1 / 10, 9 / 10][k]!, 12));
    expect(pool('count')).toEqual([0.5, 0.5]);
  });
});

describe('weightedPercentile (Hazen positions, linear interpolation; the reported D-values: test/aggregate/sieve.test.ts)', () => {
  it('two equal weights: D50 halfway, ends clamped', () => {
    const items = [
      { size: 1, weight: 1 },
      { size: 3, weight: 1 },
    ];
    expect(weightedPercentile(items, 50)).toBe(2);
    expect(weightedPercentile(items, 10)).toBe(1);
    expect(weightedPercentile(items, 90)).toBe(3);
    expect(weightedPercentile(items, 37.5)).toBe(1.5);
  });

  it('weights move the median; one particle gives its size for every D', () => {
    expect(weightedPercentile([{ size: 1, weight: 1 }, { size: 10, weight: 3 }], 50)).toBeCloseTo(1 + (9 * (0.5 - 0.125)) / (0.625 - 0.125), 12);
    const one = distributionOf([{ size: 7, sizePx: 7, weight: 2, areaPx: 30, touchesEdge: false }], spec());
    expect(Object.values(one.d)).toEqual([7, 7, 7, 7, 7, 7, 7]);
    expect(one.fractions).toEqual([0, 0, 1]);
  });
});

describe('metrics', () => {
  const truth = [0.2, 0.3, 0.5];
  it('RMSE, MAE, max bin error on a worked example', () => {
    const pred = [0.1, 0.4, 0.5];
    expect(rmse(pred, truth)).toBeCloseTo(Math.sqrt(0.02 / 3), 12);
    expect(mae(pred, truth)).toBeCloseTo(0.2 / 3, 12);
    expect(maxBinError(pred, truth)).toBeCloseTo(0.1, 12);
    expect(rmse(truth, truth)).toBe(0);
  });

  it('KL and cross-entropy stay finite with empty bins; KL of equal vectors is 0', () => {
    expect(klDivergence([1, 0, 0], [0, 0, 1])).toBeGreaterThan(5);
    expect(Number.isFinite(klDivergence([1, 0, 0], [0, 0, 1]))).toBe(true);
    expect(klDivergence(truth, truth)).toBeCloseTo(0, 12);
    expect(crossEntropy([1, 0, 0], [0, 0, 1])).toBeGreaterThan(10);
  });

  it('NaN in, NaN out', () => {
    expect(rmse([NaN, 0.5, 0.5], truth)).toBeNaN();
    expect(maxBinError([NaN, 0.5, 0.5], truth)).toBeNaN();
  });

  it('skill against the constant predictor', () => {
    expect(meanVector([[0, 1], [1, 0], [NaN, NaN]])).toEqual([0.5, 0.5]);
    expect(skill(0.01, 0.04)).toBeCloseTo(0.75, 12);
    expect(skill(0.04, 0.04)).toBe(0);
    expect(skill(0.01, 0)).toBeNaN();
    expect(() => rmse([1], [0.5, 0.5])).toThrow(/pred\.length must be 2/);
  });
});

describe('calibration', () => {
  // Photos under-count fines by half: pred = normalize(truth ⊙ [0.5, 1, 1, 1, 1]).
  const bias = [0.5, 1, 1, 1, 1];
  const groups = [
    [0.3, 0.2, 0.2, 0.2, 0.1],
    [0.1, 0.4, 0.2, 0.2, 0.1],
    [0.2, 0.2, 0.2, 0.2, 0.2],
    [0.4, 0.1, 0.1, 0.2, 0.2],
    [0.05, 0.15, 0.3, 0.3, 0.2],
    [0.25, 0.25, 0.25, 0.15, 0.1],
  ];
  const samples: Sample[] = groups.flatMap((t, g) =>
    [0, 1].map((k) => {
      const jitter = t.map((x, b) => x * (1 + 0.02 * Math.sin(3 * g + 5 * k + b)));
      const s = jitter.reduce((a, b) => a + b, 0);
      const truth = jitter.map((x) => x / s);
      const raw = truth.map((x, b) => x * bias[b]!);
      const rs = raw.reduce((a, b) => a + b, 0);
      return { group: `g${g}`, truth, pred: raw.map((x) => x / rs) };
    }),
  );
  const bins = ['a', 'b', 'c', 'd', 'e'];

  it('lowers the leave-one-group-out RMSE', () => {
    const c = fitCalibration(samples, bins, { lambda: 1e-4 });
    expect(c.fittedOn).toEqual({ groups: ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'], images: 12 });
    expect(c.logo.calibrated).toBeLessThan(c.logo.none / 2);
    const corrected = applyCalibration(c, samples[0]!.pred);
    expect(rmse(corrected, samples[0]!.truth)).toBeLessThan(rmse(samples[0]!.pred, samples[0]!.truth) / 2);
    expect(corrected.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('diagonal factors recover the bias (up to scale)', () => {
    const c = fitCalibration(samples, bins, { lambda: 1e-6 });
    const f = c.factors;
    expect(f[0]! / f[2]!).toBeCloseTo(2, 1);
    expect(f[3]! / f[2]!).toBeCloseTo(1, 1);
  });

  it('needs at least two groups', () => {
    expect(() => fitCalibration(samples.filter((s) => s.group === 'g0'), bins)).toThrow(/at least 2 groups, found 1/);
  });
});
