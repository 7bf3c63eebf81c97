import { describe, expect, it } from 'vitest';
import { rasterizeInstances, pixelArea } from '../../src/annotate/index.js';
import type { MultiPolygon } from '../../src/core/index.js';
import { rows } from '../helpers/grid.js';

const square = (x0: number, y0: number, x1: number, y1: number): MultiPolygon => [
  [
    [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
    ],
  ],
];

describe('rasterize (pixel-centre rule)', () => {
  it('fills exactly the pixels whose centres lie inside an integer square', () => {
    const map = rasterizeInstances([{ id: 1, geometry: square(1, 1, 4, 3) }], 6, 4);
    expect(rows(map)).toEqual(['......', '.111..', '.111..', '......']);
  });

  it('counts a centre on the left/top edge as inside and on the right/bottom edge as outside', () => {
    const map = rasterizeInstances([{ id: 1, geometry: square(0.5, 0.5, 2.5, 2.5) }], 4, 4);
    expect(rows(map)).toEqual(['11..', '11..', '....', '....']);
  });

  it('gives every pixel of two polygons sharing an edge to exactly one of them', () => {
    const a = square(0.5, 0, 2.5, 2);
    const b = square(2.5, 0, 4.5, 2);
    const onlyA = rasterizeInstances([{ id: 1, geometry: a }], 5, 2);
    const onlyB = rasterizeInstances([{ id: 2, geometry: b }], 5, 2);
    expect(rows(onlyA)).toEqual(['11...', '11...']);
    expect(rows(onlyB)).toEqual(['..22.', '..22.']);
  });

  it('leaves a hole empty', () => {
    const withHole: MultiPolygon = [[square(0, 0, 5, 5)[0]![0]!, square(1, 1, 4, 4)[0]![0]!.slice().reverse()]];
    const map = rasterizeInstances([{ id: 3, geometry: withHole }], 5, 5);
    expect(rows(map)).toEqual(['33333', '3...3', '3...3', '3...3', '33333']);
    expect(pixelArea(withHole, 5, 5)).toBe(16);
  });

  it('fills a triangle by centres and clips a polygon crossing the border', () => {
    const tri: MultiPolygon = [
      [
        [
          [0, 0],
          [4, 0],
          [0, 4],
        ],
      ],
    ];
    expect(rows(rasterizeInstances([{ id: 1, geometry: tri }], 4, 4))).toEqual(['111.', '11..', '1...', '....']);
    const crossing = square(-2, 2, 3, 10);
    expect(rows(rasterizeInstances([{ id: 4, geometry: crossing }], 4, 4))).toEqual(['....', '....', '444.', '444.']);
  });

  it('lets the later instance win where instances overlap (bottom-to-top painting)', () => {
    const map = rasterizeInstances(
      [
        { id: 1, geometry: square(0, 0, 3, 3) },
        { id: 2, geometry: square(2, 2, 4, 4) },
      ],
      4,
      4,
    );
    expect(rows(map)).toEqual(['111.', '111.', '1122', '..22']);
  });
});
