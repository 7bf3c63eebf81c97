// `photosieve measure`, `photosieve evaluate`, `photosieve calibrate`: thin layers over src/aggregate.
import { join } from 'node:path';
import { Command, Option } from 'commander';
import type { CalibrationModel } from '../aggregate/calibrate.js';
import { CALIBRATION_MODELS } from '../aggregate/calibrate.js';
import { PhotosieveError, binColumnNames } from '../core/index.js';
import type { BinFlags } from './binFlags.js';
import { addBinOptions, binSpecFromFlags } from './binFlags.js';
import { expandInputs, formatTable, parseRealOption, progressBar } from './common.js';

export type { BinFlags } from './binFlags.js';
export { addBinOptions, binSpecFromFlags } from './binFlags.js';

// The jobs (src/aggregate, with sharp and the CSV readers) are loaded when a command runs, not for --help.
const aggregate = (): Promise<typeof import('../aggregate/index.js')> => import('../aggregate/index.js');

export function measureCommand(): Command {
  const cmd = new Command('measure')
    .description(
      'Measure every particle of 16-bit instance PNGs and bin them into the normalized size vector.\n' +
        'Writes DIR/particles/NAME.csv (one row per particle), DIR/histograms.csv (one row per image: the vector, D10/D16/D30/D50/D60/D84/D90, Cu, Cc), ' +
        'DIR/histograms-pooled.csv (all particles in one row) and DIR/measure.json.',
    )
    .argument('<instances...>', 'instance PNGs, folders of them, or glob patterns')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--roi <spec>', 'region of interest (none | circle | circle:CX,CY,R | polygon:...): particles next to its edge touch the edge', 'none')
    .option('--calibration <file>', 'apply a calibration from photosieve calibrate to the vectors')
    .option('--max-expansion <ratio>', 'refuse instance maps that decode to more than this many times their file\'s size (an empty 16-bit map reaches ~1030, deflate\'s ceiling; only maps packed below 8 bits go beyond)', parseRealOption('--max-expansion', { min: 1 }), 1100);
  addBinOptions(cmd).action(async (inputs: string[], flags: BinFlags & { out: string; roi: string; calibration?: string; maxExpansion: number }) => {
    const spec = binSpecFromFlags(flags);
    const { parseRoi } = await import('../annotate/roi.js');
    const { readCalibration, runMeasure } = await aggregate();
    const files = await expandInputs(inputs, ['png']);
    const calibration = flags.calibration ? await readCalibration(flags.calibration) : undefined;
    const bar = progressBar('measure');
    const report = await runMeasure({ instances: files, out: flags.out, spec, scale: flags.scale, roi: parseRoi(flags.roi), calibration, calibrationFile: flags.calibration, maxExpansion: flags.maxExpansion, onProgress: (d, t, n) => bar.update(d, t, n) }).finally(() => bar.stop());
    const names = binColumnNames(spec.edges, spec.unit);
    const rows = report.images.map((m) => [m.image, String(m.distribution.n), ...m.vector, m.distribution.d.d50]);
    for (const line of formatTable(['image', 'n', ...names, 'd50'], rows, 3)) process.stdout.write(`${line}\n`);
    const warnings = new Set(report.images.flatMap((m) => m.distribution.warnings));
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    for (const f of report.failed) process.stderr.write(`error: ${f.error} → skipped\n`);
    if (report.pooled) {
      const { pooledSummaryLines } = await aggregate();
      for (const line of pooledSummaryLines(report.pooled, names, flags.out)) process.stdout.write(`${line}\n`);
      for (const w of report.pooled.warnings) process.stderr.write(`warning: ${w}\n`);
    }
    process.stdout.write(`measure: ${report.images.length} image(s), ${report.images.reduce((a, m) => a + m.particles, 0)} particle(s); ${report.failed.length} failed → ${flags.out}\n`);
    if (report.failed.length > 0) process.exitCode = 1;
  });
  return cmd;
}

export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description('Compare predicted size vectors (histograms.csv of measure/segment) with ground truth, per image, per group and overall,\nwith the constant predictor (mean of training truths) beside them.')
    .requiredOption('--pred <dir>', 'folder written by photosieve measure or segment')
    .requiredOption('--truth <csv>', 'ground truth: image,group,<one column per bin>, rows summing to 1')
    .addOption(new Option('--by <what>', 'table to print').choices(['image', 'group']).default('image'))
    .option('--baseline <csv>', 'truth of the training images; its mean is the constant predictor (default: mean of the other groups)')
    .option('--calibration <file>', 'apply a calibration before scoring')
    .option('--pred-instances <dir>', 'predicted instance PNGs, for instance metrics')
    .option('--truth-instances <dir>', 'reference instance PNGs, for instance metrics')
    .option('-o, --out <file>', 'JSON report (default PRED/evaluation.json)')
    .action(async (flags: { pred: string; truth: string; by: 'image' | 'group'; baseline?: string; calibration?: string; predInstances?: string; truthInstances?: string; out?: string }) => {
      const { readCalibration, runEvaluate } = await aggregate();
      const { writeJsonAtomic } = await import('../io/atomic.js');
      const calibration = flags.calibration ? await readCalibration(flags.calibration) : undefined;
      const r = await runEvaluate({ pred: flags.pred, truth: flags.truth, baseline: flags.baseline, calibration, calibrationFile: flags.calibration, predInstances: flags.predInstances, truthInstances: flags.truthInstances });
      const out = flags.out ?? join(flags.pred, 'evaluation.json');
      await writeJsonAtomic(out, r);
      const lines =
        flags.by === 'image'
          ? formatTable(['image', 'group', 'rmse', 'mae', 'max_bin', 'kl', 'rmse_const'], r.images.map((x) => [x.image, x.group, x.rmse, x.mae, x.maxBinError, x.kl, x.rmseConstant]))
          : formatTable(['group', 'images', 'rmse_mean_of_images', 'rmse_pooled', 'rmse_const'], r.groups.map((g) => [g.group, String(g.images), g.meanOfImages.rmse, g.pooled?.rmse ?? NaN, g.rmseConstant]));
      for (const line of lines) process.stdout.write(`${line}\n`);
      const o = r.overall;
      process.stdout.write(`overall: ${o.images} image(s), RMSE ${o.rmse.toFixed(4)} (constant predictor ${o.rmseConstant.toFixed(4)}, skill ${o.skill.toFixed(3)}); per group RMSE ${o.groupRmse.toFixed(4)} (constant ${o.groupRmseConstant.toFixed(4)}, skill ${o.groupSkill.toFixed(3)})\n`);
      if (r.instances) {
        const i = r.instances.overall;
        process.stdout.write(`instances: F1@0.5 ${i.f1.toFixed(3)}, precision ${i.precision.toFixed(3)}, recall ${i.recall.toFixed(3)}, mean matched IoU ${i.meanMatchedIoU.toFixed(3)}, AP@0.5:0.95 ${i.ap.toFixed(3)}\n`);
      }
      const m = r.missing;
      if (m.noPrediction.length) process.stderr.write(`warning: no prediction for ${m.noPrediction.length} image(s) of the truth: ${m.noPrediction.slice(0, 5).join(', ')}\n`);
      if (m.undefinedVector.length) process.stderr.write(`warning: no measurable particle (NaN vector) in ${m.undefinedVector.length} image(s): ${m.undefinedVector.slice(0, 5).join(', ')}\n`);
      if (m.noTruth.length) process.stderr.write(`note: ${m.noTruth.length} predicted image(s) have no truth row\n`);
      process.stdout.write(`report: ${out}\n`);
      if (m.noPrediction.length > 0) process.exitCode = 1;
    });
}

export function calibrateCommand(): Command {
  return new Command('calibrate')
    .description('Fit a small correction from photo vectors to sieve vectors on training groups (one factor per bin,\npulled towards 1) and report its leave-one-group-out RMSE. Apply it with --calibration on measure or evaluate.')
    .requiredOption('--pred <dir>', 'folder written by photosieve measure or segment (training images)')
    .requiredOption('--truth <csv>', 'ground truth with groups: image,group,<bins>')
    .requiredOption('-o, --out <file>', 'calibration JSON to write')
    .addOption(new Option('--model <model>', 'correction').choices(CALIBRATION_MODELS).default('diagonal'))
    .option('--lambda <x>', 'ridge weight towards no correction (≥ 0)', parseRealOption('--lambda', { min: 0 }), 0.01)
    .action(async (flags: { pred: string; truth: string; out: string; model: CalibrationModel; lambda: number }) => {
      const { fitCalibration, parseHistograms, parseTruth, readMeasureMeta } = await aggregate();
      const { readCsv } = await import('../io/readCsv.js');
      const { writeJsonAtomic } = await import('../io/atomic.js');
      const truth = parseTruth(await readCsv(flags.truth));
      const pred = parseHistograms(await readCsv(join(flags.pred, 'histograms.csv')));
      const predBy = new Map(pred.rows.map((r) => [r.image, r.vector]));
      const samples = truth.rows.flatMap((t) => {
        const p = predBy.get(t.image);
        return p ? [{ group: t.group, pred: p, truth: t.vector }] : [];
      });
      if (samples.length === 0) throw new PhotosieveError('E_INPUT', 'no image of the truth table has a prediction.', { file: flags.truth, fix: 'check that the image names match histograms.csv' });
      const fitted = fitCalibration(samples, pred.bins, { model: flags.model, lambda: flags.lambda });
      // What the vectors were made with, so the calibration is never applied to vectors of another kind.
      const spec = (await readMeasureMeta(flags.pred))?.spec;
      const c = spec ? { ...fitted, vectors: { weight: spec.weight, measure: spec.measure, unit: spec.unit } } : fitted;
      if (!spec) process.stderr.write(`note: ${flags.pred} has no measure.json: the calibration cannot record which weighting its vectors had\n`);
      await writeJsonAtomic(flags.out, c);
      process.stdout.write(`calibrate: ${c.model} on ${c.fittedOn.images} image(s) of ${c.fittedOn.groups.length} group(s)\n`);
      process.stdout.write(`  leave-one-group-out RMSE: ${c.logo.none.toFixed(4)} without → ${c.logo.calibrated.toFixed(4)} with calibration\n`);
      process.stdout.write(`  factors: ${c.factors.map((f) => f.toFixed(3)).join(', ')}\n`);
      process.stdout.write(`  written: ${flags.out}\n`);
    });
}


