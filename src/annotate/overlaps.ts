// Stones lie on stones: overlapping polygons are resolved by z-order so each pixel belongs to at most one
// particle. Higher z is on top; equal z is broken by list order (later on top), as in LabelMe and CVAT.
import type { BBox, MultiPolygon, Point } from '../core/index.js';
import { bboxesOverlap, multiPolygonArea, multiPolygonBBox } from '../core/index.js';
import { subtract } from './clip.js';

export interface Layered {
  geometry: MultiPolygon;
  /** Drawing order: higher is on top. @default 0 */
  z?: number;
}

export interface OverlapResult {
  /** Visible part of each input, in input order; empty when completely hidden. */
  visible: MultiPolygon[];
  /** How many inputs lost area to a shape above them. */
  overlapped: number;
  /** How many overlapping pairs there were (positive shared bounding-box area and geometry actually cut). */
  pairs: number;
  /** Indices of inputs hidden completely. */
  hidden: number[];
}

/** Buckets bounding boxes in a uniform grid so each shape is only compared with its neighbours. */
class BoxGrid {
  private readonly cells = new Map<number, number[]>();
  constructor(private readonly cell: number) {}
  private keys(b: BBox): number[] {
    const keys: number[] = [];
    const x0 = Math.floor(b.minX / this.cell);
    const x1 = Math.floor(b.maxX / this.cell);
    const y0 = Math.floor(b.minY / this.cell);
    const y1 = Math.floor(b.maxY / this.cell);
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) keys.push(y * 1_000_003 + x);
    return keys;
  }
  add(index: number, b: BBox): void {
    for (const k of this.keys(b)) {
      let list = this.cells.get(k);
      if (!list) this.cells.set(k, (list = []));
      list.push(index);
    }
  }
  near(b: BBox): Set<number> {
    const out = new Set<number>();
    for (const k of this.keys(b)) for (const i of this.cells.get(k) ?? []) out.add(i);
    return out;
  }
}

/** Orientation of r relative to the line p→q: > 0 left, < 0 right, 0 on it. */
function orient(px: number, py: number, qx: number, qy: number, rx: number, ry: number): number {
  return (qx - px) * (ry - py) - (qy - py) * (rx - px);
}

/** Do segments p1p2 and q1q2 share a point (touching included)? */
function segmentsMeet(p1: Point, p2: Point, q1: Point, q2: Point): boolean {
  if (Math.max(p1[0], p2[0]) < Math.min(q1[0], q2[0]) || Math.max(q1[0], q2[0]) < Math.min(p1[0], p2[0])) return false;
  if (Math.max(p1[1], p2[1]) < Math.min(q1[1], q2[1]) || Math.max(q1[1], q2[1]) < Math.min(p1[1], p2[1])) return false;
  const d1 = orient(q1[0], q1[1], q2[0], q2[1], p1[0], p1[1]);
  const d2 = orient(q1[0], q1[1], q2[0], q2[1], p2[0], p2[1]);
  const d3 = orient(p1[0], p1[1], p2[0], p2[1], q1[0], q1[1]);
  const d4 = orient(p1[0], p1[1], p2[0], p2[1], q2[0], q2[1]);
  // Collinear or touching cases (a zero) count as meeting: the caller then falls back to exact clipping.
  if (d1 === 0 || d2 === 0 || d3 === 0 || d4 === 0) return true;
  return d1 > 0 !== d2 > 0 && d3 > 0 !== d4 > 0;
}

/** Even-odd point-in-shape over all rings (holes included). */
function insideShape(x: number, y: number, mp: MultiPolygon): boolean {
  let inside = false;
  for (const polygon of mp) {
    for (const ring of polygon) {
      for (let k = 0, n = ring.length, j = n - 1; k < n; j = k++) {
        const [xk, yk] = ring[k]!;
        const [xj, yj] = ring[j]!;
        if (yk > y !== yj > y && x < ((xj - xk) * (y - yk)) / (yj - yk) + xk) inside = !inside;
      }
    }
  }
  return inside;
}

/**
 * True only when `a` and `b` certainly share no point: no edges meet and no ring of either lies inside the
 * other. Subtracting a disjoint shape changes nothing, so the (costly) clipping can be skipped.
 */
function disjoint(a: MultiPolygon, b: MultiPolygon): boolean {
  if (!bboxesOverlap(multiPolygonBBox(a), multiPolygonBBox(b))) return true;
  for (const pa of a) {
    for (const ra of pa) {
      for (let i = 0; i < ra.length; i++) {
        const a1 = ra[i]!;
        const a2 = ra[(i + 1) % ra.length]!;
        for (const pb of b) {
          for (const rb of pb) {
            for (let j = 0; j < rb.length; j++) if (segmentsMeet(a1, a2, rb[j]!, rb[(j + 1) % rb.length]!)) return false;
          }
        }
      }
    }
  }
  // No boundaries cross, so each ring lies wholly inside or outside the other shape: one vertex decides.
  for (const pa of a) for (const ra of pa) if (ra[0] && insideShape(ra[0][0], ra[0][1], b)) return false;
  for (const pb of b) for (const rb of pb) if (rb[0] && insideShape(rb[0][0], rb[0][1], a)) return false;
  return true;
}

export function resolveOverlaps(items: readonly Layered[]): OverlapResult {
  const boxes = items.map((it) => multiPolygonBBox(it.geometry));
  const rank = items.map((it, k) => ({ z: it.z ?? 0, k }));
  const above = (a: number, b: number): boolean => {
    const ra = rank[a]!;
    const rb = rank[b]!;
    return ra.z > rb.z || (ra.z === rb.z && ra.k > rb.k);
  };
  const grid = new BoxGrid(64);
  boxes.forEach((b, k) => {
    if (Number.isFinite(b.minX)) grid.add(k, b);
  });
  const visible: MultiPolygon[] = [];
  const hidden: number[] = [];
  let overlapped = 0;
  let pairs = 0;
  items.forEach((it, k) => {
    const box = boxes[k]!;
    const covers = [...grid.near(box)]
      .filter((j) => j !== k && above(j, k) && bboxesOverlap(box, boxes[j]!))
      .map((j) => items[j]!.geometry);
    if (covers.length === 0) {
      visible.push(it.geometry);
      return;
    }
    const before = multiPolygonArea(it.geometry);
    let rest = it.geometry;
    for (const c of covers) {
      // Bounding boxes overlap often where shapes do not (neighbours in a pile): skip those without clipping.
      if (disjoint(rest, c)) continue;
      const next = subtract(rest, [c]);
      if (multiPolygonArea(next) < multiPolygonArea(rest) - 1e-9) pairs += 1;
      rest = next;
      if (rest.length === 0) break;
    }
    const after = multiPolygonArea(rest);
    if (after < before - 1e-9) overlapped += 1;
    if (rest.length === 0 || after <= 1e-9) {
      hidden.push(k);
      visible.push([]);
    } else visible.push(rest);
  });
  return { visible, overlapped, pairs, hidden };
}
