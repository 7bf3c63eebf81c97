// Measures against independent truths: analytic ellipses and rotated rectangles, tiny exact cases.
import { describe, expect, it } from 'vitest';
import { ellipseRing } from '../../src/core/index.js';
import type { MultiPolygon, Point } from '../../src/core/index.js';
import { rasterizeInstances } from '../../src/annotate/index.js';
import { measureParticles, particleTable } from '../../src/aggregate/index.js';
import { grid } from '../helpers/grid.js';

function rotatedRect(cx: number, cy: number, w: number, h: number, deg: number): MultiPolygon {
  const t = (deg * Math.PI) / 180;
  const pts: Point[] = [
    [-w / 2, -h / 2],
    [w / 2, -h / 2],
    [w / 2, h / 2],
    [-w / 2, h / 2],
  ].map(([x, y]) => [cx + x! * Math.cos(t) - y! * Math.sin(t), cy + x! * Math.sin(t) + y! * Math.cos(t)]);
  return [[pts]];
}

describe('moments: analytic ellipses', () => {
  it.each([0, 30, -60, 90])('semi-axes 40 × 20 rotated %d°: area, axes, orientation, perimeter', (deg) => {
    const t = (deg * Math.PI) / 180;
    const mp: MultiPolygon = [[ellipseRing(100.3, 90.7, 40, 20, t, 720)]];
    const [p] = measureParticles(rasterizeInstances([{ id: 7, geometry: mp }], 200, 180));
    expect(p!.id).toBe(7);
    expect(p!.areaPx / (Math.PI * 40 * 20)).toBeCloseTo(1, 2);
    // For a filled ellipse 4·sqrt(eigenvalue) is the full axis length: 2a and 2b.
    expect(p!.majorPx / 80).toBeCloseTo(1, 2);
    expect(p!.minorPx / 40).toBeCloseTo(1, 2);
    expect(Math.abs(p!.xPx - 100.3)).toBeLessThan(0.1);
    expect(Math.abs(p!.yPx - 90.7)).toBeLessThan(0.1);
    const wrapped = ((p!.orientationDeg - deg + 90) % 180 + 180) % 180 - 90;
    expect(Math.abs(wrapped)).toBeLessThan(0.5);
    // Ramanujan's perimeter of the ellipse; skimage's 4-connectivity estimate is off by a few percent on
    // digitized curves, depending on the angle.
    const h = ((40 - 20) / (40 + 20)) ** 2;
    const ramanujan = Math.PI * (40 + 20) * (1 + (3 * h) / (10 + Math.sqrt(4 - 3 * h)));
    expect(Math.abs(p!.perimeterPx / ramanujan - 1)).toBeLessThan(0.06);
    expect(p!.feretMaxPx).toBeGreaterThan(79);
    expect(p!.feretMaxPx).toBeLessThan(81.5);
    expect(p!.feretMinPx).toBeGreaterThan(39);
    expect(p!.feretMinPx).toBeLessThan(41.5);
    expect(p!.solidity).toBeGreaterThan(0.97);
  });
});

describe('Feret diameters: rotated rectangles', () => {
  it.each([0, 17, 30, 45, 72])('60 × 20 rotated %d°', (deg) => {
    const [p] = measureParticles(rasterizeInstances([{ id: 1, geometry: rotatedRect(80, 80, 60, 20, deg) }], 160, 160));
    const diag = Math.hypot(60, 20);
    // Pixel squares can add up to a pixel's diagonal on each end.
    expect(p!.feretMaxPx).toBeGreaterThan(diag - 1);
    expect(p!.feretMaxPx).toBeLessThan(diag + 1.5);
    expect(p!.feretMinPx).toBeGreaterThan(19);
    expect(p!.feretMinPx).toBeLessThan(21.5);
  });

  it('an axis-aligned pixel rectangle is exact: Feret, solidity, perimeter, eq. diameter', () => {
    const rows = Array.from({ length: 6 }, (_, i) => (i === 0 || i === 5 ? '.'.repeat(12) : `.${'1'.repeat(10)}.`));
    const [p] = measureParticles(grid(rows));
    expect(p!.areaPx).toBe(40);
    expect(p!.feretMaxPx).toBeCloseTo(Math.hypot(10, 4), 12);
    expect(p!.feretMinPx).toBeCloseTo(4, 12);
    expect(p!.solidity).toBe(1);
    expect(p!.perimeterPx).toBeCloseTo(24, 12); // skimage: every border pixel of a straight edge counts 1
    expect(p!.eqDiamPx).toBeCloseTo(Math.sqrt(160 / Math.PI), 12);
    // Population covariance of columns 1..10: (10² − 1) / 12; rows 1..4: (4² − 1) / 12.
    expect(p!.majorPx).toBeCloseTo(4 * Math.sqrt(99 / 12), 12);
    expect(p!.minorPx).toBeCloseTo(4 * Math.sqrt(15 / 12), 12);
  });
});

describe('small and edge cases', () => {
  it('one pixel: axes 0, Feret max √2, solidity 1', () => {
    const [p] = measureParticles(grid(['...', '.1.', '...']));
    expect([p!.areaPx, p!.majorPx, p!.minorPx, p!.solidity]).toEqual([1, 0, 0, 1]);
    expect(p!.feretMaxPx).toBeCloseTo(Math.SQRT2, 12);
    expect(p!.feretMinPx).toBeCloseTo(1, 12);
    expect([p!.xPx, p!.yPx]).toEqual([1.5, 1.5]);
  });

  it('flags particles on the image edge and next to the outside of the ROI', () => {
    const map = grid(['1....', '.....', '..2..', '...3.', '.....']);
    const roi = new Uint8Array(25).fill(1);
    roi[4 * 5 + 3] = 0; // below particle 3
    const ps = measureParticles(map, { roi });
    expect(ps.map((p) => [p.id, p.touchesEdge])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
  });

  it('writes the DESIGN.md particle columns, and the mm columns with a scale', () => {
    const ps = measureParticles(grid(['.11', '.11']), { scale: 0.5 });
    const t = particleTable(ps, 0.5);
    expect(t.header).toEqual(['id', 'x_px', 'y_px', 'area_px', 'perimeter_px', 'eq_diam_px', 'major_px', 'minor_px', 'feret_min_px', 'feret_max_px', 'solidity', 'touches_edge', 'x_mm', 'y_mm', 'area_mm2', 'perimeter_mm', 'eq_diam_mm', 'major_mm', 'minor_mm', 'feret_min_mm', 'feret_max_mm']);
    expect(t.rows[0]!.slice(0, 4)).toEqual([1, 2, 1, 4]);
    expect(t.rows[0]![14]).toBe(1); // 4 px² × 0.25 mm²/px²
    expect(particleTable(ps, undefined).header).toHaveLength(12);
  });

  it('rejects a bad scale naming the flag', () => {
    expect(() => measureParticles(grid(['1']), { scale: -1 })).toThrow(/--scale must be a positive number of millimetres per pixel, received -1/);
  });
});
