// polygon-clipping wrappers: canonical (non-self-intersecting) geometry, clipping, z-order differences.
import polygonClipping from 'polygon-clipping';
import type { BBox, MultiPolygon, Point, Polygon, Ring } from '../core/index.js';
import { multiPolygonBBox } from '../core/index.js';

type PcGeom = polygonClipping.Polygon | polygonClipping.MultiPolygon;

/** Union of rings/polygons under the non-zero rule: self-intersections resolved, holes explicit, parts merged. */
export function canonicalize(polygons: readonly Polygon[]): MultiPolygon {
  if (polygons.length === 0) return [];
  const [first, ...rest] = polygons as PcGeom[];
  return polygonClipping.union(first!, ...rest);
}

export function rectPolygon(minX: number, minY: number, maxX: number, maxY: number): Polygon {
  return [
    [
      [minX, minY],
      [maxX, minY],
      [maxX, maxY],
      [minX, maxY],
    ],
  ];
}

export function intersect(a: MultiPolygon, b: Polygon | MultiPolygon): MultiPolygon {
  if (a.length === 0) return [];
  return polygonClipping.intersection(a, b);
}

export function subtract(a: MultiPolygon, others: readonly MultiPolygon[]): MultiPolygon {
  const clips = others.filter((o) => o.length > 0);
  if (a.length === 0 || clips.length === 0) return a;
  return polygonClipping.difference(a, ...(clips as PcGeom[]));
}

/**
 * Splits a polygon with holes into hole-free pieces whose union is the polygon, for formats that cannot store
 * holes (COCO polygons, LabelMe). Each cut is a vertical line at a whole-pixel x, where no pixel centre lies,
 * so the pieces rasterize to exactly the pixels of the original.
 */
export function splitHoles(polygon: Polygon): Polygon[] {
  if (polygon.length <= 1) return [polygon];
  const hole = polygon[1]!;
  let minX = Infinity;
  let maxX = -Infinity;
  for (const [x] of hole) {
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
  }
  const mid = (minX + maxX) / 2;
  let cut = Math.round(mid);
  if (!(cut > minX && cut < maxX)) cut = mid - Math.floor(mid) === 0.5 ? mid + 1e-3 : mid;
  const box: BBox = multiPolygonBBox([polygon]);
  const left = intersect([polygon], rectPolygon(box.minX - 1, box.minY - 1, cut, box.maxY + 1));
  const right = intersect([polygon], rectPolygon(cut, box.minY - 1, box.maxX + 1, box.maxY + 1));
  return [...left, ...right].flatMap(splitHoles);
}

/** Drops consecutive repeated points and the closing duplicate of the first point. */
export function dedupeRing(ring: Ring): Ring {
  const out: Ring = [];
  for (const p of ring) {
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  const first = out[0];
  const last = out[out.length - 1];
  if (out.length > 1 && first && last && first[0] === last[0] && first[1] === last[1]) out.pop();
  return out;
}

/**
 * Sutherland–Hodgman clip of one ring to an axis-aligned box. Exact for the box's convex window whatever the
 * ring (a concave ring may keep zero-width runs along the box's edges, which a later union removes). Points on the
 * box's edges are set to the edge exactly and interpolated as a·(1−t) + b·t, so coordinates like 1e308 never
 * overflow to Infinity or NaN.
 */
export function clipRingToBox(ring: Ring, minX: number, minY: number, maxX: number, maxY: number): Ring {
  type Side = { inside: (p: Point) => boolean; cut: (a: Point, b: Point) => Point };
  const lerp = (a: number, b: number, t: number): number => a * (1 - t) + b * t;
  const at = (a: Point, b: Point, axis: 0 | 1, value: number): Point => {
    // (value − a)/(b − a) on halves: b − a itself overflows for opposite huge coordinates.
    const t = (value / 2 - a[axis] / 2) / (b[axis] / 2 - a[axis] / 2);
    const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0.5;
    const other = axis === 0 ? 1 : 0;
    const p: Point = [0, 0];
    p[axis] = value;
    // Within the edge's own range: rounding must not step outside it (a·(1−t) + a·t is not always a).
    p[other] = Math.min(Math.max(lerp(a[other], b[other], u), Math.min(a[other], b[other])), Math.max(a[other], b[other]));
    return p;
  };
  const sides: Side[] = [
    { inside: (p) => p[0] >= minX, cut: (a, b) => at(a, b, 0, minX) },
    { inside: (p) => p[0] <= maxX, cut: (a, b) => at(a, b, 0, maxX) },
    { inside: (p) => p[1] >= minY, cut: (a, b) => at(a, b, 1, minY) },
    { inside: (p) => p[1] <= maxY, cut: (a, b) => at(a, b, 1, maxY) },
  ];
  let out: Ring = ring;
  for (const side of sides) {
    const input = out;
    out = [];
    for (let k = 0; k < input.length; k++) {
      const cur = input[k]!;
      const prev = input[(k + input.length - 1) % input.length]!;
      const curIn = side.inside(cur);
      const prevIn = side.inside(prev);
      if (curIn) {
        if (!prevIn) out.push(side.cut(prev, cur));
        out.push(cur);
      } else if (prevIn) out.push(side.cut(prev, cur));
    }
    if (out.length === 0) return out;
  }
  return dedupeRing(out);
}
