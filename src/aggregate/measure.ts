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
import { calipers, convexHull, polygonAreaAbs } from './hull.js';

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

/** Measures every particle of the map (ids in ascending order). */
export function measureParticles(map: InstanceMap, options: MeasureOptions = {}): Particle[] {
  validateScale(options.scale);
  const { width, height, data } = map;
  const roi = options.roi;
  if (roi && roi.length !== data.length) throw invalidParameter('roi.length', String(data.length), roi.length);
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
  return [...moments.entries()].sort((a, b) => a[0] - b[0]).map(([id, m]) => new Particle(id, m, map, options.scale));
}
