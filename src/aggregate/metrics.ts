// Metrics between size vectors, in one module shared by tests, training, reports and benchmarks.
// NaN in either vector (an image without measurable particles) gives NaN, never a flattering number.
import { invalidParameter } from '../core/index.js';

function check(pred: readonly number[], truth: readonly number[]): void {
  if (pred.length !== truth.length) throw invalidParameter('pred.length', `${truth.length} (the truth's bins)`, pred.length);
}

/** Root mean square error over bins: the users' primary metric. */
export function rmse(pred: readonly number[], truth: readonly number[]): number {
  check(pred, truth);
  let s = 0;
  for (let k = 0; k < pred.length; k++) s += (pred[k]! - truth[k]!) ** 2;
  return Math.sqrt(s / pred.length);
}

export function mae(pred: readonly number[], truth: readonly number[]): number {
  check(pred, truth);
  let s = 0;
  for (let k = 0; k < pred.length; k++) s += Math.abs(pred[k]! - truth[k]!);
  return s / pred.length;
}

export function maxBinError(pred: readonly number[], truth: readonly number[]): number {
  check(pred, truth);
  let m = 0;
  for (let k = 0; k < pred.length; k++) {
    const e = Math.abs(pred[k]! - truth[k]!);
    if (Number.isNaN(e)) return NaN;
    m = Math.max(m, e);
  }
  return m;
}

/** @default 1e-6: added to every bin (then renormalized) so empty bins do not make the logs infinite. */
export const KL_EPSILON = 1e-6;

function smooth(v: readonly number[], eps: number): number[] {
  const s = v.map((x) => x + eps);
  const total = s.reduce((a, b) => a + b, 0);
  return s.map((x) => x / total);
}

/** KL(truth ‖ pred) in nats, both vectors smoothed by `eps`. */
export function klDivergence(pred: readonly number[], truth: readonly number[], eps = KL_EPSILON): number {
  check(pred, truth);
  const p = smooth(truth, eps);
  const q = smooth(pred, eps);
  let s = 0;
  for (let k = 0; k < p.length; k++) s += p[k]! * Math.log(p[k]! / q[k]!);
  return s;
}

/** Cross-entropy H(truth, pred) in nats, pred smoothed by `eps`. */
export function crossEntropy(pred: readonly number[], truth: readonly number[], eps = KL_EPSILON): number {
  check(pred, truth);
  const q = smooth(pred, eps);
  let s = 0;
  for (let k = 0; k < q.length; k++) s -= truth[k]! * Math.log(q[k]!);
  return s;
}

/** The constant predictor: the mean of the training vectors (what a model that learned nothing answers). */
export function meanVector(vectors: readonly (readonly number[])[]): number[] {
  const ok = vectors.filter((v) => v.every(Number.isFinite));
  if (ok.length === 0) return [];
  const out = new Array<number>(ok[0]!.length).fill(0);
  for (const v of ok) v.forEach((x, k) => (out[k]! += x / ok.length));
  return out;
}

/** Skill = 1 − RMSE / RMSE of the constant predictor: 0 is no better than answering the mean, 1 is perfect. */
export function skill(rmseModel: number, rmseConstant: number): number {
  return rmseConstant > 0 ? 1 - rmseModel / rmseConstant : NaN;
}

export interface VectorMetrics {
  rmse: number;
  mae: number;
  maxBinError: number;
  kl: number;
  crossEntropy: number;
}

export function vectorMetrics(pred: readonly number[], truth: readonly number[]): VectorMetrics {
  return { rmse: rmse(pred, truth), mae: mae(pred, truth), maxBinError: maxBinError(pred, truth), kl: klDivergence(pred, truth), crossEntropy: crossEntropy(pred, truth) };
}

/** Mean of finite values (NaN when none). */
export function meanOf(values: readonly number[]): number {
  const ok = values.filter(Number.isFinite);
  return ok.length === 0 ? NaN : ok.reduce((a, b) => a + b, 0) / ok.length;
}
