// The review's particle geometry: flat rings, conversions, and the checks on what a page sends.
import { describe, expect, it } from 'vitest';
import { cocoParts, toLabelme } from '../../src/annotate/index.js';
import type { ReviewParticle } from '../../src/review/index.js';
import { cocoAnnotationTail, exportImageOf, flatRing, fromMultiPolygon, labelmeShapesJson, particleProblem, toMultiPolygon } from '../../src/review/index.js';

describe('rings and the checks on sent particles', () => {
  it('flat rings drop repeated points and the closing point; degenerate polygons and holes are dropped', () => {
    expect(flatRing([[0, 0], [1, 0], [1, 0], [1, 1], [0, 0]])).toEqual([0, 0, 1, 0, 1, 1]);
    const square = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]] as [number, number][];
    const hole = [[1, 1], [2, 1], [2, 2], [1, 2]] as [number, number][];
    const flatHole = [[1, 1], [2, 1], [3, 1]] as [number, number][];
    expect(fromMultiPolygon([[square, hole, flatHole], [[[5, 5], [6, 5], [5, 5]]]])).toEqual([[[0, 0, 4, 0, 4, 4, 0, 4], [1, 1, 2, 1, 2, 2, 1, 2]]]);
    expect(toMultiPolygon([[[0, 0, 4, 0, 4, 4]]])).toEqual([[[[0, 0], [4, 0], [4, 4]]]]);
  });

  it('names the particle and the problem', () => {
    const ok = { id: 3, polygons: [[[1, 1, 5, 1, 5, 4]]] };
    expect(particleProblem(ok, 10, 10)).toBeNull();
    expect(particleProblem({ ...ok, id: 70000 }, 10, 10)).toMatch(/particle id 70000 is not an integer from 1 to 65535/);
    expect(particleProblem({ id: 3, polygons: [] }, 10, 10)).toMatch(/particle 3 has no polygon/);
    expect(particleProblem({ id: 3, polygons: [[[1, 1, 5, 1, 5]]] }, 10, 10)).toMatch(/odd number of coordinates/);
    expect(particleProblem({ id: 3, polygons: [[[1, 1, 5, 1, 1, 1]]] }, 10, 10)).toMatch(/fewer than 3 distinct points/);
    expect(particleProblem({ id: 3, polygons: [[[1, 1, 5, 1, 9, 1]]] }, 10, 10)).toMatch(/no area/);
    expect(particleProblem({ id: 3, polygons: [[[1, 1, 11, 1, 5, 4]]] }, 10, 10)).toMatch(/coordinate 11 lies outside the 10×10 image/);
  });
});

describe('the JSON written for each particle', () => {
  const image = { name: 'tray', fileName: '../photos/tray.png', width: 40, height: 30 };
  const cases: ReviewParticle[] = [
    { id: 7, polygons: [[[0.25, 0.25, 10.75, 0.25, 10.75, 5.75, 0.1 + 0.2, 5.75]]] },
    { id: 8, polygons: [[[30, 20, 40, 20, 40, 30, 30, 30]]] },
    { id: 9, polygons: [[[1, 1, 9, 1, 9, 9, 1, 9], [3, 3, 6, 3, 6, 6, 3, 6]]] }, // a hole: the general path
    { id: 10, polygons: [[[12, 1, 14, 1, 14, 3]], [[20, 1, 22, 1, 22, 3]]] }, // two pieces
  ];
  it('is what toLabelme and cocoParts write, character for character (fast path and general path)', () => {
    for (const p of cases) {
      const general = toLabelme(exportImageOf(image, [p]), '5.5.0', 'always').shapes.map((sh) => JSON.stringify(sh));
      expect(labelmeShapesJson(image, { ...p }), `particle ${p.id}`).toEqual(general);
      const ann = [...cocoParts([exportImageOf(image, [p])]).annotations()][0]!;
      expect(`{"id":${ann.id},"image_id":${ann.image_id},"category_id":${ann.category_id},${cocoAnnotationTail(image, { ...p })}`, `particle ${p.id}`).toBe(JSON.stringify(ann));
    }
  });
});
