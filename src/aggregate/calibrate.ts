// Calibration of photo vectors against sieve vectors. Photo measures are biased (fines hide under coarse stones;
// a 2-D b-axis is not a sieve size), so a small correction is fitted on training groups. "Small" is the point:
// per-bin factors (N−1 degrees of freedom, pulled towards 1 by a ridge on their logarithms) cannot
// memorize 25 group vectors the way a regression CNN does. Leave-one-group-out RMSE says whether it helps.
// (A column-stochastic matrix was tried too: 20 free parameters fitted less well held-out on a known
// fines bias than the 4 of the per-bin factors, so only the per-bin model is offered.)
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { LengthUnit } from '../core/index.js';
import { PhotosieveError, invalidParameter } from '../core/index.js';
import type { SizeMeasure, Weighting } from './distribution.js';
import { SIZE_MEASURES, WEIGHTINGS } from './distribution.js';
import { meanOf, rmse } from './metrics.js';

export const CALIBRATION_MODELS = ['diagonal'] as const;
export type CalibrationModel = (typeof CALIBRATION_MODELS)[number];

export interface Calibration {
  tool: 'photosieve calibrate';
  model: CalibrationModel;
  bins: string[];
  /** One factor per bin; corrected = normalize(factor ⊙ v). */
  factors: number[];
  lambda: number;
  fittedOn: { groups: string[]; images: number };
  /** Leave-one-group-out RMSE (mean over held-out images) without and with calibration. */
  logo: { none: number; calibrated: number };
  /**
   * How the vectors it was fitted on were made (from the run's measure.json); absent when the run had none. A file
   * from before it was recorded reads as the default of its time (area-weighted b-axes), with `vectorsAssumed`.
   */
  vectors?: CalibrationVectors;
  vectorsAssumed?: boolean;
}

/** What a vector depends on besides the bins: a calibration fitted on one kind corrects only that kind. */
export interface CalibrationVectors {
  weight: Weighting;
  measure: SizeMeasure;
  /** Absent when assumed for an old file. */
  unit?: LengthUnit;
}

const describeVectors = (v: Partial<CalibrationVectors>): string => `${v.weight}-weighted ${v.measure}${v.unit ? ` (${v.unit})` : ''}`;

/**
 * Refuses a calibration for vectors made otherwise than those it was fitted on: factors fitted on area-weighted
 * vectors do not correct mass-weighted ones. Nothing to check when it does not say (fitted in code, or on a run
 * without measure.json).
 */
export function checkCalibrationFits(c: Calibration, vectors: Required<CalibrationVectors>, file?: string): void {
  const fitted = c.vectors;
  if (!fitted) return;
  const differs = (['weight', 'measure', 'unit'] as const).some((k) => fitted[k] !== undefined && fitted[k] !== vectors[k]);
  if (!differs) return;
  const unsaid = c.vectorsAssumed ? ' (the file does not say; files from before photosieve recorded it were fitted on the default, area-weighted b-axis vectors)' : '';
  throw new PhotosieveError('E_PARAM', `the calibration was fitted on ${describeVectors(fitted)} vectors${unsaid}, these are ${describeVectors(vectors)}.`, {
    ...(file !== undefined ? { file } : {}),
    fix: `fit it again with photosieve calibrate on vectors made like these, or make them with --weight ${fitted.weight} --measure ${fitted.measure}`,
  });
}

export interface Sample {
  group: string;
  pred: number[];
  truth: number[];
}

export interface FitOptions {
  /** @default 'diagonal' */
  model?: CalibrationModel;
  /** Ridge weight pulling the correction towards "no correction". @default 0.01 */
  lambda?: number;
  /** @default 1500 */
  iterations?: number;
}

function normalize(v: number[]): number[] {
  const s = v.reduce((a, b) => a + b, 0);
  return s > 0 ? v.map((x) => x / s) : v.map(() => NaN);
}

interface Param {
  apply(theta: readonly number[], v: readonly number[]): number[];
  penalty(theta: readonly number[]): number;
  init(n: number): number[];
}

const DIAGONAL: Param = {
  init: (n) => new Array<number>(n).fill(0),
  apply: (theta, v) => normalize(v.map((x, k) => x * Math.exp(theta[k]!))),
  penalty: (theta) => theta.reduce((a, t) => a + t * t, 0),
};

function loss(p: Param, theta: number[], samples: readonly Sample[], lambda: number): number {
  let s = 0;
  for (const x of samples) {
    const c = p.apply(theta, x.pred);
    for (let k = 0; k < c.length; k++) s += (c[k]! - x.truth[k]!) ** 2;
  }
  return s / samples.length + lambda * p.penalty(theta);
}

/** Gradient descent with central differences and a backtracking step: few parameters, smooth loss. */
function fitTheta(p: Param, samples: readonly Sample[], n: number, lambda: number, iterations: number): number[] {
  let theta = p.init(n);
  let step = 1;
  let current = loss(p, theta, samples, lambda);
  const h = 1e-5;
  for (let it = 0; it < iterations && step > 1e-8; it++) {
    const grad = theta.map((_, k) => {
      const a = [...theta];
      const b = [...theta];
      a[k]! += h;
      b[k]! -= h;
      return (loss(p, a, samples, lambda) - loss(p, b, samples, lambda)) / (2 * h);
    });
    const norm = Math.hypot(...grad);
    if (norm < 1e-10) break;
    for (;;) {
      const next = theta.map((t, k) => t - (step * grad[k]!) / norm);
      const l = loss(p, next, samples, lambda);
      if (l < current) {
        theta = next;
        current = l;
        step *= 1.2;
        break;
      }
      step /= 2;
      if (step < 1e-8) break;
    }
  }
  return theta;
}

function usable(samples: readonly Sample[]): Sample[] {
  return samples.filter((s) => s.pred.every(Number.isFinite) && s.truth.every(Number.isFinite));
}

/** Fits a calibration on all samples and reports its leave-one-group-out RMSE. */
export function fitCalibration(samples: readonly Sample[], bins: string[], options: FitOptions = {}): Calibration {
  const model = options.model ?? 'diagonal';
  const lambda = options.lambda ?? 0.01;
  const iterations = options.iterations ?? 1500;
  if (!(lambda >= 0)) throw invalidParameter('--lambda', 'a number ≥ 0', lambda);
  const data = usable(samples);
  const groups = [...new Set(data.map((s) => s.group))].sort();
  if (groups.length < 2) {
    throw new PhotosieveError('E_INPUT', `calibration needs images of at least 2 groups, found ${groups.length}.`, { fix: 'give a truth table with a group column covering several distributions' });
  }
  const n = bins.length;
  const p = DIAGONAL;
  const none: number[] = [];
  const calibrated: number[] = [];
  for (const g of groups) {
    const train = data.filter((s) => s.group !== g);
    const theta = fitTheta(p, train, n, lambda, iterations);
    for (const s of data.filter((x) => x.group === g)) {
      none.push(rmse(s.pred, s.truth));
      calibrated.push(rmse(p.apply(theta, s.pred), s.truth));
    }
  }
  const theta = fitTheta(p, data, n, lambda, iterations);
  return {
    tool: 'photosieve calibrate',
    model,
    bins,
    factors: theta.map(Math.exp),
    lambda,
    fittedOn: { groups, images: data.length },
    logo: { none: meanOf(none), calibrated: meanOf(calibrated) },
  };
}

/** Applies a fitted calibration to a vector (NaN stays NaN). */
export function applyCalibration(c: Calibration, v: readonly number[]): number[] {
  if (v.length !== c.bins.length) throw invalidParameter('vector length', `${c.bins.length} (the calibration's bins)`, v.length);
  if (!v.every(Number.isFinite)) return v.map(() => NaN);
  return normalize(v.map((x, k) => x * c.factors[k]!));
}

const CalibrationSchema = z.object({
  tool: z.literal('photosieve calibrate'),
  model: z.enum(CALIBRATION_MODELS),
  bins: z.array(z.string()).min(2),
  factors: z.array(z.number().positive()),
  lambda: z.number(),
  fittedOn: z.object({ groups: z.array(z.string()), images: z.number() }),
  logo: z.object({ none: z.number().nullable(), calibrated: z.number().nullable() }),
  vectors: z.object({ weight: z.enum(WEIGHTINGS), measure: z.enum(SIZE_MEASURES), unit: z.enum(['mm', 'px']) }).optional(),
});

/** Reads a calibration written by `photosieve calibrate`. */
export async function readCalibration(file: string): Promise<Calibration> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new PhotosieveError('E_INPUT', `cannot read the calibration (${(cause as Error).message}).`, { file, fix: 'pass the calib.json written by photosieve calibrate', cause });
  }
  const r = CalibrationSchema.safeParse(value);
  if (!r.success || r.data.factors.length !== r.data.bins.length) {
    throw new PhotosieveError('E_INPUT', 'not a calibration written by photosieve calibrate.', { file, fix: 'run photosieve calibrate again to write it' });
  }
  const c = r.data as Calibration;
  return c.vectors ? c : { ...c, vectors: { weight: 'area', measure: 'minor' }, vectorsAssumed: true };
}
