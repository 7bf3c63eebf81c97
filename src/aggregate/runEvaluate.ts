// The evaluate job: predicted vectors (histograms.csv of a measure/segment run) against ground truth, per image,
// per group (mean of image vectors, and pooled particles) and overall, with the constant predictor beside them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PhotosieveError, listNames } from '../core/index.js';
import { readCsv, readInstancePng, readRunFile } from '../io/index.js';
// measure.json's one schema, shared with its writers (src/pipeline, runMeasure).
import { MEASURE_JSON, measureJsonSchema } from './measureJson.js';
import type { Calibration } from './calibrate.js';
import { applyCalibration, checkCalibrationFits } from './calibrate.js';
import type { BinSpec } from './distribution.js';
import { distributionOf } from './distribution.js';
import { itemsFromParticles } from './particleItems.js';
import type { MatchResult } from './matchInstances.js';
import { matchInstances } from './matchInstances.js';
import type { VectorMetrics } from './metrics.js';
import { meanOf, meanVector, rmse, skill, vectorMetrics } from './metrics.js';
import type { VectorRow } from './tables.js';
import { parseHistograms, readTruthTable } from './tables.js';

export interface EvaluateOptions {
  /** Folder with histograms.csv (and particles/, measure.json) from `measure` or `segment`. */
  pred: string;
  /** Ground truth CSV: image,group,<bins>. */
  truth: string;
  /** Truth of the training images: its mean is the constant predictor. Default: leave-one-group-out means. */
  baseline?: string | undefined;
  calibration?: Calibration | undefined;
  /** Where the calibration came from, for its error lines. */
  calibrationFile?: string | undefined;
  predInstances?: string | undefined;
  truthInstances?: string | undefined;
}

export interface ScoredRow extends VectorMetrics {
  image: string;
  group: string;
  pred: number[];
  truth: number[];
  /** RMSE of the constant predictor on this row. */
  rmseConstant: number;
}

export interface GroupScore {
  group: string;
  images: number;
  truth: number[];
  /** Mean of the group's image vectors. */
  meanOfImages: { pred: number[]; rmse: number };
  /** All particles of the group binned together (needs particles/ and measure.json). */
  pooled: { pred: number[]; rmse: number } | null;
  rmseConstant: number;
}

export interface InstanceScore {
  image: string;
  precision: number;
  recall: number;
  f1: number;
  meanMatchedIoU: number;
  ap: number;
  truth: number;
  pred: number;
}

export interface EvaluationReport {
  tool: 'photosieve evaluate';
  bins: string[];
  baseline: { kind: 'file' | 'leave-one-group-out'; file: string | null };
  images: ScoredRow[];
  groups: GroupScore[];
  overall: { images: number; rmse: number; mae: number; maxBinError: number; kl: number; rmseConstant: number; skill: number; groupRmse: number; groupRmseConstant: number; groupSkill: number };
  missing: { noPrediction: string[]; noTruth: string[]; undefinedVector: string[] };
  instances: { images: InstanceScore[]; overall: Omit<InstanceScore, 'image'> } | null;
}

export interface MeasureMeta {
  spec: BinSpec;
  scale: number | null;
  /** Per image, when each has its own scale (segment --scales). */
  scales: Record<string, number> | undefined;
}

/** DIR/measure.json's bin spec and scales, or null when the folder has none (a run from before it was written). */
export async function readMeasureMeta(dir: string): Promise<MeasureMeta | null> {
  const file = join(dir, MEASURE_JSON);
  if (!existsSync(file)) return null;
  const meta = await readRunFile(measureJsonSchema, file, 'measure.json written by photosieve measure or segment', 'run photosieve measure or segment again to rewrite it');
  return { spec: meta.spec, scale: meta.scale, scales: meta.scales };
}

function instanceSummary(results: MatchResult[]): Omit<InstanceScore, 'image'> {
  const truth = results.reduce((a, r) => a + r.truthCount, 0);
  const pred = results.reduce((a, r) => a + r.predCount, 0);
  const tp = results.reduce((a, r) => a + r.truePositives, 0);
  return {
    truth,
    pred,
    precision: pred ? tp / pred : NaN,
    recall: truth ? tp / truth : NaN,
    f1: truth + pred ? (2 * tp) / (truth + pred) : NaN,
    meanMatchedIoU: meanOf(results.flatMap((r) => r.matches.filter((m) => m.iou > 0.5).map((m) => m.iou))),
    ap: meanOf(results.map((r) => r.ap)),
  };
}

export async function runEvaluate(options: EvaluateOptions): Promise<EvaluationReport> {
  // The truth is read and validated first: a bad table fails before anything else is read.
  const truth = await readTruthTable(options.truth);
  const baselineRows: VectorRow[] | null = options.baseline ? (await readTruthTable(options.baseline)).rows : null;
  const pred = parseHistograms(await readCsv(join(options.pred, 'histograms.csv')));
  if (pred.bins.length !== truth.bins.length) {
    throw new PhotosieveError('E_INPUT', `the predictions have ${pred.bins.length} bins, the truth ${truth.bins.length}.`, { file: options.truth, fix: 'measure with the same bins as the truth table (--bins)' });
  }
  const constantFor = (group: string): number[] => meanVector((baselineRows ?? truth.rows.filter((r) => r.group !== group)).map((r) => r.vector));
  const predBy = new Map(pred.rows.map((r) => [r.image, r]));
  const match = truth.table.matchAll(pred.rows.map((r) => r.image));
  if (match.ambiguous.length > 0) {
    const listed = match.ambiguous.map((a) => `${a.photo} (rows ${a.rows.join(', ')})`);
    throw new PhotosieveError('E_INPUT', `the truth table does not say which row belongs to ${match.ambiguous.length} photo(s): ${listNames(listed, 4)}.`, {
      file: options.truth,
      fix: 'write each photo\'s full file name (e.g. pile.tif.png) so one row matches one photo',
    });
  }

  // The bin spec the vectors were made with: a calibration fitted on other vectors is refused before it is used.
  const meta = await readMeasureMeta(options.pred);
  if (options.calibration && meta) checkCalibrationFits(options.calibration, meta.spec, options.calibrationFile);
  const missing = { noPrediction: match.unused.map((r) => r.name), noTruth: match.missing, undefinedVector: [] as string[] };
  const images: ScoredRow[] = [];
  // In the truth table's order, each photo under the name its outputs have.
  for (const { photo, row: entry } of [...match.matched].sort((a, b) => a.row.line - b.row.line)) {
    const t = entry.value;
    const p = predBy.get(photo)!;
    const vector = options.calibration ? applyCalibration(options.calibration, p.vector) : p.vector;
    if (!vector.every(Number.isFinite)) missing.undefinedVector.push(photo);
    const constant = constantFor(t.group);
    images.push({ image: photo, group: t.group, pred: vector, truth: t.vector, ...vectorMetrics(vector, t.vector), rmseConstant: constant.length ? rmse(constant, t.vector) : NaN });
  }

  const groups: GroupScore[] = [];
  for (const g of [...new Set(images.map((r) => r.group))].sort()) {
    const rows = images.filter((r) => r.group === g);
    const truthVec = meanVector(rows.map((r) => r.truth));
    const meanPred = meanVector(rows.map((r) => r.pred));
    let pooled: GroupScore['pooled'] = null;
    if (meta && rows.every((r) => existsSync(join(options.pred, 'particles', `${r.image}.csv`)))) {
      const items = (await Promise.all(rows.map((r) => itemsFromParticles(join(options.pred, 'particles', `${r.image}.csv`), meta.spec, meta.scales?.[r.image] ?? meta.scale)))).flat();
      // Items are already in the unit of the edges, sizes and weights (mm³ of each photo's own mm/px under --scales);
      // the scale only enters the detection-limit warning.
      const d = distributionOf(items, meta.spec, meta.scale ?? (meta.scales ? Object.values(meta.scales)[0] : undefined));
      const v = options.calibration ? applyCalibration(options.calibration, d.fractions) : d.fractions;
      pooled = { pred: v, rmse: rmse(v, truthVec) };
    }
    const constant = constantFor(g);
    groups.push({ group: g, images: rows.length, truth: truthVec, meanOfImages: { pred: meanPred, rmse: meanPred.length ? rmse(meanPred, truthVec) : NaN }, pooled, rmseConstant: constant.length ? rmse(constant, truthVec) : NaN });
  }

  const ok = images.filter((r) => Number.isFinite(r.rmse));
  const overallRmse = meanOf(ok.map((r) => r.rmse));
  const overallConst = meanOf(ok.map((r) => r.rmseConstant));
  const groupRmse = meanOf(groups.map((g) => g.meanOfImages.rmse));
  const groupConst = meanOf(groups.map((g) => g.rmseConstant));

  let instances: EvaluationReport['instances'] = null;
  if (options.predInstances !== undefined || options.truthInstances !== undefined) {
    if (options.predInstances === undefined || options.truthInstances === undefined) {
      throw new PhotosieveError('E_PARAM', '--pred-instances and --truth-instances go together.', { fix: 'pass both folders' });
    }
    const scores: InstanceScore[] = [];
    const results: MatchResult[] = [];
    for (const r of images) {
      const pf = join(options.predInstances, `${r.image}.png`);
      const tf = join(options.truthInstances, `${r.image}.png`);
      if (!existsSync(pf) || !existsSync(tf)) continue;
      const m = matchInstances(await readInstancePng(tf), await readInstancePng(pf));
      results.push(m);
      scores.push({ image: r.image, ...instanceSummary([m]) });
    }
    instances = { images: scores, overall: instanceSummary(results) };
  }

  return {
    tool: 'photosieve evaluate',
    bins: truth.bins,
    baseline: { kind: options.baseline ? 'file' : 'leave-one-group-out', file: options.baseline ?? null },
    images,
    groups,
    overall: {
      images: ok.length,
      rmse: overallRmse,
      mae: meanOf(ok.map((r) => r.mae)),
      maxBinError: meanOf(ok.map((r) => r.maxBinError)),
      kl: meanOf(ok.map((r) => r.kl)),
      rmseConstant: overallConst,
      skill: skill(overallRmse, overallConst),
      groupRmse,
      groupRmseConstant: groupConst,
      groupSkill: skill(groupRmse, groupConst),
    },
    missing,
    instances,
  };
}
