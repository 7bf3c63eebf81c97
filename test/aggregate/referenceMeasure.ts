// The measure stage as it was before the speed work of issue 11 part 4 (commit 990525b, src/aggregate/measure.ts
// and hull.ts): a Map per pixel for the moments and a closure per lookup for the perimeter, obviously correct and
// kept only so tests can check the fast src/aggregate/measure.ts for identical particles on random maps. Not used by
// the library.
import type { InstanceMap, Point } from '../../src/core/index.js';
import { PARTICLE_COLUMNS_MM, PARTICLE_COLUMNS_PX, validateScale } from '../../src/aggregate/index.js';
import type { MeasureOptions, ParticleRecord } from '../../src/aggregate/index.js';

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
export class ReferenceParticle {
  private perimeterCache: number | undefined;
  private hullCache: Point[] | undefined;
  private feretCache: { min: number; max: number } | undefined;

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

  private inside(i: number, j: number): boolean {
    return i >= 0 && j >= 0 && i < this.map.height && j < this.map.width && this.map.data[i * this.map.width + j] === this.id;
  }

  private computeHull(): Point[] {
    const pts: Point[] = [];
    const { minX, minY, maxX, maxY } = this.m;
    for (let i = minY; i <= maxY; i++) {
      let first = -1;
      let last = -1;
      for (let j = minX; j <= maxX; j++) {
        if (this.map.data[i * this.map.width + j] !== this.id) continue;
        if (first < 0) first = j;
        last = j;
      }
      if (first < 0) continue;
      pts.push([first, i], [first, i + 1], [last + 1, i], [last + 1, i + 1]);
    }
    return convexHull(pts);
  }

  // skimage.measure.perimeter with 4-connectivity: border pixels (the particle minus its erosion by a cross)
  // are coded by their 8-neighbourhood of border pixels, and each code has a length weight.
  private computePerimeter(): number {
    const { minX, minY, maxX, maxY } = this.m;
    const border = (i: number, j: number): boolean =>
      this.inside(i, j) && !(this.inside(i - 1, j) && this.inside(i + 1, j) && this.inside(i, j - 1) && this.inside(i, j + 1));
    let total = 0;
    const diag = Math.SQRT2;
    const corner = (1 + Math.SQRT2) / 2;
    for (let i = minY; i <= maxY; i++) {
      for (let j = minX; j <= maxX; j++) {
        if (!border(i, j)) continue;
        // Code = 1 (centre) + 2 per edge neighbour + 10 per corner neighbour that is a border pixel.
        let code = 1;
        if (border(i - 1, j)) code += 2;
        if (border(i + 1, j)) code += 2;
        if (border(i, j - 1)) code += 2;
        if (border(i, j + 1)) code += 2;
        if (border(i - 1, j - 1)) code += 10;
        if (border(i - 1, j + 1)) code += 10;
        if (border(i + 1, j - 1)) code += 10;
        if (border(i + 1, j + 1)) code += 10;
        if (code === 5 || code === 7 || code === 15 || code === 17 || code === 25 || code === 27) total += 1;
        else if (code === 21 || code === 33) total += diag;
        else if (code === 13 || code === 23) total += corner;
      }
    }
    return total;
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

/** Measures every particle of the map (ids in ascending order). */
export function referenceMeasureParticles(map: InstanceMap, options: MeasureOptions = {}): ReferenceParticle[] {
  validateScale(options.scale);
  const { width, height, data } = map;
  const roi = options.roi;
  if (roi && roi.length !== data.length) throw new RangeError(`roi.length must be ${data.length}, got ${roi.length}`);
  const moments = new Map<number, Moments>();
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const p = i * width + j;
      const id = data[p]!;
      if (id === 0) continue;
      let m = moments.get(id);
      if (!m) {
        m = { area: 0, sx: 0, sy: 0, sxx: 0, syy: 0, sxy: 0, minX: j, minY: i, maxX: j, maxY: i, edge: false };
        moments.set(id, m);
      }
      m.area += 1;
      m.sx += j;
      m.sy += i;
      m.sxx += j * j;
      m.syy += i * i;
      m.sxy += i * j;
      if (j < m.minX) m.minX = j;
      if (j > m.maxX) m.maxX = j;
      if (i < m.minY) m.minY = i;
      if (i > m.maxY) m.maxY = i;
      if (i === 0 || j === 0 || i === height - 1 || j === width - 1) m.edge = true;
      else if (roi && (roi[p - 1] === 0 || roi[p + 1] === 0 || roi[p - width] === 0 || roi[p + width] === 0)) m.edge = true;
    }
  }
  return [...moments.entries()].sort((a, b) => a[0] - b[0]).map(([id, m]) => new ReferenceParticle(id, m, map, options.scale));
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const s6 = (x: number): number => Number(x.toPrecision(6));

/** src/aggregate/tables.ts particleTable as it was, over the reference particles. */
export function referenceParticleTable(particles: readonly ReferenceParticle[], scale: number | undefined): { header: string[]; rows: (string | number)[][] } {
  const header: string[] = [...PARTICLE_COLUMNS_PX, ...(scale === undefined ? [] : PARTICLE_COLUMNS_MM)];
  const rows = particles.map((p) => {
    const row: (string | number)[] = [p.id, r4(p.xPx), r4(p.yPx), p.areaPx, r4(p.perimeterPx), r4(p.eqDiamPx), r4(p.majorPx), r4(p.minorPx), r4(p.feretMinPx), r4(p.feretMaxPx), r4(p.solidity), p.touchesEdge ? 1 : 0];
    if (scale !== undefined) {
      row.push(...[p.xPx, p.yPx].map((v) => s6(v * scale)), s6(p.areaPx * scale * scale), ...[p.perimeterPx, p.eqDiamPx, p.majorPx, p.minorPx, p.feretMinPx, p.feretMaxPx].map((v) => s6(v * scale)));
    }
    return row;
  });
  return { header, rows };
}
