// resolveOverlaps skips clipping for shapes whose boxes overlap but which share no point; these cases pin down
// that the shortcut never changes a result (touching and nested shapes still go through exact clipping).
import { describe, expect, it } from 'vitest';
import type { MultiPolygon } from '../../src/core/index.js';
import { multiPolygonArea } from '../../src/core/index.js';
import { resolveOverlaps } from '../../src/annotate/index.js';

const square = (x: number, y: number, s: number): MultiPolygon => [[[[x, y], [x + s, y], [x + s, y + s], [x, y + s]]]];
const triangle = (x: number, y: number, s: number): MultiPolygon => [[[[x, y], [x + s, y], [x, y + s]]]];

describe('resolveOverlaps', () => {
  it('leaves a shape alone when a cover only shares its bounding box', () => {
    // The triangle (0,0)-(10,0)-(0,10) and one in the opposite corner of the same box do not meet.
    const far: MultiPolygon = [[[[9, 9], [9, 3], [3, 9]]]];
    const r = resolveOverlaps([{ geometry: triangle(0, 0, 10), z: 0 }, { geometry: far, z: 1 }]);
    expect(r.visible[0]).toEqual(triangle(0, 0, 10));
    expect([r.pairs, r.overlapped, r.hidden]).toEqual([0, 0, []]);
  });

  it('still cuts shapes that touch, cross, or lie inside one another', () => {
    const r = resolveOverlaps([
      { geometry: square(0, 0, 10), z: 0 }, // touched along x = 10 by the next: no area lost
      { geometry: square(10, 0, 10), z: 1 },
      { geometry: square(30, 0, 10), z: 0 }, // a hole punched by a small square on top
      { geometry: square(33, 3, 2), z: 1 },
      { geometry: square(50, 0, 4), z: 0 }, // wholly under a bigger square
      { geometry: square(48, -2, 8), z: 1 },
    ]);
    expect(multiPolygonArea(r.visible[0]!)).toBeCloseTo(100, 9);
    expect(multiPolygonArea(r.visible[2]!)).toBeCloseTo(96, 9);
    expect(r.visible[2]![0]).toHaveLength(2);
    expect(r.visible[4]).toEqual([]);
    expect(r.hidden).toEqual([4]);
    expect([r.pairs, r.overlapped]).toEqual([2, 2]);
  });
});
