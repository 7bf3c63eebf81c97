// Scores classical mode on the real photos of ../shared/data/segmenteverygrain (not in the repository): runs
// `photosieve segment --model classical` on all of them and matches each instance map against instances_full.
//   npx tsx scripts/eval-classical.ts [--data DIR] [--out DIR] [--workers N] [--json bench/results/classical-real.json]
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { matchInstances } from '../src/aggregate/index.js';
import { errorLine } from '../src/core/index.js';
import { readInstancePng, writeJsonAtomic } from '../src/io/index.js';
import { DEFAULT_CLASSICAL_OPTIONS, runSegmentBatch } from '../src/segment/index.js';

const here = import.meta.dirname;

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: process.env.PHOTOSIEVE_DATA ?? join(here, '..', '..', 'shared', 'data', 'segmenteverygrain') },
      out: { type: 'string', default: join(here, '..', '.bench-out', 'classical-real') },
      workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
      json: { type: 'string', default: join(here, '..', 'bench', 'results', 'classical-real.json') },
    },
  });
  const data = values.data;
  if (!existsSync(join(data, 'images'))) throw new Error(`${data}/images not found: set --data or PHOTOSIEVE_DATA to the segmenteverygrain folder`);
  const files = (await readdir(join(data, 'images'))).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
  const report = await runSegmentBatch({
    images: files.map((f) => join(data, 'images', f)),
    out: values.out,
    segmenter: { model: 'classical' },
    workers: Number(values.workers),
    force: true,
  });
  const rows = [];
  let tp = 0;
  let truthCount = 0;
  let predCount = 0;
  for (const r of report.results) {
    if (r.status !== 'done') throw new Error(`${r.path}: ${r.error ?? r.status}`);
    const truth = await readInstancePng(join(data, 'instances_full', `${r.name}.png`));
    const pred = await readInstancePng(join(values.out, 'instances', `${r.name}.png`));
    const m = matchInstances(truth, pred, { iouThreshold: 0.5 });
    tp += m.truePositives;
    truthCount += m.truthCount;
    predCount += m.predCount;
    const t = r.timings!;
    rows.push({
      image: r.name,
      size: `${r.width}×${r.height}`,
      truth: m.truthCount,
      predicted: m.predCount,
      matched: m.truePositives,
      precision: round(m.precision),
      recall: round(m.recall),
      f1: round(m.f1),
      medianBestIoU: round(m.medianBestIoU),
      seconds: round((t.decodeMs + t.instancesMs + t.writeMs) / 1000, 2),
    });
    process.stdout.write(`${r.name.padEnd(22)} truth ${String(m.truthCount).padStart(4)}  found ${String(m.predCount).padStart(4)}  F1 ${m.f1.toFixed(3)}\n`);
  }
  const pooledF1 = (2 * tp) / (truthCount + predCount);
  const meanF1 = rows.reduce((a, r) => a + r.f1, 0) / rows.length;
  await writeJsonAtomic(values.json, {
    what: 'classical mode (no U-Net) on the 13 segmenteverygrain photos, instance F1 at IoU > 0.5 against instances_full',
    command: 'npx tsx scripts/eval-classical.ts',
    options: DEFAULT_CLASSICAL_OPTIONS,
    note: 'defaults were chosen by a coarse search (about a dozen settings) on these same photos, so this is slightly optimistic',
    pooled: { truth: truthCount, predicted: predCount, matched: tp, precision: round(tp / predCount), recall: round(tp / truthCount), f1: round(pooledF1) },
    meanF1: round(meanF1),
    histogramRmse: 'to be filled after merge (needs src/aggregate histograms)',
    wallSeconds: round(report.wallMs / 1000, 1),
    workers: report.workers,
    images: rows,
  });
  process.stdout.write(`pooled F1 ${pooledF1.toFixed(3)} (${tp}/${truthCount} found, ${predCount} predicted), mean F1 ${meanF1.toFixed(3)} → ${values.json}\n`);
}

function round(v: number, digits = 4): number {
  return Number(v.toFixed(digits));
}

run().catch((err: unknown) => {
  process.stderr.write(`eval-classical: ${errorLine(err)}\n`);
  process.exitCode = 1;
});
