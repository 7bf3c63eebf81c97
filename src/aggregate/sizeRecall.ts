// Recall by true particle size: what the measuring principle is judged by. Every reference particle is binned by
// its b-axis (minor axis, px) into octaves and classified against the prediction as found (IoU ≥ 0.5 with one
// predicted particle), merged (mostly inside a predicted particle that is much more than it: fused with
// neighbours or the sand around it), split (covered by two or more predicted fragments that lie mostly inside
// it) or missed. A mean over all sizes hides an octave that is never found; this keeps each octave apart.
import type { InstanceMap } from '../core/index.js';
import { invalidParameter } from '../core/index.js';
import { measureParticles } from './measure.js';

export type SizeOutcome = 'found' | 'merged' | 'split' | 'missed';

export interface OctaveRecall {
  /** Octave [lo, hi) of the true b-axis, px. */
  lo: number;
  hi: number;
  /** Reference particles in the octave (edge particles excluded). */
  n: number;
  found: number;
  merged: number;
  split: number;
  missed: number;
  /** found / n (NaN when n = 0). */
  recall: number;
}

export interface SizeRecallOptions {
  /** Octave edges of the b-axis, px, ascending. @default 8, 16, …, 512 */
  edges?: readonly number[];
  /** Skip reference particles touching the image edge (their size is cut). @default true */
  excludeEdge?: boolean;
  /** Only these pixels count (e.g. where labels exist); undefined = all. */
  valid?: Uint8Array;
}

export const OCTAVE_EDGES_PX = [8, 16, 32, 64, 128, 256, 512] as const;

export interface SizeRecallResult {
  octaves: OctaveRecall[];
  /**
   * Every reference particle with its b-axis and outcome (for pooling across photos); `match` is the predicted id
   * it was found as (IoU ≥ 0.5; at most one can be), absent otherwise.
   */
  particles: { id: number; minorPx: number; outcome: SizeOutcome; iou: number; match?: number }[];
}

interface OverlapPair {
  truth: number;
  pred: number;
  inter: number;
}
interface OverlapTables {
  truthArea: Map<number, number>;
  predArea: Map<number, number>;
  pairs: OverlapPair[];
}

/** Pixel counts of every truth and predicted id, and of every overlapping (truth, pred) pair, within `valid`. */
function overlapTables(truth: InstanceMap, pred: InstanceMap, valid: Uint8Array | undefined): OverlapTables {
  if (truth.width !== pred.width || truth.height !== pred.height) {
    throw invalidParameter('pred', `an instance map of ${truth.width}×${truth.height}`, `${pred.width}×${pred.height}`);
  }
  const t = truth.data;
  const p = pred.data;
  const n = t.length;
  const truthArea = new Map<number, number>();
  const predArea = new Map<number, number>();
  // Overlaps keyed by truth id and pred id; the key fits a double exactly for ids below 2^26.
  const overlap = new Map<number, number>();
  for (let q = 0; q < n; q++) {
    if (valid && !valid[q]) continue;
    const a = t[q]!;
    const b = p[q]!;
    if (b !== 0) predArea.set(b, (predArea.get(b) ?? 0) + 1);
    if (a === 0) continue;
    truthArea.set(a, (truthArea.get(a) ?? 0) + 1);
    if (b !== 0) {
      const key = a * 67108864 + b;
      overlap.set(key, (overlap.get(key) ?? 0) + 1);
    }
  }
  const pairs: OverlapPair[] = [];
  for (const [key, inter] of overlap) {
    const a = Math.floor(key / 67108864);
    pairs.push({ truth: a, pred: key - a * 67108864, inter });
  }
  return { truthArea, predArea, pairs };
}

/** The overlapping pairs grouped by their truth id or by their predicted id. */
function pairsBy(pairs: readonly OverlapPair[], side: 'truth' | 'pred'): Map<number, OverlapPair[]> {
  const out = new Map<number, OverlapPair[]>();
  for (const pair of pairs) {
    const list = out.get(pair[side]);
    if (list) list.push(pair);
    else out.set(pair[side], [pair]);
  }
  return out;
}

/** Classifies each reference particle by overlap with the prediction; see the module header for the outcomes. */
export function sizeRecall(truth: InstanceMap, pred: InstanceMap, options: SizeRecallOptions = {}): SizeRecallResult {
  return recallFrom(overlapTables(truth, pred, options.valid), truth, options);
}

/**
 * sizeRecall and sizePrecision of one photo from one pass over its pixels (each alone makes its own pass): what
 * a caller that wants both, a benchmark or SegmentationScorer, should use.
 */
export function sizeRecallAndPrecision(truth: InstanceMap, pred: InstanceMap, options: SizeRecallOptions = {}): { recall: SizeRecallResult; precision: SizePrecisionResult } {
  const tables = overlapTables(truth, pred, options.valid);
  return { recall: recallFrom(tables, truth, options), precision: precisionFrom(tables, pred, options) };
}

function recallFrom({ truthArea, predArea, pairs }: OverlapTables, truth: InstanceMap, options: SizeRecallOptions): SizeRecallResult {
  const edges = options.edges ?? OCTAVE_EDGES_PX;
  const excludeEdge = options.excludeEdge ?? true;
  const byTruth = pairsBy(pairs, 'truth');
  const particles: SizeRecallResult['particles'] = [];
  for (const particle of measureParticles(truth)) {
    if (excludeEdge && particle.touchesEdge) continue;
    const area = truthArea.get(particle.id);
    if (area === undefined) continue;
    const list = byTruth.get(particle.id) ?? [];
    let outcome: SizeOutcome = 'missed';
    let bestIou = 0;
    let bestPred = 0;
    let bestShare = 0;
    let fragments = 0;
    for (const { pred, inter } of list) {
      const pa = predArea.get(pred)!;
      const iou = inter / (area + pa - inter);
      if (iou > bestIou) {
        bestIou = iou;
        bestPred = pred;
      }
      if (inter / area > bestShare) bestShare = inter / area;
      // A fragment: a predicted particle of which at least half lies inside this one.
      if (inter / pa >= 0.5) fragments++;
    }
    if (bestIou >= 0.5) outcome = 'found';
    else if (bestShare >= 0.5) outcome = 'merged';
    else if (fragments >= 2) outcome = 'split';
    particles.push({ id: particle.id, minorPx: particle.minorPx, outcome, iou: bestIou, ...(outcome === 'found' ? { match: bestPred } : {}) });
  }
  return { octaves: octavesOf(particles, edges), particles };
}

export interface OctaveSizeBias {
  lo: number;
  hi: number;
  /** Found particles of the octave (by true b-axis). */
  n: number;
  /** Median of predicted b-axis / true b-axis over them (NaN when n = 0): below 1, outlines read small. */
  medianRatio: number;
  /** Their 16th and 84th percentiles of that ratio. */
  p16: number;
  p84: number;
}

/**
 * How large the found particles of each octave read: predicted b-axis (`readPx`, of the particle each was found as:
 * sizeRecall's `match`) over true b-axis (`minorPx`), per octave of the true b-axis. Recall says whether a stone is
 * found; this says whether it is measured at its size, which drift between resolutions follows.
 */
export function sizeBiasOf(found: readonly { minorPx: number; readPx: number }[], edges: readonly number[] = OCTAVE_EDGES_PX): OctaveSizeBias[] {
  const at = (sorted: number[], q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]! : NaN);
  return byOctave(found.filter((x) => x.minorPx > 0), edges).map(({ lo, hi, inside }) => {
    const r = inside.map((x) => x.readPx / x.minorPx).sort((a, b) => a - b);
    return { lo, hi, n: r.length, medianRatio: at(r, 0.5), p16: at(r, 0.16), p84: at(r, 0.84) };
  });
}

/** Particles of each octave [edges[k], edges[k + 1]) of the b-axis: the binning recall and precision share. */
function byOctave<T extends { minorPx: number }>(particles: readonly T[], edges: readonly number[]): { lo: number; hi: number; inside: T[] }[] {
  const out: { lo: number; hi: number; inside: T[] }[] = [];
  for (let k = 0; k + 1 < edges.length; k++) {
    const lo = edges[k]!;
    const hi = edges[k + 1]!;
    out.push({ lo, hi, inside: particles.filter((x) => x.minorPx >= lo && x.minorPx < hi) });
  }
  return out;
}

/** Bins classified particles (of one photo or pooled over many) into octaves of the b-axis. */
export function octavesOf(particles: readonly { minorPx: number; outcome: SizeOutcome }[], edges: readonly number[] = OCTAVE_EDGES_PX): OctaveRecall[] {
  return byOctave(particles, edges).map(({ lo, hi, inside }) => {
    const count = (o: SizeOutcome): number => inside.filter((x) => x.outcome === o).length;
    const found = count('found');
    return { lo, hi, n: inside.length, found, merged: count('merged'), split: count('split'), missed: count('missed'), recall: inside.length ? found / inside.length : NaN };
  });
}

/**
 * Where an unmatched predicted particle lies: `background` (at least half of it on unlabelled ground: sand, silt,
 * shadow, or on real photos unlabelled fines), `fragment` (mostly inside one reference particle more than twice its
 * area), `merge` (at least a fifth of it on each of two or more reference particles) or `misfit` (one particle of
 * about its size, outlined too loosely or too tightly for IoU 0.5).
 */
export type FalseKind = 'background' | 'fragment' | 'merge' | 'misfit';

export interface OctavePrecision {
  /** Octave [lo, hi) of the predicted particle's b-axis, px. */
  lo: number;
  hi: number;
  /** Predicted particles in the octave (edge particles excluded). */
  n: number;
  /** Of them, those matching a reference particle at IoU ≥ 0.5. */
  matched: number;
  /** matched / n (NaN when n = 0). */
  precision: number;
  /** The unmatched ones by where they lie (see FalseKind); they sum to n − matched. */
  unmatched: Record<FalseKind, number>;
}

export interface SizePrecisionResult {
  octaves: OctavePrecision[];
  /** Every predicted particle with its b-axis, whether it matches one reference particle, and if not, where it lies. */
  particles: { id: number; minorPx: number; matched: boolean; iou: number; kind?: FalseKind }[];
}

/**
 * Precision by predicted size, the other half of sizeRecall: every predicted particle, binned by its own b-axis, is
 * matched when it has IoU ≥ 0.5 with one reference particle. A predicted particle that matches nothing is sand or
 * shadow called a stone, a fragment of a split stone or a merge of several: recall alone never sees them. Only
 * meaningful where the reference labels every particle (synthetic photos); with `valid`, pixels outside it are
 * ignored and predicted particles with no pixel inside it are left out.
 */
export function sizePrecision(truth: InstanceMap, pred: InstanceMap, options: SizeRecallOptions = {}): SizePrecisionResult {
  return precisionFrom(overlapTables(truth, pred, options.valid), pred, options);
}

function precisionFrom({ truthArea, predArea, pairs }: OverlapTables, pred: InstanceMap, options: SizeRecallOptions): SizePrecisionResult {
  const edges = options.edges ?? OCTAVE_EDGES_PX;
  const excludeEdge = options.excludeEdge ?? true;
  const byPred = pairsBy(pairs, 'pred');
  const particles: SizePrecisionResult['particles'] = [];
  for (const particle of measureParticles(pred)) {
    if (excludeEdge && particle.touchesEdge) continue;
    const area = predArea.get(particle.id);
    if (area === undefined) continue;
    const list = byPred.get(particle.id) ?? [];
    let iou = 0;
    let onLabels = 0;
    let biggest: OverlapPair = { truth: 0, pred: particle.id, inter: 0 };
    for (const x of list) {
      iou = Math.max(iou, x.inter / (truthArea.get(x.truth)! + area - x.inter));
      onLabels += x.inter;
      if (x.inter > biggest.inter) biggest = x;
    }
    if (iou >= 0.5) {
      particles.push({ id: particle.id, minorPx: particle.minorPx, matched: true, iou });
      continue;
    }
    let kind: FalseKind;
    if (area - onLabels >= 0.5 * area) kind = 'background';
    else if (list.filter((x) => x.inter >= 0.2 * area).length >= 2) kind = 'merge';
    else kind = truthArea.get(biggest.truth)! > 2 * area ? 'fragment' : 'misfit';
    particles.push({ id: particle.id, minorPx: particle.minorPx, matched: false, iou, kind });
  }
  return { octaves: precisionOctavesOf(particles, edges), particles };
}

/** Bins predicted particles (of one photo or pooled over many) into octaves of their b-axis. */
export function precisionOctavesOf(particles: readonly { minorPx: number; matched: boolean; kind?: FalseKind | undefined }[], edges: readonly number[] = OCTAVE_EDGES_PX): OctavePrecision[] {
  return byOctave(particles, edges).map(({ lo, hi, inside }) => {
    const matched = inside.filter((x) => x.matched).length;
    const unmatched: Record<FalseKind, number> = { background: 0, fragment: 0, merge: 0, misfit: 0 };
    for (const x of inside) if (!x.matched) unmatched[x.kind ?? 'misfit'] += 1;
    return { lo, hi, n: inside.length, matched, precision: inside.length ? matched / inside.length : NaN, unmatched };
  });
}
