// The measure job: instance PNGs → particles/NAME.csv, histograms.csv, histograms-pooled.csv and measure.json. One
// bad file is reported and skipped; the others are written.
import { basename, extname, join } from 'node:path';
import { PhotosieveError, errorLine } from '../core/index.js';
import type { RoiSpec } from '../annotate/index.js';
import { roiMask } from '../annotate/index.js';
import type { CsvCell } from '../io/index.js';
import { readInstancePng, writeCsvAtomic, writeJsonAtomic } from '../io/index.js';
import type { Calibration } from './calibrate.js';
import { applyCalibration, checkCalibrationFits } from './calibrate.js';
import type { BinSpec, SizeDistribution } from './distribution.js';
import { sizeDistribution, validateBinSpec } from './distribution.js';
import { measureParticles } from './measure.js';
import type { PooledResult } from './pooled.js';
import { writePooledHistogram } from './pooled.js';
import { histogramEntry, histogramHeader, histogramRow, particleTable } from './tables.js';
// measure.json's one schema, shared with the other writer (src/pipeline) and its reader (runEvaluate).
import type { MeasureJsonInput } from './measureJson.js';
import { MEASURE_JSON } from './measureJson.js';


export interface MeasureJobOptions {
  instances: readonly string[];
  out: string;
  spec: BinSpec;
  /** mm per pixel. */
  scale?: number | undefined;
  roi?: RoiSpec | undefined;
  calibration?: Calibration | undefined;
  /** Where the calibration came from, for the report. */
  calibrationFile?: string | undefined;
  maxPixels?: number | undefined;
  /** Refuse instance maps that decode to more than this many times their file's size. @default DEFAULT_MAX_EXPANSION_INSTANCES */
  maxExpansion?: number | undefined;
  onProgress?: ((done: number, total: number, name: string) => void) | undefined;
}

export interface MeasuredImage {
  image: string;
  particles: number;
  distribution: SizeDistribution;
  /** The vector written to histograms.csv (calibrated when a calibration was given). */
  vector: number[];
}

export interface MeasureReport {
  tool: 'photosieve measure';
  spec: BinSpec;
  scale: number | null;
  calibration: string | null;
  images: MeasuredImage[];
  failed: { file: string; error: string }[];
  /** All particles of the batch in one distribution (histograms-pooled.csv), and the per-image bin warnings. */
  pooled: PooledResult | null;
}

/** Measures one instance map and writes its particle table; returns the row for histograms.csv. */
export async function measureInstanceFile(file: string, options: MeasureJobOptions): Promise<MeasuredImage> {
  const map = await readInstancePng(file, { maxPixels: options.maxPixels, maxExpansion: options.maxExpansion });
  const roi = options.roi ? roiMask(options.roi, map.width, map.height) : undefined;
  const particles = measureParticles(map, { scale: options.scale, roi });
  const name = basename(file, extname(file));
  const table = particleTable(particles, options.scale);
  await writeCsvAtomic(join(options.out, 'particles', `${name}.csv`), table.header, table.rows);
  const distribution = sizeDistribution(particles, options.spec, options.scale);
  const vector = options.calibration ? applyCalibration(options.calibration, distribution.fractions) : distribution.fractions;
  return { image: name, particles: particles.length, distribution, vector };
}

export async function runMeasure(options: MeasureJobOptions): Promise<MeasureReport> {
  validateBinSpec(options.spec, options.scale);
  if (options.calibration) checkCalibrationFits(options.calibration, options.spec, options.calibrationFile);
  if (options.calibration && options.calibration.bins.length !== options.spec.edges.length + 1) {
    throw new PhotosieveError('E_PARAM', `the calibration has ${options.calibration.bins.length} bins, --bins gives ${options.spec.edges.length + 1}.`, { fix: 'use the bins the calibration was fitted with' });
  }
  const report: MeasureReport = { tool: 'photosieve measure', spec: options.spec, scale: options.scale ?? null, calibration: options.calibrationFile ?? null, images: [], failed: [], pooled: null };
  const rows: CsvCell[][] = [];
  let done = 0;
  for (const file of options.instances) {
    options.onProgress?.(done++, options.instances.length, basename(file));
    try {
      const m = await measureInstanceFile(file, options);
      report.images.push(m);
      rows.push(histogramRow(m.image, histogramEntry(m.distribution, m.vector)));
    } catch (err) {
      if (err instanceof PhotosieveError && err.code === 'E_OUTPUT') throw err;
      report.failed.push({ file, error: errorLine(err) });
    }
  }
  options.onProgress?.(done, options.instances.length, '');
  await writeCsvAtomic(join(options.out, 'histograms.csv'), histogramHeader(options.spec.edges, options.spec.unit), rows);
  report.pooled = await writePooledHistogram({ out: options.out, images: report.images, spec: options.spec, scale: options.scale, calibration: options.calibration });
  await writeJsonAtomic(join(options.out, MEASURE_JSON), { ...report } satisfies MeasureJsonInput);
  return report;
}
