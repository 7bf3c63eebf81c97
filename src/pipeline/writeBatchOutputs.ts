// Batch-level outputs of the measure stage: histograms.csv (one row per image, skipped images re-read from their
// particle tables), measure.json (the bin spec, so evaluate can pool particles) and, with --truth, RMSE per image.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CsvCell } from '../io/index.js';
import { readCsv, writeCsvAtomic, writeJsonAtomic } from '../io/index.js';
import { distributionOf, histogramHeader, histogramRow, imageKey, itemsFromParticles, meanOf, parseTruth, rmse } from '../aggregate/index.js';
import type { ImageResult, MeasureOptions } from './types.js';
import { imageMeasureOf } from './writeImageOutputs.js';

export interface BatchOutputInput {
  out: string;
  /** Every input in order: done, skipped (outputs from an earlier run) or failed. */
  results: ImageResult[];
  /** --scale, bin spec, --truth. */
  measure: MeasureOptions;
}

export interface BatchMeasureSummary {
  /** Bin column names of histograms.csv. */
  bins: string[];
  images: { image: string; n: number; vector: number[]; truth?: number[]; rmse?: number }[];
  /** Mean RMSE over images with a truth row (NaN when none). */
  rmse: number;
  /** Images of the batch without a truth row. */
  noTruth: string[];
  warnings: string[];
}

export async function writeBatchOutputs(input: BatchOutputInput): Promise<BatchMeasureSummary | undefined> {
  const { spec, scale, truth } = input.measure;
  if (!spec) return undefined;
  const header = histogramHeader(spec.edges, spec.unit);
  const bins = header.slice(2, -3);
  const rows: CsvCell[][] = [];
  const images: BatchMeasureSummary['images'] = [];
  const warnings = new Set<string>();
  for (const r of input.results) {
    let m = r.status === 'done' ? r.measure : undefined;
    const csv = join(input.out, 'particles', `${r.name}.csv`);
    if (!m && r.status === 'skipped' && existsSync(csv)) {
      m = imageMeasureOf(distributionOf(await itemsFromParticles(csv, spec, scale ?? null), spec, scale));
    }
    if (!m) continue;
    for (const w of m.warnings) warnings.add(w);
    rows.push(histogramRow(r.name, m));
    images.push({ image: r.name, n: m.n, vector: m.fractions });
  }
  await writeCsvAtomic(join(input.out, 'histograms.csv'), header, rows);
  await writeJsonAtomic(join(input.out, 'measure.json'), { tool: 'photosieve segment', spec, scale: scale ?? null });
  const noTruth: string[] = [];
  if (truth) {
    const t = parseTruth(await readCsv(truth));
    const byImage = new Map(t.rows.map((row) => [row.image, row.vector]));
    for (const im of images) {
      const v = byImage.get(imageKey(im.image));
      if (!v) {
        noTruth.push(im.image);
        continue;
      }
      im.truth = v;
      im.rmse = rmse(im.vector, v);
    }
  }
  return { bins, images, rmse: meanOf(images.flatMap((im) => (im.rmse === undefined ? [] : [im.rmse]))), noTruth, warnings: [...warnings] };
}
