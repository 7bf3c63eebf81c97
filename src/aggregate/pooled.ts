// The batch as one sample: every binned particle of the batch's images pooled into one distribution, written as
// histograms-pooled.csv (one row, the columns of histograms.csv), and the batch-level check of the image vectors
// (one bin holding most of a vector). Written by `segment` and `measure` after their histograms.csv.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LengthUnit } from '../core/index.js';
import { PhotosieveError } from '../core/index.js';
import { writeCsvAtomic } from '../io/index.js';
import type { Calibration } from './calibrate.js';
import { applyCalibration } from './calibrate.js';
import type { BinSpec, PassingPoint, SizedItem } from './distribution.js';
import { classifyItem, distributionOf, dominantBinWarnings, passingCurve, suggestBinEdges } from './distribution.js';
import { itemsFromParticles } from './particleItems.js';
import type { HistogramEntry } from './tables.js';
import { histogramEntry, histogramHeader, histogramRow, sieveNumbersText } from './tables.js';

export const POOLED_HISTOGRAM_FILE = 'histograms-pooled.csv';
/** The `image` cell of the pooled row. */
export const POOLED_ROW = 'pooled';

export interface PooledInput {
  /** The run folder: particle tables are read from OUT/particles/NAME.csv, the pooled file is written to OUT. */
  out: string;
  /** The images of histograms.csv, in its order, with the vector written there. */
  images: readonly { image: string; vector: readonly number[] }[];
  spec: BinSpec;
  /** mm per pixel. */
  scale?: number | undefined;
  /** Each image's own mm per pixel (segment --scales), by name; wins over `scale`. */
  scales?: ReadonlyMap<string, number> | undefined;
  /** Applied to the pooled vector as to the images' (measure --calibration); the D-values stay the particles'. */
  calibration?: Calibration | undefined;
}

export interface PooledResult {
  /** The file's name in the run folder (histograms-pooled.csv): run.json stays the same whatever the folder. */
  file: string;
  /** Images pooled (those with a row in histograms.csv). */
  images: number;
  unit: LengthUnit;
  /** The row of histograms-pooled.csv. */
  entry: HistogramEntry;
  /**
   * One line per image whose vector puts more than DOMINANT_BIN_WARNING in one bin, naming the image and
   * suggesting --bins from the batch's curve; the CLI prints them on stderr.
   */
  warnings: string[];
}

/** The binned items of all images, pooled (the same edge policy and detection limit as each image's vector). */
export function pooledItems(perImage: readonly (readonly SizedItem[])[], spec: BinSpec): SizedItem[] {
  return perImage.flatMap((items) => items.filter((it) => typeof classifyItem(it, spec) === 'number'));
}

/** The batch's curve and the --bins it suggests when one bin holds most of an image's vector. */
export function batchChecks(images: PooledInput['images'], spec: BinSpec, curve: readonly PassingPoint[]): string[] {
  return dominantBinWarnings(images, spec, suggestBinEdges(curve, spec.unit));
}

/**
 * Pools the particle tables of `images` (re-read from OUT/particles, so a resumed run and a clean one pool the same
 * numbers) and writes OUT/histograms-pooled.csv.
 */
export async function writePooledHistogram(input: PooledInput): Promise<PooledResult> {
  const { out, spec, scale } = input;
  const perImage: SizedItem[][] = [];
  for (const im of input.images) {
    const csv = join(out, 'particles', `${im.image}.csv`);
    if (!existsSync(csv)) throw new PhotosieveError('E_OUTPUT', `the particle table of ${im.image} is missing, so the batch cannot be pooled.`, { file: csv, fix: 'rerun with --force' });
    perImage.push(await itemsFromParticles(csv, spec, input.scales?.get(im.image) ?? scale ?? null));
  }
  const items = pooledItems(perImage, spec);
  const d = distributionOf(items, spec, input.scales ? undefined : scale);
  const fractions = input.calibration ? applyCalibration(input.calibration, d.fractions) : d.fractions;
  const entry = histogramEntry(d, fractions);
  await writeCsvAtomic(join(out, POOLED_HISTOGRAM_FILE), histogramHeader(spec.edges, spec.unit), [histogramRow(POOLED_ROW, entry)]);
  return { file: POOLED_HISTOGRAM_FILE, images: input.images.length, unit: spec.unit, entry, warnings: batchChecks(input.images, spec, passingCurve(items)) };
}

/** The pooled row in two lines for a command's summary: vector, then the sieve numbers and the file. */
export function pooledSummaryLines(p: PooledResult, bins: readonly string[], out: string): string[] {
  const v = p.entry.fractions.map((x, k) => `${bins[k] ?? k} ${Number.isFinite(x) ? x.toFixed(3) : '–'}`).join(', ');
  return [`pooled (${p.images} image(s), ${p.entry.n} particle(s)): ${v}`, `  ${sieveNumbersText(p.entry, p.unit)} → ${join(out, p.file)}`];
}
