// Convex hull and calipers for particle outlines (pixel squares' corners), used for Feret diameters and solidity.
import type { Point } from '../core/index.js';

/** Convex hull (Andrew's monotone chain), counter-clockwise in x-right/y-up terms, no repeated end point. */
export function convexHull(points: readonly Point[]): Point[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length <= 2) return pts;
  const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let k = pts.length - 1; k >= 0; k--) {
    const p = pts[k]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

export function polygonAreaAbs(ring: readonly Point[]): number {
  let twice = 0;
  for (let k = 0; k < ring.length; k++) {
    const p = ring[k]!;
    const q = ring[(k + 1) % ring.length]!;
    twice += p[0] * q[1] - q[0] * p[1];
  }
  return Math.abs(twice) / 2;
}

export interface Calipers {
  /** Largest distance between two hull points. */
  max: number;
  /** Smallest width over all directions (attained perpendicular to a hull edge). */
  min: number;
  /** Direction of the smallest width's edge, radians from the x axis. */
  minAngle: number;
}

/** Feret diameters of a convex hull. Hulls of particles have tens of vertices, so O(h²) is fine and simple. */
export function calipers(hull: readonly Point[]): Calipers {
  const n = hull.length;
  if (n === 0) return { max: 0, min: 0, minAngle: 0 };
  let max = 0;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const d = Math.hypot(hull[a]![0] - hull[b]![0], hull[a]![1] - hull[b]![1]);
      if (d > max) max = d;
    }
  }
  if (n < 3) return { max, min: 0, minAngle: 0 };
  let min = Infinity;
  let minAngle = 0;
  for (let k = 0; k < n; k++) {
    const p = hull[k]!;
    const q = hull[(k + 1) % n]!;
    const len = Math.hypot(q[0] - p[0], q[1] - p[1]);
    if (len === 0) continue;
    let width = 0;
    for (const r of hull) {
      const d = Math.abs((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])) / len;
      if (d > width) width = d;
    }
    if (width < min) {
      min = width;
      minAngle = Math.atan2(q[1] - p[1], q[0] - p[0]);
    }
  }
  return { max, min, minAngle };
}
