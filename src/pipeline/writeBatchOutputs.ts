// Batch-level outputs of the measure stage: histograms.csv (one row per image, from each image's measure as its
// run made it: skipped images come from their records, so a resumed batch writes the same bytes as a clean one),
// histograms-pooled.csv (all particles of the batch in one row, src/aggregate/pooled.ts), measure.json (the bin
// spec and scales, so evaluate can pool particles) and, with --truth, RMSE per image.
import { join } from 'node:path';
import type { BinSpec, PooledResult } from '../aggregate/index.js';
import { histogramHeader, histogramRow, meanOf, rmse, writePooledHistogram } from '../aggregate/index.js';
import { binColumnNames } from '../core/index.js';
import type { CsvCell } from '../io/index.js';
import { writeCsvAtomic, writeJsonAtomic } from '../io/index.js';
import type { MeasureJsonInput } from './runFiles.js';
import { MEASURE_JSON } from './runFiles.js';
import type { ImageResult } from './types.js';

export const HISTOGRAMS_CSV = 'histograms.csv';

export interface BatchOutputInput {
  out: string;
  /** Every input in order: done, skipped (outputs from an earlier run) or failed. */
  results: ImageResult[];
  spec: BinSpec | undefined;
  /** mm per pixel of every image, when one scale served the batch. */
  scale: number | undefined;
  /** Each image's own mm per pixel (--scales), by name. */
  scales: Map<string, number> | undefined;
  /** The --truth rows by image name, matched (core/stemTable.ts) before the batch started. */
  truth: ReadonlyMap<string, readonly number[]> | undefined;
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
  /** All particles of the batch in one row (histograms-pooled.csv), and the one-bin-dominates lines for stderr. */
  pooled: PooledResult;
}

export async function writeBatchOutputs(input: BatchOutputInput): Promise<BatchMeasureSummary | undefined> {
  const { spec, scale, truth } = input;
  if (!spec) return undefined;
  const rows: CsvCell[][] = [];
  const images: BatchMeasureSummary['images'] = [];
  const warnings = new Set<string>();
  for (const r of input.results) {
    const m = r.status === 'failed' ? undefined : r.measure;
    if (!m) continue;
    for (const w of m.warnings) warnings.add(w);
    rows.push(histogramRow(r.name, m));
    images.push({ image: r.name, n: m.n, vector: m.fractions });
  }
  await writeCsvAtomic(join(input.out, HISTOGRAMS_CSV), histogramHeader(spec.edges, spec.unit), rows);
  const pooled = await writePooledHistogram({ out: input.out, images, spec, scale, scales: input.scales });
  const measureJson: MeasureJsonInput = {
    tool: 'photosieve segment',
    spec,
    scale: input.scales ? null : (scale ?? null),
    ...(input.scales ? { scales: Object.fromEntries(input.scales) } : {}),
  };
  await writeJsonAtomic(join(input.out, MEASURE_JSON), measureJson);
  const noTruth: string[] = [];
  if (truth) {
    for (const im of images) {
      const v = truth.get(im.image);
      if (!v) {
        noTruth.push(im.image);
        continue;
      }
      im.truth = [...v];
      im.rmse = rmse(im.vector, v);
    }
  }
  return { bins: binColumnNames(spec.edges, spec.unit), images, rmse: meanOf(images.flatMap((im) => (im.rmse === undefined ? [] : [im.rmse]))), noTruth, warnings: [...warnings], pooled };
}
