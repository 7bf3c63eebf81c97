// Per-particle measures from an instance map. One pass collects the moments of every particle; perimeter, hull,
// Feret and solidity are computed on first use and cached, so a table that needs only areas stays cheap.
//
// Conventions (the ones geoscientists' tools use, so numbers agree with skimage `regionprops`):
// - centroid: mean of pixel centres (j + 0.5, i + 0.5) in image coordinates;
// - major/minor: 4·sqrt(eigenvalues) of the population covariance of the pixel coordinates;
// - perimeter: skimage's 4-connectivity estimate (border pixels weighted by their neighbourhood configuration);
// - Feret min/max and solidity: on the convex hull of the pixel squares (corners at integers), so a one-pixel
//   particle has Feret max √2 and solidity 1.
import type { InstanceMap, Point } from '../core/index.js';
import { invalidParameter } from '../core/index.js';
import { calipers, polygonAreaAbs } from './hull.js';
import { labelMoments } from './labelMoments.js';

export interface MeasureOptions {
  /** Millimetres per pixel; when given, `*_mm` measures are filled. */
  scale?: number | undefined;
  /** 1 inside the region of interest; a particle next to its outside touches the edge. */
  roi?: Uint8Array | undefined;
}

interface Moments {
  area: number;
  sx: number;
  sy: number;
  sxx: number;
  syy: number;
  sxy: number;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  edge: boolean;
}

/** A measured particle: a thin facade over the instance map with lazily computed, cached measures. */
export class Particle {
  private perimeterCache: number | undefined;
  private hullCache: Point[] | undefined;
  private feretCache: { min: number; max: number } | undefined;
  private shapeCache: Shape | undefined;

  constructor(
    readonly id: number,
    private readonly m: Moments,
    private readonly map: InstanceMap,
    readonly scale: number | undefined,
  ) {}

  get areaPx(): number {
    return this.m.area;
  }
  /** Centroid x (pixel centres at j + 0.5). */
  get xPx(): number {
    return this.m.sx / this.m.area + 0.5;
  }
  get yPx(): number {
    return this.m.sy / this.m.area + 0.5;
  }
  get eqDiamPx(): number {
    return Math.sqrt((4 * this.m.area) / Math.PI);
  }
  private get cov(): [number, number, number] {
    const { area, sx, sy, sxx, syy, sxy } = this.m;
    const mx = sx / area;
    const my = sy / area;
    return [sxx / area - mx * mx, syy / area - my * my, sxy / area - mx * my];
  }
  private get eigen(): [number, number] {
    const [a, c, b] = this.cov;
    const tr = a + c;
    const disc = Math.sqrt(Math.max(0, ((a - c) / 2) ** 2 + b * b));
    return [Math.max(0, tr / 2 + disc), Math.max(0, tr / 2 - disc)];
  }
  get majorPx(): number {
    return 4 * Math.sqrt(this.eigen[0]);
  }
  get minorPx(): number {
    return 4 * Math.sqrt(this.eigen[1]);
  }
  /** Angle of the major axis from the x axis, degrees in (-90, 90], y pointing down. */
  get orientationDeg(): number {
    const [a, c, b] = this.cov;
    return (0.5 * Math.atan2(2 * b, a - c) * 180) / Math.PI;
  }
  get touchesEdge(): boolean {
    return this.m.edge;
  }
  get perimeterPx(): number {
    this.perimeterCache ??= this.computePerimeter();
    return this.perimeterCache;
  }
  /** Convex hull of the particle's pixel squares. */
  get hull(): Point[] {
    this.hullCache ??= this.computeHull();
    return this.hullCache;
  }
  get feretMaxPx(): number {
    this.feretCache ??= calipers(this.hull);
    return this.feretCache.max;
  }
  get feretMinPx(): number {
    this.feretCache ??= calipers(this.hull);
    return this.feretCache.min;
  }
  /** Area over the convex hull's area (pixel squares). */
  get solidity(): number {
    const hullArea = polygonAreaAbs(this.hull);
    return hullArea > 0 ? Math.min(1, this.m.area / hullArea) : 1;
  }

  /** The particle's pixels in its bounding box, found once for the perimeter and the hull together. */
  private get shape(): Shape {
    this.shapeCache ??= computeShape(this.map, this.id, this.m);
    return this.shapeCache;
  }

  private computePerimeter(): number {
    return this.shape.perimeter;
  }

  private computeHull(): Point[] {
    return rowHull(this.shape.rows, this.m.minX, this.m.minY);
  }

  private mm(px: number): number {
    return this.scale === undefined ? NaN : px * this.scale;
  }

  /** All measures as a plain object (px, and mm when scaled). */
  toJSON(): ParticleRecord {
    const r: ParticleRecord = {
      id: this.id,
      x_px: this.xPx,
      y_px: this.yPx,
      area_px: this.areaPx,
      perimeter_px: this.perimeterPx,
      eq_diam_px: this.eqDiamPx,
      major_px: this.majorPx,
      minor_px: this.minorPx,
      feret_min_px: this.feretMinPx,
      feret_max_px: this.feretMaxPx,
      solidity: this.solidity,
      touches_edge: this.touchesEdge,
      orientation_deg: this.orientationDeg,
    };
    if (this.scale !== undefined) {
      const s = this.scale;
      Object.assign(r, {
        x_mm: this.mm(this.xPx),
        y_mm: this.mm(this.yPx),
        area_mm2: this.areaPx * s * s,
        perimeter_mm: this.mm(this.perimeterPx),
        eq_diam_mm: this.mm(this.eqDiamPx),
        major_mm: this.mm(this.majorPx),
        minor_mm: this.mm(this.minorPx),
        feret_min_mm: this.mm(this.feretMinPx),
        feret_max_mm: this.mm(this.feretMaxPx),
      });
    }
    return r;
  }
}

export interface ParticleRecord {
  id: number;
  x_px: number;
  y_px: number;
  area_px: number;
  perimeter_px: number;
  eq_diam_px: number;
  major_px: number;
  minor_px: number;
  feret_min_px: number;
  feret_max_px: number;
  solidity: number;
  touches_edge: boolean;
  orientation_deg: number;
  x_mm?: number;
  y_mm?: number;
  area_mm2?: number;
  perimeter_mm?: number;
  eq_diam_mm?: number;
  major_mm?: number;
  minor_mm?: number;
  feret_min_mm?: number;
  feret_max_mm?: number;
}

export function validateScale(scale: number | undefined, flag = '--scale'): void {
  if (scale !== undefined && !(Number.isFinite(scale) && scale > 0)) {
    throw invalidParameter(flag, 'a positive number of millimetres per pixel', scale, `e.g. ${flag} 0.2672`);
  }
}

/** What one scan of a particle's bounding box gives. */
interface Shape {
  /** Per bounding-box row: first and last column of the particle relative to minX, -1 for a row without it. */
  rows: Int32Array;
  perimeter: number;
}

/**
 * skimage.measure.perimeter's weight of each border-pixel code (1 for the pixel + 2 per edge neighbour + 10 per
 * corner neighbour that is a border pixel); 0 for codes that add nothing. A table instead of the comparisons, so
 * the hot loop has no branches on the code.
 */
const PERIMETER_WEIGHT = (() => {
  const w = new Float64Array(50);
  for (const c of [5, 7, 15, 17, 25, 27]) w[c] = 1;
  for (const c of [21, 33]) w[c] = Math.SQRT2;
  for (const c of [13, 23]) w[c] = (1 + Math.SQRT2) / 2;
  return w;
})();

/** Scratch for one bounding box at a time (bit 1: inside, bit 2: border), grown as needed, never shrunk. */
let scratch = new Uint8Array(1024);

// skimage.measure.perimeter with 4-connectivity: border pixels (the particle minus its erosion by a cross) are
// coded by their 8-neighbourhood of border pixels, and each code has a length weight. The mask is the bounding box
// with a one-pixel frame of 0 around it, so no neighbour needs a bounds check; the image outside is not the
// particle, as before. Weights are summed in raster order, as before, so the floating-point total is the same.
function computeShape(map: InstanceMap, id: number, m: Moments): Shape {
  const { minX, minY, maxX, maxY } = m;
  const { width, data } = map;
  const bw = maxX - minX + 1;
  const bh = maxY - minY + 1;
  const pw = bw + 2;
  const size = pw * (bh + 2);
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2));
  const s = scratch;
  s.fill(0, 0, size);
  const rows = new Int32Array(2 * bh);
  for (let i = 0; i < bh; i++) {
    const src = (minY + i) * width + minX;
    const dst = (i + 1) * pw + 1;
    let first = -1;
    let last = -1;
    for (let j = 0; j < bw; j++) {
      if (data[src + j] !== id) continue;
      s[dst + j] = 1;
      if (first < 0) first = j;
      last = j;
    }
    rows[2 * i] = first;
    rows[2 * i + 1] = last;
  }
  for (let i = 0; i < bh; i++) {
    const q0 = (i + 1) * pw + 1;
    for (let q = q0; q < q0 + bw; q++) {
      if (s[q] === 0) continue;
      if ((s[q - pw]! & s[q + pw]! & s[q - 1]! & s[q + 1]! & 1) === 0) s[q] = 3;
    }
  }
  let perimeter = 0;
  for (let i = 0; i < bh; i++) {
    const q0 = (i + 1) * pw + 1;
    for (let q = q0; q < q0 + bw; q++) {
      if (s[q] !== 3) continue;
      // (v >> 1) is 1 for a border pixel, 0 otherwise (inside-only pixels are 1, outside 0).
      const code =
        1 +
        2 * ((s[q - pw]! >> 1) + (s[q + pw]! >> 1) + (s[q - 1]! >> 1) + (s[q + 1]! >> 1)) +
        10 * ((s[q - pw - 1]! >> 1) + (s[q - pw + 1]! >> 1) + (s[q + pw - 1]! >> 1) + (s[q + pw + 1]! >> 1));
      perimeter += PERIMETER_WEIGHT[code]!;
    }
  }
  return { rows, perimeter };
}

/** The z of (a − o) × (b − o) for candidate points o, a, b (integers: exact). */
function cross(xs: Int32Array, ys: Int32Array, o: number, a: number, b: number): number {
  return (xs[a]! - xs[o]!) * (ys[b]! - ys[o]!) - (ys[a]! - ys[o]!) * (xs[b]! - xs[o]!);
}

/**
 * The convex hull of a particle's pixel squares, exactly as convexHull (hull.ts) gives it for all four corners of
 * every pixel, but from two candidates per corner row: only the leftmost and rightmost corner on a horizontal
 * line can be hull vertices, and the candidates come out sorted by (y, x), so no sort is needed. The monotone chain
 * over that order yields the same vertices in the same (counter-clockwise) order; it starts at the smallest
 * (y, x), so the result is rotated to start at the smallest (x, y), where convexHull starts.
 */
function rowHull(rows: Int32Array, minX: number, minY: number): Point[] {
  const bh = rows.length >> 1;
  const xs = new Int32Array(2 * (bh + 1));
  const ys = new Int32Array(2 * (bh + 1));
  let n = 0;
  for (let k = 0; k <= bh; k++) {
    // Corner row k touches pixel row k − 1 (its bottom corners) and pixel row k (its top corners).
    let lx = 2147483647;
    let rx = -1;
    if (k > 0 && rows[2 * k - 2]! >= 0) {
      lx = rows[2 * k - 2]!;
      rx = rows[2 * k - 1]! + 1;
    }
    if (k < bh && rows[2 * k]! >= 0) {
      lx = Math.min(lx, rows[2 * k]!);
      rx = Math.max(rx, rows[2 * k + 1]! + 1);
    }
    if (rx < 0) continue;
    xs[n] = lx + minX;
    ys[n++] = k + minY;
    xs[n] = rx + minX;
    ys[n++] = k + minY;
  }
  // Candidate indices on the hull: the lower chain, then the upper one, as convexHull builds them.
  const stack = new Int32Array(2 * n + 1);
  let top = 0;
  for (let k = 0; k < n; k++) {
    while (top >= 2 && cross(xs, ys, stack[top - 2]!, stack[top - 1]!, k) <= 0) top--;
    stack[top++] = k;
  }
  top--;
  const lower = top;
  for (let k = n - 1; k >= 0; k--) {
    while (top >= lower + 2 && cross(xs, ys, stack[top - 2]!, stack[top - 1]!, k) <= 0) top--;
    stack[top++] = k;
  }
  top--;
  let start = 0;
  for (let v = 1; v < top; v++) {
    const a = stack[v]!;
    const b = stack[start]!;
    if (xs[a]! < xs[b]! || (xs[a]! === xs[b]! && ys[a]! < ys[b]!)) start = v;
  }
  const hull: Point[] = new Array<Point>(top);
  for (let v = 0; v < top; v++) {
    const c = stack[(start + v) % top]!;
    hull[v] = [xs[c]!, ys[c]!];
  }
  return hull;
}

/** Measures every particle of the map (ids in ascending order). */
export function measureParticles(map: InstanceMap, options: MeasureOptions = {}): Particle[] {
  validateScale(options.scale);
  const roi = options.roi;
  if (roi && roi.length !== map.data.length) throw invalidParameter('roi.length', String(map.data.length), roi.length);
  const { count, ids, area, sx, sy, sxx, syy, sxy, minX, minY, maxX, maxY, edge } = labelMoments(map, roi);
  const order: number[] = [];
  for (let s = 1; s < count; s++) if (area[s]! > 0) order.push(s);
  order.sort((a, b) => ids[a]! - ids[b]!);
  return order.map((s) => {
    const m: Moments = { area: area[s]!, sx: sx[s]!, sy: sy[s]!, sxx: sxx[s]!, syy: syy[s]!, sxy: sxy[s]!, minX: minX[s]!, minY: minY[s]!, maxX: maxX[s]!, maxY: maxY[s]!, edge: edge[s] === 1 };
    return new Particle(ids[s]!, m, map, options.scale);
  });
}
