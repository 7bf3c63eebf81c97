// Scores of predicted instance maps against labelled ones, the way training, benchmarks and the README report
// them: instance F1 at IoU 0.5 (also counting only predictions that lie on labelled particles, since labels of
// real photos leave fines unlabelled), and the area-weighted 5-bin RMSE with bins at the truth's 20/40/60/80 %
// quantiles of the minor axis (so every photo, whatever its scale, gets five informative bins).
import type { InstanceMap } from '../core/index.js';
import type { BinSpec } from './distribution.js';
import { distributionOf, sizedItems, weightedPercentile } from './distribution.js';
import { matchInstances } from './matchInstances.js';
import type { Particle } from './measure.js';
import { measureParticles } from './measure.js';
import { rmse } from './metrics.js';
import { OCTAVE_EDGES_PX, octavesOf, precisionOctavesOf, sizeRecallAndPrecision } from './sizeRecall.js';
import type { FalseKind, SizeOutcome } from './sizeRecall.js';

/** An octave enters octaveF1 when the truth has at least this many particles in it (over all images). */
export const OCTAVE_F1_MIN_TRUTH = 5;

export interface SegmentationScore {
  /** Instance F1 at IoU 0.5, pooled over the images. */
  f1: number;
  /** F1 counting only predictions whose pixels lie mostly (≥ 50 %) on labelled particles. */
  f1Labelled: number;
  precision: number;
  recall: number;
  /** Mean over images of the area-weighted 5-bin RMSE (quantile bins of the truth). */
  rmse5: number;
  images: number;
  /**
   * Mean over b-axis octaves (8–16 … 256–512 px, those with ≥ OCTAVE_F1_MIN_TRUTH true particles) of the octave's
   * F1: recall of its true particles (sizeRecall) and precision of the predicted particles of that size
   * (sizePrecision; on incomplete labels those lying mostly on unlabelled ground are left out; none of that size:
   * precision 1). Every size counts the same, so a model cannot buy a better score with thousands of small
   * particles while splitting every boulder.
   */
  octaveF1: number;
  /** The octaves behind octaveF1 (recall, precision, F1; NaN where the truth has too few particles). */
  octaves: { lo: number; hi: number; n: number; recall: number; precision: number; f1: number }[];
  /**
   * Share of the predicted particles' pixels that belong to particles lying mostly (≥ 50 %) off every true particle,
   * pooled over the images (NaN with no prediction): sand, silt or shadow called particles, and on traced photos
   * also the fines their labels leave blank, which f1Labelled and octaveF1 cannot see.
   */
  offLabelArea: number;
}

export interface ScoredPair {
  truth: InstanceMap;
  pred: InstanceMap;
  /** 1 inside the region of interest. */
  valid?: Uint8Array | undefined;
  /**
   * The truth labels every particle (synthetic photos): a prediction on unlabelled ground is a false particle, so
   * f1Labelled counts it like f1 does. Default false: traced photos leave fines blank.
   */
  complete?: boolean | undefined;
}

/** A predicted particle lies on labelled ground when at least this share of its pixels is on a true particle. */
export const ON_LABEL_SHARE = 0.5;

/** A predicted particle's pixels and how many of them lie on a true particle. */
export interface LabelOverlap {
  area: number;
  onLabel: number;
}

/** LabelOverlap per predicted particle id. */
export function labelOverlap(truth: InstanceMap, pred: InstanceMap): Map<number, LabelOverlap> {
  const out = new Map<number, LabelOverlap>();
  for (let p = 0; p < pred.data.length; p++) {
    const id = pred.data[p]!;
    if (id === 0) continue;
    let c = out.get(id);
    if (!c) out.set(id, (c = { area: 0, onLabel: 0 }));
    c.area += 1;
    if (truth.data[p] !== 0) c.onLabel += 1;
  }
  return out;
}

/**
 * rmse5's bins for one photo: the area-weighted 20/40/60/80 % quantiles of the true particles' minor axis (those
 * not touching the image edge), so the truth reads 0.2 in each; undefined when fewer than 5 particles or the
 * quantiles do not increase.
 */
export function quantileBinSpec(truthParticles: readonly Particle[]): BinSpec | undefined {
  const base: BinSpec = { edges: [1, 2, 3, 4], unit: 'px', measure: 'minor', weight: 'area', edgePolicy: 'exclude', minSizePx: 0 };
  const items = sizedItems(truthParticles, base, undefined).filter((it) => !it.touchesEdge);
  if (items.length < 5) return undefined;
  const edges = [20, 40, 60, 80].map((q) => weightedPercentile(items, q));
  if (!edges.every((e, k) => k === 0 || e > edges[k - 1]!)) return undefined;
  return { ...base, edges };
}

export class SegmentationScorer {
  private tp = 0;
  private nTruth = 0;
  private nPred = 0;
  private nPredLabelled = 0;
  private predPixels = 0;
  private offLabelPixels = 0;
  private readonly errors: number[] = [];
  private n = 0;
  private readonly truthSized: { minorPx: number; outcome: SizeOutcome }[] = [];
  private readonly predSized: { minorPx: number; matched: boolean; kind?: FalseKind | undefined }[] = [];

  add({ truth, pred, valid, complete = false }: ScoredPair): void {
    const m = matchInstances(truth, pred);
    this.tp += m.truePositives;
    this.nTruth += m.truthCount;
    this.nPred += m.predCount;
    this.n += 1;
    for (const { area, onLabel } of labelOverlap(truth, pred).values()) {
      if (complete || onLabel / area >= ON_LABEL_SHARE) this.nPredLabelled += 1;
      this.predPixels += area;
      if (onLabel / area < ON_LABEL_SHARE) this.offLabelPixels += area;
    }
    const roi = valid ? { valid } : {};
    const sized = sizeRecallAndPrecision(truth, pred, roi);
    this.truthSized.push(...sized.recall.particles);
    for (const q of sized.precision.particles) if (complete || q.kind !== 'background') this.predSized.push(q);
    const truthParticles = measureParticles(truth, { roi: valid });
    const spec = quantileBinSpec(truthParticles);
    if (!spec) return;
    const t = distributionOf(sizedItems(truthParticles, spec, undefined), spec);
    const p = distributionOf(sizedItems(measureParticles(pred, { roi: valid }), spec, undefined), spec);
    this.errors.push(rmse(p.fractions, t.fractions));
  }

  result(): SegmentationScore {
    return {
      f1: this.nTruth + this.nPred > 0 ? (2 * this.tp) / (this.nTruth + this.nPred) : NaN,
      f1Labelled: this.nTruth + this.nPredLabelled > 0 ? (2 * this.tp) / (this.nTruth + this.nPredLabelled) : NaN,
      precision: this.nPred > 0 ? this.tp / this.nPred : NaN,
      recall: this.nTruth > 0 ? this.tp / this.nTruth : NaN,
      // An image whose prediction has no measurable particle scores NaN; it counts as the worst case (1) here.
      rmse5: this.errors.length ? this.errors.reduce((a, e) => a + (Number.isFinite(e) ? e : 1), 0) / this.errors.length : NaN,
      images: this.n,
      offLabelArea: this.predPixels > 0 ? this.offLabelPixels / this.predPixels : NaN,
      ...this.octaveScores(),
    };
  }

  private octaveScores(): Pick<SegmentationScore, 'octaveF1' | 'octaves'> {
    const recall = octavesOf(this.truthSized, OCTAVE_EDGES_PX);
    const precision = precisionOctavesOf(this.predSized, OCTAVE_EDGES_PX);
    const octaves = recall.map((r, k) => {
      const p = precision[k]!;
      // No predicted particle of that size: nothing false in it, so the octave's F1 is its recall's.
      const prec = p.n > 0 ? p.precision : 1;
      const f1 = r.n < OCTAVE_F1_MIN_TRUTH ? NaN : r.recall + prec > 0 ? (2 * r.recall * prec) / (r.recall + prec) : 0;
      return { lo: r.lo, hi: r.hi, n: r.n, recall: r.recall, precision: p.precision, f1 };
    });
    const used = octaves.filter((o) => Number.isFinite(o.f1));
    return { octaveF1: used.length ? used.reduce((a, o) => a + o.f1, 0) / used.length : NaN, octaves };
  }
}
