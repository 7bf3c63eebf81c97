// Scores a segmenter on the real photos of ../shared/data/segmenteverygrain (not in the repository) against
// instances_full: instance F1 at IoU 0.5 (pooled, and counting only predictions on labelled grains), and the
// area-weighted 5-bin RMSE with bins at each photo's own 20/40/60/80 % quantiles (SegmentationScorer).
//   npx tsx scripts/eval-real.ts --model classical|default|DIR [--images A,B] [--json FILE] [--workers N]
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SegmentationScorer } from '../src/aggregate/index.js';
import { readInstancePng, writeJsonAtomic } from '../src/io/index.js';
import { runSegmentBatch } from '../src/pipeline/index.js';

const here = import.meta.dirname;
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'classical' },
    data: { type: 'string', default: process.env.PHOTOSIEVE_DATA ?? join(here, '..', '..', 'shared', 'data', 'segmenteverygrain') },
    images: { type: 'string' },
    workers: { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});
const data = values.data;
if (!existsSync(join(data, 'images'))) throw new Error(`${data}/images not found: set --data or PHOTOSIEVE_DATA to the segmenteverygrain folder`);
const wanted = values.images?.split(',');
const files = (await readdir(join(data, 'images')))
  .filter((f) => /\.(png|jpe?g)$/i.test(f) && (!wanted || wanted.includes(f.replace(/\.[^.]+$/, ''))))
  .sort();
const out = join(here, '..', '.bench-out', `real-${values.model.replace(/[^a-z0-9]+/gi, '_')}`);
const report = await runSegmentBatch({ images: files.map((f) => join(data, 'images', f)), out, segmenter: { model: values.model }, workers: Number(values.workers), force: true });
const total = new SegmentationScorer();
const rows = [];
for (const r of report.results) {
  if (r.status !== 'done') throw new Error(`${r.path}: ${r.error ?? r.status}`);
  const truth = await readInstancePng(join(data, 'instances_full', `${r.name}.png`));
  const pred = await readInstancePng(join(out, 'instances', `${r.name}.png`));
  const one = new SegmentationScorer();
  one.add({ truth, pred });
  total.add({ truth, pred });
  const s = one.result();
  rows.push({ image: r.name, ...s });
  process.stdout.write(`${r.name.padEnd(22)} F1 ${s.f1.toFixed(3)}  F1 on labelled ${s.f1Labelled.toFixed(3)}  5-bin RMSE ${s.rmse5.toFixed(4)}\n`);
}
const all = total.result();
process.stdout.write(`${values.model}: pooled F1 ${all.f1.toFixed(3)}, on labelled grains ${all.f1Labelled.toFixed(3)}, precision ${all.precision.toFixed(3)}, recall ${all.recall.toFixed(3)}, mean 5-bin RMSE ${all.rmse5.toFixed(4)} over ${all.images} photo(s)\n`);
if (values.json) {
  await writeJsonAtomic(values.json, {
    what: `${values.model} on ${all.images} segmenteverygrain photo(s) against instances_full`,
    command: `npx tsx scripts/eval-real.ts --model ${values.model}${values.images ? ` --images ${values.images}` : ''}`,
    pooled: all,
    images: rows,
    wallSeconds: report.wallMs / 1000,
  });
}
