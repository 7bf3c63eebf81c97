// Particles → the normalized N-bin size vector, the percent-passing curve and its D-values (with Cu, Cc), under one
// BinSpec (size measure, weighting, edge policy, detection limit). An image with no measurable particle gives NaN
// values and a flag, never zeros.
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
  /** mass ∝ major·minor². @default defaultWeighting(unit): 'mass' for mm bins (what a sieve weighs), 'area' for px */
  weight: Weighting;
  /** Particles cut by the image or ROI edge are only partly seen. @default 'exclude' */
  edgePolicy: EdgePolicy;
  /** Particles whose size measure is below this many pixels are not binned but reported as unmeasured. @default 0 */
  minSizePx: number;
}

/** Defaults of the spec's fields; `weight` here is the px default, see defaultWeighting. */
export const DEFAULT_BIN_SPEC: Omit<BinSpec, 'edges' | 'unit'> = { measure: 'minor', weight: 'area', edgePolicy: 'exclude', minSizePx: 0 };

/**
 * The weighting used when none is asked for. Bins in mm are compared with sieve results, which are mass fractions:
 * mass. Bins in px describe the photo itself (no scale, no sieve to compare with): area, the share of the picture.
 */
export function defaultWeighting(unit: LengthUnit): Weighting {
  return unit === 'mm' ? 'mass' : 'area';
}

/** The D-values of a sieve report: D10, D30, D60 for Cu and Cc, D16/D50/D84 for sorting, D90 for the coarse tail. */
export const PERCENTILES = [10, 16, 30, 50, 60, 84, 90] as const;
export type PercentileKey = `d${(typeof PERCENTILES)[number]}`;
export const PERCENTILE_KEYS: readonly PercentileKey[] = PERCENTILES.map((q) => `d${q}` as const);

/** One bin holding more than this share of an image's vector makes a warning: the bins do not resolve the sample. */
export const DOMINANT_BIN_WARNING = 0.8;

/** Share of the particle area below the detection limit above which a distribution carries a warning. */
export const UNMEASURED_WARNING = 0.05;

export interface SizeDistribution {
  /** Weighted fraction per bin, summing to 1; all NaN when no particle was measurable. */
  fractions: number[];
  /** D10, D16, D30, D50, D60, D84, D90 in the unit of the edges, read off the percent-passing curve (NaN when empty). */
  d: Record<PercentileKey, number>;
  /** Uniformity coefficient D60/D10 (NaN when empty). */
  cu: number;
  /** Coefficient of curvature D30²/(D10·D60) (NaN when empty). */
  cc: number;
  /** Particles binned. */
  n: number;
  /** Particles left out because they touch the edge. */
  nEdge: number;
  /**
   * Particles below the detection limit (count), and the share of the total particle area left out of the vector:
   * theirs plus the unresolved clusters' (unresolvedAreaFraction, distributionOf's unresolvedAreaPx).
   */
  unmeasured: { count: number; areaFraction: number; unresolvedAreaFraction: number };
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

/**
 * The weight of a particle from its measures in px (mass ∝ major·minor²), in the unit of the bins: `lengthFactor` is
 * the length of a pixel in that unit (mm per px for mm bins, 1 for px bins), so area is area_px·f² and mass
 * (major_px·f)·(minor_px·f)². Within one photo the factor cancels out of the vector; across photos of different
 * mm/px (segment --scales) it does not: a stone pooled with others must weigh its own mm² or mm³, not its pixels.
 */
export function weightOf(weight: Weighting, areaPx: number, majorPx: number, minorPx: number, lengthFactor = 1): number {
  switch (weight) {
    case 'count':
      return 1;
    case 'area':
      return areaPx * lengthFactor * lengthFactor;
    case 'mass': {
      // Left to right as before (major·minor·minor): with f = 1 every product is the px one, bit for bit.
      const minor = minorPx * lengthFactor;
      return majorPx * lengthFactor * minor * minor;
    }
  }
}

/** A particle's weight in the unit of the bins (see weightOf for `lengthFactor`). */
export function particleWeight(p: Particle, weight: Weighting, lengthFactor = 1): number {
  return weightOf(weight, p.areaPx, p.majorPx, p.minorPx, lengthFactor);
}

/** A sized, weighted item: what binning needs from a particle (also built from particle CSV rows). */
export interface SizedItem {
  /** Size in the unit of the edges. */
  size: number;
  sizePx: number;
  /** Weight from sizes in the unit of the edges (mm², mm³ for mm bins), so items of photos at different mm/px pool. */
  weight: number;
  areaPx: number;
  touchesEdge: boolean;
}

export function sizedItems(particles: readonly Particle[], spec: BinSpec, scale: number | undefined): SizedItem[] {
  validateBinSpec(spec, scale);
  const factor = spec.unit === 'mm' ? scale! : 1;
  return particles.map((p) => {
    const s = sizePx(p, spec.measure);
    return { size: s * factor, sizePx: s, weight: particleWeight(p, spec.weight, factor), areaPx: p.areaPx, touchesEdge: p.touchesEdge };
  });
}

/**
 * Percentile of a weighted sample: sizes sorted, each item's cumulative position at the middle of its weight
 * (Hazen plotting positions), linear interpolation between items, clamped at the ends. For quantiles of any value
 * (segmentationScore's bin edges); the reported D-values, and bench/scale's, are read in log size by passingDiameter.
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

/** A point of the cumulative percent-passing curve: the weighted share (0–1) of the sample finer than `size`. */
export interface PassingPoint {
  size: number;
  passing: number;
}

/**
 * The percent-passing curve of a weighted sample, as the points it is drawn through: sizes ascending (equal sizes
 * merged), each at the cumulative share at the middle of its own weight (Hazen plotting positions), so that a
 * sample of one size is centred on 50 % and the curve treats fine and coarse ends alike. Items without a positive
 * size and weight are left out (a log axis has no place for them).
 */
export function passingCurve(items: readonly { size: number; weight: number }[]): PassingPoint[] {
  const pts = items.filter((x) => x.weight > 0 && x.size > 0 && Number.isFinite(x.size) && Number.isFinite(x.weight)).sort((a, b) => a.size - b.size);
  const merged: { size: number; weight: number }[] = [];
  for (const p of pts) {
    const last = merged[merged.length - 1];
    if (last && last.size === p.size) last.weight += p.weight;
    else merged.push({ size: p.size, weight: p.weight });
  }
  const total = merged.reduce((a, x) => a + x.weight, 0);
  let cum = 0;
  return merged.map((x) => {
    const passing = (cum + x.weight / 2) / total;
    cum += x.weight;
    return { size: x.size, passing };
  });
}

/**
 * The size at `q` percent passing, as a lab reads it off a percent-passing curve on a log size axis: linear in
 * log size between the curve's points (a geometric interpolation of the sizes), the smallest size below the first
 * point and the largest above the last. NaN for an empty curve.
 */
export function passingDiameter(curve: readonly PassingPoint[], q: number): number {
  if (curve.length === 0) return NaN;
  const target = q / 100;
  const first = curve[0]!;
  if (target <= first.passing) return first.size;
  for (let k = 1; k < curve.length; k++) {
    const hi = curve[k]!;
    if (target > hi.passing) continue;
    const lo = curve[k - 1]!;
    const t = (target - lo.passing) / (hi.passing - lo.passing);
    // The ends exactly: a D that falls on a point is that particle's size, not its size after exp(log(...)).
    if (t >= 1) return hi.size;
    if (t <= 0) return lo.size;
    return lo.size * Math.pow(hi.size / lo.size, t);
  }
  return curve[curve.length - 1]!.size;
}

/** The sieve-report numbers of a curve: D10…D90, Cu = D60/D10 and Cc = D30²/(D10·D60); all NaN when empty. */
export interface SieveNumbers {
  d: Record<PercentileKey, number>;
  cu: number;
  cc: number;
}

export function sieveNumbers(curve: readonly PassingPoint[]): SieveNumbers {
  const d = Object.fromEntries(PERCENTILES.map((q) => [`d${q}`, passingDiameter(curve, q)])) as Record<PercentileKey, number>;
  return { d, cu: d.d60 / d.d10, cc: (d.d30 * d.d30) / (d.d10 * d.d60) };
}

/** A bin for people: `< 4 mm`, `4–5.6 mm`, `≥ 11.2 mm`. */
export function binText(edges: readonly number[], unit: LengthUnit, bin: number): string {
  const n = (x: number): string => String(Number(x.toPrecision(12)));
  if (bin <= 0) return `< ${n(edges[0]!)} ${unit}`;
  if (bin >= edges.length) return `≥ ${n(edges[edges.length - 1]!)} ${unit}`;
  return `${n(edges[bin - 1]!)}–${n(edges[bin]!)} ${unit}`;
}

/** ISO 565 R20/3 sieve apertures (mm), the classes labs sieve gravel and sand with; DEFAULT_BIN_EDGES_MM are four of them. */
export const SIEVE_SERIES_MM: readonly number[] = [0.045, 0.063, 0.09, 0.125, 0.18, 0.25, 0.355, 0.5, 0.71, 1, 1.4, 2, 2.8, 4, 5.6, 8, 11.2, 16, 22.4, 31.5, 45, 63, 90, 125, 180, 250];

/**
 * Interior edges that split a sample into five bins of about equal weight: its D20, D40, D60 and D80, each moved
 * to the nearest sieve of SIEVE_SERIES_MM (mm) or to two significant digits (px), duplicates dropped. Empty when
 * fewer than two distinct edges remain (the sample is too narrow to split).
 */
export function suggestBinEdges(curve: readonly PassingPoint[], unit: LengthUnit): number[] {
  const snap = (x: number): number => {
    if (unit === 'px' || x < SIEVE_SERIES_MM[0]! || x > SIEVE_SERIES_MM[SIEVE_SERIES_MM.length - 1]!) return Number(x.toPrecision(2));
    let best = SIEVE_SERIES_MM[0]!;
    for (const s of SIEVE_SERIES_MM) if (Math.abs(Math.log(s / x)) < Math.abs(Math.log(best / x))) best = s;
    return best;
  };
  const edges = [...new Set([20, 40, 60, 80].map((q) => passingDiameter(curve, q)).filter((x) => Number.isFinite(x) && x > 0).map(snap))].sort((a, b) => a - b);
  return edges.length >= 2 ? edges : [];
}

/**
 * The note for a vector that puts more than DOMINANT_BIN_WARNING in one bin (undefined otherwise), suggesting
 * --bins from `suggestion` (e.g. suggestBinEdges of the batch) unless that is the bins already used.
 */
export function dominantBinWarning(vector: readonly number[], spec: Pick<BinSpec, 'edges' | 'unit' | 'weight'>, suggestion: readonly number[] = []): string | undefined {
  let top = 0;
  for (let k = 1; k < vector.length; k++) if (vector[k]! > vector[top]!) top = k;
  const share = vector[top];
  if (share === undefined || !(share > DOMINANT_BIN_WARNING)) return undefined;
  const same = suggestion.length === spec.edges.length && suggestion.every((e, k) => e === spec.edges[k]);
  const hint = suggestion.length >= 2 && !same ? `, e.g. --bins ${suggestion.join(',')} (the batch's D20/D40/D60/D80${spec.unit === 'mm' ? ' on standard sieves' : ''})` : '';
  return `${(100 * share).toFixed(1)} % of its ${spec.weight}-weighted vector is in one bin (${binText(spec.edges, spec.unit, top)}), so the vector says little about its sizes: pass --bins with edges inside that bin${hint}`;
}

/** One line per image whose vector puts more than DOMINANT_BIN_WARNING in one bin, naming the image (for stderr). */
export function dominantBinWarnings(
  images: readonly { image: string; vector: readonly number[] }[],
  spec: Pick<BinSpec, 'edges' | 'unit' | 'weight'>,
  suggestion: readonly number[] = [],
): string[] {
  return images.flatMap((im) => {
    const w = dominantBinWarning(im.vector, spec, suggestion);
    return w === undefined ? [] : [`${im.image}: ${w}`];
  });
}

/** Where an item goes: a bin index, or left out as touching the edge (--edge exclude) or below the detection limit. */
export type ItemClass = number | 'edge' | 'unmeasured';

export function classifyItem(it: Pick<SizedItem, 'size' | 'sizePx' | 'touchesEdge'>, spec: BinSpec): ItemClass {
  if (it.touchesEdge && spec.edgePolicy === 'exclude') return 'edge';
  if (it.sizePx < spec.minSizePx) return 'unmeasured';
  return binIndex(spec.edges, it.size);
}

/**
 * Bins sized items into the normalized vector, with percentiles and the detection-limit bookkeeping.
 * `unresolvedAreaPx`: particle area the segmenter could not resolve into particles at all (clusters of grains too
 * small to measure, SegmentResult.unresolved), counted with the unmeasured share, never binned.
 */
export function distributionOf(items: readonly SizedItem[], spec: BinSpec, scale?: number, unresolvedAreaPx = 0): SizeDistribution {
  if (!(unresolvedAreaPx >= 0)) throw invalidParameter('unresolvedAreaPx', 'a number ≥ 0', unresolvedAreaPx);
  const bins = new Array<number>(spec.edges.length + 1).fill(0);
  let nEdge = 0;
  let n = 0;
  let unmeasuredCount = 0;
  let unmeasuredArea = 0;
  let totalArea = 0;
  const used: SizedItem[] = [];
  for (const it of items) {
    const c = classifyItem(it, spec);
    if (c === 'edge') {
      nEdge += 1;
      continue;
    }
    totalArea += it.areaPx;
    if (c === 'unmeasured') {
      unmeasuredCount += 1;
      unmeasuredArea += it.areaPx;
      continue;
    }
    bins[c]! += it.weight;
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
  totalArea += unresolvedAreaPx;
  const unmeasuredFraction = totalArea > 0 ? (unmeasuredArea + unresolvedAreaPx) / totalArea : 0;
  if (unmeasuredFraction > UNMEASURED_WARNING) {
    const limit = spec.unit === 'mm' && scale !== undefined ? `${(spec.minSizePx * scale).toPrecision(3)} mm (${spec.minSizePx.toPrecision(3)} px)` : `${spec.minSizePx.toPrecision(3)} px`;
    const pct = (a: number): string => `${((100 * a) / totalArea).toFixed(1)} %`;
    const below = `particles below the detection limit of ${limit}`;
    const clusters = 'clusters of grains too small to resolve';
    const where = unresolvedAreaPx === 0 ? `is in ${below}` : unmeasuredArea === 0 ? `is in ${clusters}` : `is in ${below} (${pct(unmeasuredArea)}) or in ${clusters} (${pct(unresolvedAreaPx)})`;
    warnings.push(`${(100 * unmeasuredFraction).toFixed(1)} % of the particle area ${where}: reported as unmeasured, not in the vector (a finer mm/px resolves them)`);
  }
  const { d, cu, cc } = sieveNumbers(empty ? [] : passingCurve(used));
  return {
    fractions: bins.map((b) => (empty ? NaN : b / total)),
    d,
    cu,
    cc,
    n,
    nEdge,
    unmeasured: { count: unmeasuredCount, areaFraction: unmeasuredFraction, unresolvedAreaFraction: totalArea > 0 ? unresolvedAreaPx / totalArea : 0 },
    empty,
    warnings,
  };
}

/** Measured particles → distribution under `spec` (unresolvedAreaPx: see distributionOf). */
export function sizeDistribution(particles: readonly Particle[], spec: BinSpec, scale?: number, unresolvedAreaPx = 0): SizeDistribution {
  return distributionOf(sizedItems(particles, spec, scale), spec, scale, unresolvedAreaPx);
}
