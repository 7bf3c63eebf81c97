// polygon-clipping wrappers: canonical (non-self-intersecting) geometry, clipping, z-order differences.
import polygonClipping from 'polygon-clipping';
import type { BBox, MultiPolygon, Polygon, Ring } from '../core/index.js';
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
