// The sieve-report numbers against values worked out by hand: the percent-passing curve (Hazen positions), D-values
// read in log size, Cu and Cc, the weighting's effect on them, histograms.csv's columns, the pooled row of a batch,
// and the one-bin-dominates warning.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BinSpec, SizedItem } from '../../src/aggregate/index.js';
import {
  DOMINANT_BIN_WARNING,
  POOLED_HISTOGRAM_FILE,
  defaultWeighting,
  distributionOf,
  dominantBinWarnings,
  histogramEntry,
  histogramHeader,
  histogramRow,
  measureParticles,
  parseHistograms,
  particleTable,
  passingCurve,
  passingDiameter,
  sieveNumbers,
  sieveNumbersText,
  sizeDistribution,
  suggestBinEdges,
  writePooledHistogram,
} from '../../src/aggregate/index.js';
import { writeCsvAtomic } from '../../src/io/index.js';
import { grid } from '../helpers/grid.js';
import { tempDir } from '../helpers/tmp.js';
import { SQUARES, squaresSpec } from './squares.js';

const item = (size: number, weight = 1): { size: number; weight: number } => ({ size, weight });
const spec = squaresSpec;
const MAP = SQUARES;

describe('the percent-passing curve and its D-values', () => {
  it('five equal weights at 1, 2, 4, 8, 16 sit at 10, 30, 50, 70, 90 % and are read geometrically in between', () => {
    const curve = passingCurve([16, 1, 4, 2, 8].map((s) => item(s)));
    expect(curve.map((p) => p.size)).toEqual([1, 2, 4, 8, 16]);
    expect(curve.map((p) => p.passing)).toEqual([0.1, 0.3, 0.5, 0.7, 0.9]);
    const { d, cu, cc } = sieveNumbers(curve);
    // On a point: that particle's size, exactly.
    expect([d.d10, d.d30, d.d50, d.d90]).toEqual([1, 2, 4, 16]);
    // D16 lies 30 % of the way from 1 (10 %) to 2 (30 %) in log size: 2^0.3; D60 halfway from 4 to 8: 4·√2;
    // D84 70 % of the way from 8 to 16: 2^3.7. (Linear in size would give 1.3, 6 and 13.6.)
    expect(d.d16).toBeCloseTo(2 ** 0.3, 12);
    expect(d.d60).toBeCloseTo(4 * Math.SQRT2, 12);
    expect(d.d84).toBeCloseTo(2 ** 3.7, 12);
    // Cu = D60/D10 = 4√2; Cc = D30²/(D10·D60) = 4/(4√2) = 1/√2.
    expect(cu).toBeCloseTo(4 * Math.SQRT2, 12);
    expect(cc).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('below the first and above the last point the D is the smallest or largest size; one size gives Cu = Cc = 1', () => {
    const curve = passingCurve([item(1), item(100, 3)]);
    // Positions 1/8 and 5/8: D50 is 3/4 of the way from 1 to 100 in log size.
    expect(curve.map((p) => p.passing)).toEqual([0.125, 0.625]);
    expect(passingDiameter(curve, 50)).toBeCloseTo(100 ** 0.75, 12);
    expect(passingDiameter(curve, 10)).toBe(1);
    expect(passingDiameter(curve, 90)).toBe(100);
    const one = sieveNumbers(passingCurve([item(7, 2)]));
    expect(Object.values(one.d)).toEqual([7, 7, 7, 7, 7, 7, 7]);
    expect([one.cu, one.cc]).toEqual([1, 1]);
  });

  it('equal sizes are one step; zero weights and sizes are left out; no items give NaN', () => {
    expect(passingCurve([item(3), item(1), item(3), item(5, 0), item(0, 4)])).toEqual([
      { size: 1, passing: 1 / 6 },
      { size: 3, passing: 2 / 3 },
    ]);
    const none = sieveNumbers(passingCurve([]));
    expect(Object.values(none.d).every(Number.isNaN)).toBe(true);
    expect(none.cu).toBeNaN();
    expect(none.cc).toBeNaN();
  });

  it('a measured map: count weighting, the domino and square 1 merged at size 1, the edge square left out', () => {
    const d = sizeDistribution(measureParticles(MAP), spec());
    // Sizes 1 (weight 2), 3, 5 of total 4: positions 1/4, 5/8, 7/8.
    expect(d.d.d10).toBe(1);
    expect(d.d.d30).toBeCloseTo(3 ** (2 / 15), 12); // (0.30 − 0.25) / 0.375 of the way from 1 to 3
    expect(d.d.d50).toBeCloseTo(3 ** (2 / 3), 12);
    expect(d.d.d60).toBeCloseTo(3 ** (14 / 15), 12);
    expect(d.d.d90).toBe(5);
    expect(d.cu).toBeCloseTo(3 ** (14 / 15), 12);
    expect(d.cc).toBeCloseTo(3 ** (-2 / 3), 12);
  });

  it('the weighting moves the D-values: mass and count agree here, area gives the fine stone more', () => {
    // b-axis 1 and 2 px; a-axis 8 and 2: mass ∝ a·b² = 8 and 8 (equal); areas 3 and 1.
    const items: SizedItem[] = [
      { size: 1, sizePx: 1, areaPx: 3, touchesEdge: false, weight: 0 },
      { size: 2, sizePx: 2, areaPx: 1, touchesEdge: false, weight: 0 },
    ];
    const axes = [
      [8, 1],
      [2, 2],
    ] as const;
    const withWeight = (w: BinSpec['weight']): SizedItem[] => items.map((it, k) => ({ ...it, weight: w === 'mass' ? axes[k]![0] * axes[k]![1] ** 2 : w === 'area' ? it.areaPx : 1 }));
    expect(distributionOf(withWeight('mass'), spec({ weight: 'mass' })).d.d50).toBeCloseTo(Math.SQRT2, 12);
    expect(distributionOf(withWeight('count'), spec()).d.d50).toBeCloseTo(Math.SQRT2, 12);
    // Area: positions 3/8 and 7/8, D50 a quarter of the way from 1 to 2 in log size.
    expect(distributionOf(withWeight('area'), spec({ weight: 'area' })).d.d50).toBeCloseTo(2 ** 0.25, 12);
  });
});

describe('histograms.csv columns', () => {
  it('the sieve columns follow the bins; undefined D, Cu, Cc are empty cells, an undefined fraction NaN', () => {
    expect(histogramHeader([4, 5.6], 'mm')).toEqual(['image', 'n_particles', 'lt_4mm', '4_5.6mm', 'ge_5.6mm', 'd10', 'd16', 'd30', 'd50', 'd60', 'd84', 'd90', 'cu', 'cc']);
    const d = distributionOf(
      [1, 2, 4, 8, 16].map((s) => ({ size: s, sizePx: s, weight: 1, areaPx: 1, touchesEdge: false })),
      spec({ edges: [3] }),
    );
    expect(histogramRow('x', histogramEntry(d))).toEqual(['x', 5, 0.4, 0.6, 1, 1.2311444, 2, 4, 5.6568542, 12.996038, 16, 5.6568542, 0.70710678]);
    const empty = distributionOf([], spec({ edges: [3] }));
    expect(histogramRow('e', histogramEntry(empty))).toEqual(['e', 0, 'NaN', 'NaN', '', '', '', '', '', '', '', '', '']);
    expect(sieveNumbersText(histogramEntry(d), 'px')).toBe('D10 1, D16 1.23, D30 2, D50 4, D60 5.66, D84 13, D90 16 px; Cu 5.66, Cc 0.71');
  });

  it('parseHistograms reads the new columns and the old ones (…,d10,d50,d90) alike; empty fractions are NaN', () => {
    const read = (header: string, row: string): number[] => {
      const cols = header.split(',');
      return parseHistograms({ file: 'h.csv', header: cols, rows: [row.split(',')] }).rows[0]!.vector;
    };
    expect(read('image,n_particles,a,b,d10,d16,d30,d50,d60,d84,d90,cu,cc', 'x,2,0.25,0.75,1,1,1,1,1,1,1,1,1')).toEqual([0.25, 0.75]);
    expect(read('image,n_particles,a,b,d10,d50,d90', 'x,2,0.25,0.75,1,2,3')).toEqual([0.25, 0.75]);
    expect(read('image,n_particles,a,b,d10,d50,d90', 'x,0,NaN,,,,')).toEqual([NaN, NaN]);
  });
});

describe('the default weighting', () => {
  it('mass for mm bins (sieve results are mass fractions), area for px bins', () => {
    expect(defaultWeighting('mm')).toBe('mass');
    expect(defaultWeighting('px')).toBe('area');
  });
});

describe('one bin holding most of a vector', () => {
  it('names the image, the share and the bin, and suggests --bins on standard sieves', () => {
    const s = { edges: [4, 5.6, 8, 11.2], unit: 'mm' as const, weight: 'mass' as const };
    const lines = dominantBinWarnings(
      [
        { image: 'ok', vector: [0.2, 0.2, 0.2, 0.2, 0.2] },
        { image: 'edge80', vector: [0.8, 0.2, 0, 0, 0] },
        { image: 'pebbles', vector: [0, 0, 0.01, 0.055, 0.935] },
        { image: 'empty', vector: [NaN, NaN, NaN, NaN, NaN] },
      ],
      s,
      [11.2, 16, 22.4, 31.5],
    );
    expect(DOMINANT_BIN_WARNING).toBe(0.8);
    expect(lines).toEqual([
      'pebbles: 93.5 % of its mass-weighted vector is in one bin (≥ 11.2 mm), so the vector says little about its sizes: pass --bins with edges inside that bin, e.g. --bins 11.2,16,22.4,31.5 (the batch\'s D20/D40/D60/D80 on standard sieves)',
    ]);
    // The bins already in use are no suggestion.
    expect(dominantBinWarnings([{ image: 'p', vector: [0.9, 0.1] }], { edges: [4], unit: 'mm', weight: 'area' }, [4])[0]).toBe(
      'p: 90.0 % of its area-weighted vector is in one bin (< 4 mm), so the vector says little about its sizes: pass --bins with edges inside that bin',
    );
  });

  it('suggests the D20/D40/D60/D80 of a curve moved to the nearest ISO 565 R20/3 sieve (mm) or to two digits (px)', () => {
    const curve = passingCurve([10, 14, 20, 28, 40].map((s) => item(s)));
    // D20 = √(10·14) = 11.8 → 11.2; D40 = √(14·20) = 16.7 → 16; D60 = √(20·28) = 23.7 → 22.4; D80 = √(28·40) = 33.5 → 31.5.
    expect(suggestBinEdges(curve, 'mm')).toEqual([11.2, 16, 22.4, 31.5]);
    expect(suggestBinEdges(curve, 'px')).toEqual([12, 17, 24, 33]);
    expect(suggestBinEdges(passingCurve([item(5)]), 'mm')).toEqual([]);
  });
});

describe('the pooled row of a batch (histograms-pooled.csv)', () => {
  it('pools the particle tables of the images with the run\'s weighting and writes one row with the same columns', async () => {
    const tmp = await tempDir();
    const b = grid(['.....', '.111.', '.111.', '.111.', '.....']);
    for (const [name, map] of [
      ['a', MAP],
      ['b', b],
    ] as const) {
      const t = particleTable(measureParticles(map), undefined);
      await writeCsvAtomic(join(tmp.dir, 'particles', `${name}.csv`), t.header, t.rows);
    }
    const r = await writePooledHistogram({
      out: tmp.dir,
      images: [
        { image: 'a', vector: [0.5, 0.25, 0.25] },
        { image: 'b', vector: [0, 1, 0] },
      ],
      spec: spec(),
    });
    expect(r.file).toBe(POOLED_HISTOGRAM_FILE);
    // Sizes 1, 1, 3, 5 (a, edge square left out) and 3 (b): count weights 2, 2, 1 at 1, 3, 5; positions 0.2, 0.6, 0.9.
    const e8 = (x: number): number => Number(x.toPrecision(8));
    const expected = [
      'image,n_particles,lt_2px,2_4px,ge_4px,d10,d16,d30,d50,d60,d84,d90,cu,cc',
      ['pooled', 5, 0.4, 0.4, 0.2, 1, 1, e8(3 ** 0.25), e8(3 ** 0.75), 3, e8(3 * (5 / 3) ** 0.8), 5, 3, e8(3 ** -0.5)].join(','),
      '',
    ].join('\n');
    expect(await readFile(join(tmp.dir, r.file), 'utf8')).toBe(expected);
    expect(r.entry.n).toBe(5);
    expect(r.images).toBe(2);
    // b's vector is all in one bin: one line naming it, with the batch's D20…D80 as --bins (1, √3, 3, 3·(5/3)^⅔).
    expect(r.warnings).toEqual([
      "b: 100.0 % of its count-weighted vector is in one bin (2–4 px), so the vector says little about its sizes: pass --bins with edges inside that bin, e.g. --bins 1,1.7,3,4.2 (the batch's D20/D40/D60/D80)",
    ]);
  });

  it('a missing particle table is named with the fix', async () => {
    const tmp = await tempDir();
    await expect(writePooledHistogram({ out: tmp.dir, images: [{ image: 'gone', vector: [1, 0, 0] }], spec: spec() })).rejects.toThrow(/particle table of gone is missing/);
  });
});
