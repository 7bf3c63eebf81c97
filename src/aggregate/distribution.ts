// Particles → the normalized N-bin size vector and D-percentiles, under one BinSpec (size measure, weighting,
// edge policy, detection limit). An image with no measurable particle gives NaN values and a flag, never zeros.
import type { LengthUnit } from '../core/index.js';
import { PhotosieveError, binIndex, invalidParameter, validateBinEdges } from '../core/index.js';
import type { Particle } from './measure.js';

export const SIZE_MEASURES = ['minor', 'major', 'ecd', 'feret_min', 'feret_max'] as const;
export type SizeMeasure = (typeof SIZE_MEASURES)[number];
export const WEIGHTINGS = ['count', 'area', 'mass'] as const;
export type Weighting = (typeof WEIGHTINGS)[number];
export const EDGE_POLICIES = ['exclude', 'include'] as const;
export type EdgePolicy = (typeof EDGE_POLICIES)[number];

export interface BinSpec {
  /** Interior edges, ascending: 4 edges make 5 bins. */
  edges: number[];
  /** Unit of the edges: mm needs a scale (mm per pixel). */
  unit: LengthUnit;
  /** @default 'minor' (the b-axis, what a sieve sorts by) */
  measure: SizeMeasure;
  /** @default 'area'; mass ∝ major·minor² */
  weight: Weighting;
  /** Particles cut by the image or ROI edge are only partly seen. @default 'exclude' */
  edgePolicy: EdgePolicy;
  /** Particles whose size measure is below this many pixels are not binned but reported as unmeasured. @default 0 */
  minSizePx: number;
}

export const DEFAULT_BIN_SPEC: Omit<BinSpec, 'edges' | 'unit'> = { measure: 'minor', weight: 'area', edgePolicy: 'exclude', minSizePx: 0 };

export const PERCENTILES = [10, 16, 50, 84, 90] as const;

/** Share of the particle area below the detection limit above which a distribution carries a warning. */
export const UNMEASURED_WARNING = 0.05;

export interface SizeDistribution {
  /** Weighted fraction per bin, summing to 1; all NaN when no particle was measurable. */
  fractions: number[];
  /** D10, D16, D50, D84, D90 in the unit of the edges (NaN when empty). */
  d: Record<`d${(typeof PERCENTILES)[number]}`, number>;
  /** Particles binned. */
  n: number;
  /** Particles left out because they touch the edge. */
  nEdge: number;
  /** Particles below the detection limit, and their share of the total particle area. */
  unmeasured: { count: number; areaFraction: number };
  empty: boolean;
  warnings: string[];
}

export function validateBinSpec(spec: BinSpec, scale: number | undefined): void {
  validateBinEdges(spec.edges);
  if (spec.unit === 'mm' && scale === undefined) {
    throw new PhotosieveError('E_PARAM', 'bin edges in mm need a scale (mm per pixel).', { fix: 'pass --scale MM_PER_PX, or give the edges in px without --scale' });
  }
  if (!(spec.minSizePx >= 0)) throw invalidParameter('--min-size-px', 'a number ≥ 0', spec.minSizePx);
}

/** The size of a particle in pixels under a measure. */
export function sizePx(p: Particle, measure: SizeMeasure): number {
  switch (measure) {
    case 'minor':
      return p.minorPx;
    case 'major':
      return p.majorPx;
    case 'ecd':
      return p.eqDiamPx;
    case 'feret_min':
      return p.feretMinPx;
    case 'feret_max':
      return p.feretMaxPx;
  }
}

/** The weight of a particle from its measures (mass ∝ major·minor²). */
export function weightOf(weight: Weighting, areaPx: number, majorPx: number, minorPx: number): number {
  switch (weight) {
    case 'count':
      return 1;
    case 'area':
      return areaPx;
    case 'mass':
      return majorPx * minorPx * minorPx;
  }
}

export function particleWeight(p: Particle, weight: Weighting): number {
  return weightOf(weight, p.areaPx, p.majorPx, p.minorPx);
}

/** A sized, weighted item: what binning needs from a particle (also built from particle CSV rows). */
export interface SizedItem {
  /** Size in the unit of the edges. */
  size: number;
  sizePx: number;
  weight: number;
  areaPx: number;
  touchesEdge: boolean;
}

export function sizedItems(particles: readonly Particle[], spec: BinSpec, scale: number | undefined): SizedItem[] {
  validateBinSpec(spec, scale);
  const factor = spec.unit === 'mm' ? scale! : 1;
  return particles.map((p) => {
    const s = sizePx(p, spec.measure);
    return { size: s * factor, sizePx: s, weight: particleWeight(p, spec.weight), areaPx: p.areaPx, touchesEdge: p.touchesEdge };
  });
}

/**
 * Percentile of a weighted sample: sizes sorted, each item's cumulative position at the middle of its weight
 * (Hazen plotting positions), linear interpolation between items, clamped at the ends.
 */
export function weightedPercentile(items: readonly { size: number; weight: number }[], q: number): number {
  const pts = items.filter((x) => x.weight > 0).sort((a, b) => a.size - b.size);
  if (pts.length === 0) return NaN;
  const total = pts.reduce((a, x) => a + x.weight, 0);
  let cum = 0;
  const pos = pts.map((x) => {
    const mid = (cum + x.weight / 2) / total;
    cum += x.weight;
    return mid;
  });
  const target = q / 100;
  if (target <= pos[0]!) return pts[0]!.size;
  for (let k = 1; k < pts.length; k++) {
    if (target <= pos[k]!) {
      const t = (target - pos[k - 1]!) / (pos[k]! - pos[k - 1]!);
      return pts[k - 1]!.size + t * (pts[k]!.size - pts[k - 1]!.size);
    }
  }
  return pts[pts.length - 1]!.size;
}

/** Bins sized items into the normalized vector, with percentiles and the detection-limit bookkeeping. */
export function distributionOf(items: readonly SizedItem[], spec: BinSpec, scale?: number): SizeDistribution {
  const bins = new Array<number>(spec.edges.length + 1).fill(0);
  let nEdge = 0;
  let n = 0;
  let unmeasuredCount = 0;
  let unmeasuredArea = 0;
  let totalArea = 0;
  const used: SizedItem[] = [];
  for (const it of items) {
    if (it.touchesEdge && spec.edgePolicy === 'exclude') {
      nEdge += 1;
      continue;
    }
    totalArea += it.areaPx;
    if (it.sizePx < spec.minSizePx) {
      unmeasuredCount += 1;
      unmeasuredArea += it.areaPx;
      continue;
    }
    bins[binIndex(spec.edges, it.size)]! += it.weight;
    used.push(it);
    n += 1;
  }
  const total = bins.reduce((a, b) => a + b, 0);
  const empty = n === 0 || total <= 0;
  const warnings: string[] = [];
  if (empty) warnings.push('no measurable particle: the size vector is undefined (NaN)');
  const firstEdgePx = spec.unit === 'mm' && scale !== undefined ? spec.edges[0]! / scale : spec.edges[0]!;
  if (spec.minSizePx > 0 && firstEdgePx < 2 * spec.minSizePx) {
    warnings.push(
      `the smallest bin ends at ${firstEdgePx.toFixed(1)} px, near the detection limit of ${spec.minSizePx} px: its fraction is unreliable`,
    );
  }
  const unmeasuredFraction = totalArea > 0 ? unmeasuredArea / totalArea : 0;
  if (unmeasuredFraction > UNMEASURED_WARNING) {
    const limit = spec.unit === 'mm' && scale !== undefined ? `${(spec.minSizePx * scale).toPrecision(3)} mm (${spec.minSizePx.toPrecision(3)} px)` : `${spec.minSizePx.toPrecision(3)} px`;
    warnings.push(
      `${(100 * unmeasuredFraction).toFixed(1)} % of the particle area is in particles below the detection limit of ${limit}: reported as unmeasured, not in the vector (a finer mm/px resolves them)`,
    );
  }
  const d = Object.fromEntries(PERCENTILES.map((q) => [`d${q}`, empty ? NaN : weightedPercentile(used, q)])) as SizeDistribution['d'];
  return {
    fractions: bins.map((b) => (empty ? NaN : b / total)),
    d,
    n,
    nEdge,
    unmeasured: { count: unmeasuredCount, areaFraction: unmeasuredFraction },
    empty,
    warnings,
  };
}

/** Measured particles → distribution under `spec`. */
export function sizeDistribution(particles: readonly Particle[], spec: BinSpec, scale?: number): SizeDistribution {
  return distributionOf(sizedItems(particles, spec, scale), spec, scale);
}
