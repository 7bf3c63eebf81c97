// Stones lie on stones: overlapping polygons are resolved by z-order so each pixel belongs to at most one
// particle. Higher z is on top; equal z is broken by list order (later on top), as in LabelMe and CVAT.
import type { BBox, MultiPolygon } from '../core/index.js';
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
