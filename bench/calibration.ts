// Does calibration help on distributions it never saw? Synthetic groups with a perfect segmenter (the true
// visible instances), so the only error left is the photo-vs-sieve bias (fines hidden under stones, a 2-D b-axis):
//   1. synth: 25 training groups and 5 held-out groups (distance rule of synth), 2 images each;
//   2. measure the visible instances (mass weighting, default sieve bins);
//   3. fit the calibration on the training groups only;
//   4. RMSE on the held-out groups without and with it (and the constant predictor: the training mean).
// Writes bench/results/calibration.json. Run: npm run bench:calibration [-- --size 800 --seed 11]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyCalibration, fitCalibration, meanOf, meanVector, parseHistograms, parseTruth, rmse, runMeasure } from '../src/aggregate/index.js';
import { readCsv, writeJsonAtomic } from '../src/io/index.js';
import { runSynth } from '../src/synth/index.js';
import fg from 'fast-glob';
import { SIEVE_MASS_SPEC } from './sieveSpec.js';

const arg = (name: string, fallback: number): number => {
  const k = process.argv.indexOf(`--${name}`);
  return k > 0 ? Number(process.argv[k + 1]) : fallback;
};
const size = arg('size', 800);
const seed = arg('seed', 11);
const groups = 25;
const holdout = 5;
const perGroup = 2;
const scale = 0.1;

const dir = await mkdtemp(join(tmpdir(), 'photosieve-calib-'));
try {
  const t0 = performance.now();
  await runSynth({ outDir: join(dir, 'synth'), groups, perGroup, holdout, width: size, height: size, seed, scaleMmPerPx: scale });
  const tSynth = (performance.now() - t0) / 1000;
  const instances = (await fg('*.png', { cwd: join(dir, 'synth', 'instances') })).sort().map((f) => join(dir, 'synth', 'instances', f));
  await runMeasure({ instances, out: join(dir, 'measure'), spec: SIEVE_MASS_SPEC, scale });
  const truth = parseTruth(await readCsv(join(dir, 'synth', 'truth.csv')));
  const pred = parseHistograms(await readCsv(join(dir, 'measure', 'histograms.csv')));
  const predBy = new Map(pred.rows.map((r) => [r.image, r.vector]));
  const rows = truth.rows.map((t) => ({ ...t, pred: predBy.get(t.image)! }));
  const train = rows.filter((r) => r.image.startsWith('g'));
  const held = rows.filter((r) => r.image.startsWith('h'));
  const calib = fitCalibration(train.map((r) => ({ group: r.group, pred: r.pred, truth: r.vector })), pred.bins);
  const constant = meanVector(train.map((r) => r.vector));
  const score = (set: typeof rows): { none: number; calibrated: number; constant: number } => ({
    none: meanOf(set.map((r) => rmse(r.pred, r.vector))),
    calibrated: meanOf(set.map((r) => rmse(applyCalibration(calib, r.pred), r.vector))),
    constant: meanOf(set.map((r) => rmse(constant, r.vector))),
  });
  const result = {
    command: `npm run bench:calibration -- --size ${size} --seed ${seed}`,
    setup: { groups, holdout, perGroup, size, scaleMmPerPx: scale, bins: pred.bins, weighting: 'mass', segmenter: 'true visible instances (perfect segmentation)' },
    calibration: { model: calib.model, factors: calib.factors, lambda: calib.lambda, trainingLogoRmse: calib.logo },
    rmse: { seenGroups: score(train), heldOutGroups: score(held) },
    seconds: { synth: Number(tSynth.toFixed(1)), total: Number(((performance.now() - t0) / 1000).toFixed(1)) },
  };
  await writeJsonAtomic(join(import.meta.dirname, 'results', 'calibration.json'), result);
  const h = result.rmse.heldOutGroups;
  process.stdout.write(`held-out groups: RMSE ${h.none.toFixed(4)} uncalibrated → ${h.calibrated.toFixed(4)} calibrated (constant predictor ${h.constant.toFixed(4)})\n`);
  process.stdout.write(`factors: ${calib.factors.map((f) => f.toFixed(3)).join(', ')}; written bench/results/calibration.json\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
