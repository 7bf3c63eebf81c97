// Plain polygon arithmetic shared by annotate, synth and aggregate (no I/O, no libraries).
import type { MultiPolygon, Polygon, Ring } from './types.js';

/** Signed shoelace area of a ring: positive when its points run clockwise on screen (y down). */
export function ringSignedArea(ring: Ring): number {
  let twice = 0;
  const n = ring.length;
  for (let k = 0; k < n; k++) {
    const p = ring[k]!;
    const q = ring[(k + 1) % n]!;
    twice += p[0] * q[1] - q[0] * p[1];
  }
  return twice / 2;
}

/** Area of a polygon with holes (outer minus holes), whatever the rings' orientation. */
export function polygonArea(polygon: Polygon): number {
  let area = 0;
  polygon.forEach((ring, k) => {
    const a = Math.abs(ringSignedArea(ring));
    area += k === 0 ? a : -a;
  });
  return area;
}

export function multiPolygonArea(mp: MultiPolygon): number {
  let area = 0;
  for (const polygon of mp) area += polygonArea(polygon);
  return area;
}

export interface BBox {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function multiPolygonBBox(mp: MultiPolygon): BBox {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const polygon of mp) {
    for (const [x, y] of polygon[0] ?? []) {
      if (x < minX) minX = x;
      if (y < minY) minY = y;
      if (x > maxX) maxX = x;
      if (y > maxY) maxY = y;
    }
  }
  return { minX, minY, maxX, maxY };
}

export function bboxesOverlap(a: BBox, b: BBox): boolean {
  return a.minX < b.maxX && b.minX < a.maxX && a.minY < b.maxY && b.minY < a.maxY;
}

/** Axis-aligned ellipse (or circle) as a ring of `segments` points, for shapes given as circles/ellipses. */
export function ellipseRing(cx: number, cy: number, rx: number, ry: number, rotationRad = 0, segments?: number): Ring {
  const n = segments ?? Math.max(16, Math.min(720, Math.ceil(2 * Math.PI * Math.max(rx, ry))));
  const cos = Math.cos(rotationRad);
  const sin = Math.sin(rotationRad);
  const ring: Ring = [];
  for (let k = 0; k < n; k++) {
    const t = (2 * Math.PI * k) / n;
    const ex = rx * Math.cos(t);
    const ey = ry * Math.sin(t);
    ring.push([cx + ex * cos - ey * sin, cy + ex * sin + ey * cos]);
  }
  return ring;
}
