// Tunes the instance stage (watershed thresholds and marker height) of a trained model on its validation photos
// and, with --write, stores the best setting in the model's meta.json (`instance`), which createSegmenter uses.
// The U-Net runs once per photo; only the cheap instance stage is repeated per setting.
//   npx tsx scripts/tune-instances.ts MODEL_DIR --images A,B [--data DIR] [--write]
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SegmentationScorer } from '../src/aggregate/index.js';
import { readImage, readInstancePng, writeJsonAtomic } from '../src/io/index.js';
import type { InstanceOptions } from '../src/segment/index.js';
import { initBackend, loadModelFolder, predictProbabilities, probabilitiesToInstances, tfjsEngine } from '../src/segment/index.js';
import { registerWasmTrainingKernels } from '../src/train/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    images: { type: 'string' },
    data: { type: 'string', default: process.env.PHOTOSIEVE_DATA ?? join(import.meta.dirname, '..', '..', 'shared', 'data', 'segmenteverygrain') },
    write: { type: 'boolean', default: false },
  },
});
const dir = positionals[0];
if (!dir || !values.images) throw new Error('usage: tune-instances.ts MODEL_DIR --images A,B [--write]');
const backend = await initBackend();
if (backend.name === 'wasm') registerWasmTrainingKernels();
const { model, meta } = await loadModelFolder(dir);
const photos = [];
for (const name of values.images.split(',')) {
  const file = (await import('node:fs')).readdirSync(join(values.data, 'images')).find((f) => f.replace(/\.[^.]+$/, '') === name);
  if (!file) throw new Error(`no image ${name}`);
  const raster = await readImage(join(values.data, 'images', file));
  photos.push({ name, probs: await predictProbabilities(tfjsEngine(model, backend, meta.inputChannels, false), meta, raster), truth: await readInstancePng(join(values.data, 'instances_full', `${name}.png`)) });
}
model.dispose();
const grid: Partial<InstanceOptions>[] = [];
for (const bodyThreshold of [0.4, 0.5, 0.6, 0.7]) for (const peakHeight of [1, 2, 3, 5, 8]) for (const minArea of [20, 60]) grid.push({ bodyThreshold, peakHeight, minArea });
let best: { options: Partial<InstanceOptions>; score: ReturnType<SegmentationScorer['result']> } | undefined;
for (const options of grid) {
  const scorer = new SegmentationScorer();
  for (const p of photos) scorer.add({ truth: p.truth, pred: await probabilitiesToInstances(p.probs, options) });
  const score = scorer.result();
  process.stdout.write(`${JSON.stringify(options)} F1 ${score.f1.toFixed(3)} labelled ${score.f1Labelled.toFixed(3)} RMSE ${score.rmse5.toFixed(4)}\n`);
  if (!best || score.f1Labelled > best.score.f1Labelled) best = { options, score };
}
process.stdout.write(`best: ${JSON.stringify(best!.options)} → F1 ${best!.score.f1.toFixed(3)}, on labelled ${best!.score.f1Labelled.toFixed(3)}, 5-bin RMSE ${best!.score.rmse5.toFixed(4)}\n`);
if (values.write) {
  const file = join(dir, 'meta.json');
  const m = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  m.instance = best!.options;
  const training = (m.training ?? {}) as Record<string, unknown>;
  training.instanceTuning = { photos: values.images.split(','), settings: grid.length, selectedBy: 'F1 on labelled grains', score: best!.score };
  m.training = training;
  await writeJsonAtomic(file, m);
  process.stdout.write(`written to ${file}\n`);
}
