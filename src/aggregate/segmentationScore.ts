// Scores of predicted instance maps against labelled ones, the way training, benchmarks and the README report
// them: instance F1 at IoU 0.5 (also counting only predictions that lie on labelled particles, since labels of
// real photos leave fines unlabelled), and the area-weighted 5-bin RMSE with bins at the truth's 20/40/60/80 %
// quantiles of the minor axis (so every photo, whatever its scale, gets five informative bins).
import type { InstanceMap } from '../core/index.js';
import type { BinSpec } from './distribution.js';
import { distributionOf, sizedItems, weightedPercentile } from './distribution.js';
import { matchInstances } from './matchInstances.js';
import { measureParticles } from './measure.js';
import { rmse } from './metrics.js';

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

export class SegmentationScorer {
  private tp = 0;
  private nTruth = 0;
  private nPred = 0;
  private nPredLabelled = 0;
  private readonly errors: number[] = [];
  private n = 0;

  add({ truth, pred, valid, complete = false }: ScoredPair): void {
    const m = matchInstances(truth, pred);
    this.tp += m.truePositives;
    this.nTruth += m.truthCount;
    this.nPred += m.predCount;
    this.n += 1;
    const onLabel = new Map<number, [number, number]>();
    for (let p = 0; p < pred.data.length; p++) {
      const id = pred.data[p]!;
      if (id === 0) continue;
      const c = onLabel.get(id) ?? [0, 0];
      c[0] += 1;
      if (truth.data[p] !== 0) c[1] += 1;
      onLabel.set(id, c);
    }
    for (const [all, on] of onLabel.values()) if (complete || on / all >= 0.5) this.nPredLabelled += 1;
    const base: BinSpec = { edges: [1, 2, 3, 4], unit: 'px', measure: 'minor', weight: 'area', edgePolicy: 'exclude', minSizePx: 0 };
    const truthParticles = measureParticles(truth, { roi: valid });
    const items = sizedItems(truthParticles, base, undefined).filter((it) => !it.touchesEdge);
    if (items.length < 5) return;
    const edges = [20, 40, 60, 80].map((q) => weightedPercentile(items, q));
    if (!edges.every((e, k) => k === 0 || e > edges[k - 1]!)) return;
    const spec: BinSpec = { ...base, edges };
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
    };
  }
}
