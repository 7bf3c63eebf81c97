// Polygon → pixels, by the project's pixel-centre rule: pixel (i, j) is inside when (j + 0.5, i + 0.5) is.
// Scanline fill with the even-odd rule over all rings (holes included); a centre exactly on an edge counts
// as inside on the left end of a span and outside on the right end, so two polygons that share an edge never
// both claim a pixel. The `inclusive` variant also takes every pixel whose centre lies on the outline: that is
// how outlines traced through boundary-pixel centres (OpenCV findContours, LabelMe's own mask export) mean it.
import type { InstanceMap, MultiPolygon, Ring } from '../core/index.js';

interface Edge {
  yMin: number;
  yMax: number;
  x0: number;
  y0: number;
  slope: number;
}

export interface RasterizeOptions {
  /** Also take pixels whose centre lies exactly on the outline. @default false */
  inclusive?: boolean;
}

const ON_LINE_EPS = 1e-9;

/** Pixels whose centre lies on a ring's outline (for the inclusive rule). */
function forEachOnOutline(rings: readonly Ring[], width: number, height: number, pixel: (row: number, col: number) => void): void {
  const take = (row: number, col: number): void => {
    if (row >= 0 && row < height && col >= 0 && col < width) pixel(row, col);
  };
  for (const ring of rings) {
    const n = ring.length;
    for (let k = 0; k < n; k++) {
      const [x0, y0] = ring[k]!;
      const [x1, y1] = ring[(k + 1) % n]!;
      if (y0 === y1) {
        const row = y0 - 0.5;
        if (Math.abs(row - Math.round(row)) > ON_LINE_EPS) continue;
        const c0 = Math.ceil(Math.min(x0, x1) - 0.5 - ON_LINE_EPS);
        const c1 = Math.floor(Math.max(x0, x1) - 0.5 + ON_LINE_EPS);
        for (let c = c0; c <= c1; c++) take(Math.round(row), c);
        continue;
      }
      const r0 = Math.ceil(Math.min(y0, y1) - 0.5 - ON_LINE_EPS);
      const r1 = Math.floor(Math.max(y0, y1) - 0.5 + ON_LINE_EPS);
      const slope = (x1 - x0) / (y1 - y0);
      for (let row = Math.max(0, r0); row <= Math.min(height - 1, r1); row++) {
        const col = x0 + (row + 0.5 - y0) * slope - 0.5;
        if (Math.abs(col - Math.round(col)) <= ON_LINE_EPS) take(row, Math.round(col));
      }
    }
  }
}

/** Calls `span(row, colStart, colEnd)` (colEnd exclusive) for every run of inside pixels, clipped to the image. */
export function forEachSpan(
  rings: readonly Ring[],
  width: number,
  height: number,
  span: (row: number, colStart: number, colEnd: number) => void,
  options: RasterizeOptions = {},
): void {
  if (options.inclusive) forEachOnOutline(rings, width, height, (row, col) => span(row, col, col + 1));
  const edges: Edge[] = [];
  let yLo = Infinity;
  let yHi = -Infinity;
  for (const ring of rings) {
    const n = ring.length;
    for (let k = 0; k < n; k++) {
      const p = ring[k]!;
      const q = ring[(k + 1) % n]!;
      if (p[1] === q[1]) continue;
      const [a, b] = p[1] < q[1] ? [p, q] : [q, p];
      edges.push({ yMin: a[1], yMax: b[1], x0: a[0], y0: a[1], slope: (b[0] - a[0]) / (b[1] - a[1]) });
      if (a[1] < yLo) yLo = a[1];
      if (b[1] > yHi) yHi = b[1];
    }
  }
  if (edges.length === 0) return;
  const firstRow = Math.max(0, Math.ceil(yLo - 0.5));
  const lastRow = Math.min(height - 1, Math.ceil(yHi - 0.5) - 1);
  if (firstRow > lastRow) return;
  // Bucket edges by the first row whose centre line they cross, then keep an active list while scanning.
  const buckets = new Map<number, Edge[]>();
  for (const e of edges) {
    const r0 = Math.max(firstRow, Math.ceil(e.yMin - 0.5));
    const r1 = Math.ceil(e.yMax - 0.5) - 1;
    if (r0 > r1 || r0 > lastRow) continue;
    let list = buckets.get(r0);
    if (!list) buckets.set(r0, (list = []));
    list.push(e);
  }
  let active: Edge[] = [];
  const xs: number[] = [];
  for (let row = firstRow; row <= lastRow; row++) {
    const y = row + 0.5;
    const incoming = buckets.get(row);
    if (incoming) active.push(...incoming);
    active = active.filter((e) => e.yMax > y);
    xs.length = 0;
    for (const e of active) xs.push(e.x0 + (y - e.y0) * e.slope);
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const c0 = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const c1 = Math.min(width, Math.ceil(xs[k + 1]! - 0.5));
      if (c1 > c0) span(row, c0, c1);
    }
  }
}

/** All rings of a multipolygon in one list (the even-odd rule needs no nesting information). */
export function allRings(mp: MultiPolygon): Ring[] {
  const rings: Ring[] = [];
  for (const polygon of mp) rings.push(...polygon);
  return rings;
}

/** Writes `value` into `target` (row-major, width × height) at every pixel inside `mp`. */
export function fillMultiPolygon(
  mp: MultiPolygon,
  width: number,
  height: number,
  target: Int32Array | Uint8Array,
  value: number,
  options: RasterizeOptions = {},
): void {
  forEachSpan(
    allRings(mp),
    width,
    height,
    (row, c0, c1) => {
      target.fill(value, row * width + c0, row * width + c1);
    },
    options,
  );
}

/** Number of pixels inside `mp` (its area by the pixel-centre rule). */
export function pixelArea(mp: MultiPolygon, width: number, height: number): number {
  let n = 0;
  forEachSpan(allRings(mp), width, height, (_row, c0, c1) => {
    n += c1 - c0;
  });
  return n;
}

/**
 * Paints instances into an id map. Instances must not overlap (resolve z-order first); if they do, the later
 * one in the list wins, which is the same as drawing bottom to top.
 */
export function rasterizeInstances(
  instances: readonly { id: number; geometry: MultiPolygon }[],
  width: number,
  height: number,
  options: RasterizeOptions = {},
): InstanceMap {
  const data = new Int32Array(width * height);
  for (const inst of instances) fillMultiPolygon(inst.geometry, width, height, data, inst.id, options);
  return { width, height, data };
}
