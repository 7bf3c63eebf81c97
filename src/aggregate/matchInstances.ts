// Instance matching between a reference and a predicted instance map, by pixel overlap. One place for the
// IoU bookkeeping that tests, annotate checks, training and evaluation all use.
import type { InstanceMap } from '../core/index.js';
import { invalidParameter } from '../core/index.js';

export interface InstanceMatch {
  truthId: number;
  /** The predicted instance with the highest IoU (0 when none overlaps). */
  predId: number;
  iou: number;
}

export interface MatchResult {
  /** One entry per reference instance, sorted by id. */
  matches: InstanceMatch[];
  truthCount: number;
  predCount: number;
  /** Pairs with IoU above the threshold (one-to-one, since IoU > 0.5 cannot match twice). */
  truePositives: number;
  precision: number;
  recall: number;
  f1: number;
  /** Mean IoU over the true positives (NaN when there are none). */
  meanMatchedIoU: number;
  /** Median of the best IoU of every reference instance (unmatched count as 0). */
  medianBestIoU: number;
  /**
   * Average precision as in cellpose: TP / (TP + FP + FN) at IoU thresholds 0.50, 0.55, …, 0.95, averaged
   * (without confidence scores there is no ranking to integrate over).
   */
  ap: number;
}

export const AP_THRESHOLDS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95] as const;

export interface MatchOptions {
  /** IoU a pair must exceed to count as found. Values below 0.5 could match one instance twice. @default 0.5 */
  iouThreshold?: number;
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function matchInstances(truth: InstanceMap, pred: InstanceMap, options: MatchOptions = {}): MatchResult {
  const threshold = options.iouThreshold ?? 0.5;
  if (!(threshold >= 0.5 && threshold < 1)) throw invalidParameter('iouThreshold', 'a number in [0.5, 1)', threshold);
  if (truth.width !== pred.width || truth.height !== pred.height) {
    throw invalidParameter('pred', `an instance map of ${truth.width}×${truth.height}`, `${pred.width}×${pred.height}`);
  }
  const truthArea = new Map<number, number>();
  const predArea = new Map<number, number>();
  const inter = new Map<number, number>();
  for (let p = 0; p < truth.data.length; p++) {
    const t = truth.data[p]!;
    const q = pred.data[p]!;
    if (t !== 0) truthArea.set(t, (truthArea.get(t) ?? 0) + 1);
    if (q !== 0) predArea.set(q, (predArea.get(q) ?? 0) + 1);
    if (t !== 0 && q !== 0) {
      const key = t * 4294967296 + q;
      inter.set(key, (inter.get(key) ?? 0) + 1);
    }
  }
  const best = new Map<number, InstanceMatch>();
  for (const [key, n] of inter) {
    const t = Math.floor(key / 4294967296);
    const q = key - t * 4294967296;
    const iou = n / (truthArea.get(t)! + predArea.get(q)! - n);
    const cur = best.get(t);
    if (!cur || iou > cur.iou) best.set(t, { truthId: t, predId: q, iou });
  }
  const matches = [...truthArea.keys()].sort((a, b) => a - b).map((t) => best.get(t) ?? { truthId: t, predId: 0, iou: 0 });
  const tp = matches.filter((m) => m.iou > threshold);
  const precision = predArea.size === 0 ? NaN : tp.length / predArea.size;
  const recall = truthArea.size === 0 ? NaN : tp.length / truthArea.size;
  const f1 = truthArea.size + predArea.size === 0 ? NaN : (2 * tp.length) / (truthArea.size + predArea.size);
  return {
    matches,
    truthCount: truthArea.size,
    predCount: predArea.size,
    truePositives: tp.length,
    precision,
    recall,
    f1,
    meanMatchedIoU: tp.length === 0 ? NaN : tp.reduce((a, m) => a + m.iou, 0) / tp.length,
    medianBestIoU: median(matches.map((m) => m.iou)),
    ap: averagePrecision(matches, truthArea.size, predArea.size),
  };
}

function averagePrecision(matches: readonly InstanceMatch[], nTruth: number, nPred: number): number {
  if (nTruth + nPred === 0) return NaN;
  let sum = 0;
  for (const t of AP_THRESHOLDS) {
    const tp = matches.filter((m) => m.iou > t).length;
    sum += tp / (nTruth + nPred - tp);
  }
  return sum / AP_THRESHOLDS.length;
}
