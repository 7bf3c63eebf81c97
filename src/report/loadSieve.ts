// The sieve view of a run for the report: each image's percent-passing curve and each particle's bin (from its
// particle table, under the run's own bin spec, with src/aggregate's functions, so the page draws what histograms.csv
// was computed from), and the batch's pooled row (histograms-pooled.csv) with the curve of all particles.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BinSpec, ItemClass, PassingPoint, SizedItem } from '../aggregate/index.js';
import {
  EDGE_POLICIES,
  POOLED_HISTOGRAM_FILE,
  POOLED_ROW,
  SIZE_MEASURES,
  WEIGHTINGS,
  classifyItem,
  dominantBinWarning,
  passingCurve,
  particleTableItems,
  pooledItems,
  suggestBinEdges,
} from '../aggregate/index.js';
import { PhotosieveError } from '../core/index.js';
import type { CsvTable } from '../io/index.js';

/**
 * The run's bin spec as a typed BinSpec, or null when run.json has none, names a value this version lacks, or has mm
 * bins without any scale (`scaled`: the run had --scale, or --scales with each photo's own mm/px).
 */
export function reportBinSpec(view: { edges: number[]; unit: string; measure: string; weight: string; edgePolicy: string; minSizePx: number } | null, scaled: boolean): BinSpec | null {
  if (!view) return null;
  const { unit, measure, weight, edgePolicy } = view;
  if (unit !== 'mm' && unit !== 'px') return null;
  if (unit === 'mm' && !scaled) return null;
  const m = SIZE_MEASURES.find((x) => x === measure);
  const w = WEIGHTINGS.find((x) => x === weight);
  const e = EDGE_POLICIES.find((x) => x === edgePolicy);
  if (!m || !w || !e) return null;
  return { edges: view.edges, unit, measure: m, weight: w, edgePolicy: e, minSizePx: view.minSizePx };
}

/** Where each particle of an image went, by instance id: its bin (or left out), and whether it touches the edge. */
export type ParticleClasses = Map<number, { cls: ItemClass; touchesEdge: boolean }>;

export interface ImageSieve {
  curve: PassingPoint[];
  classes: ParticleClasses;
  /** The binned items, for the batch's curve. */
  binned: SizedItem[];
}

/** An image's curve and particle classes from its particle table (numbers, as the report holds it). */
export function imageSieve(table: { columns: string[]; rows: (number | null)[][] }, spec: BinSpec, scale: number | null): ImageSieve {
  const items = particleTableItems({ header: table.columns, rows: table.rows }, spec, scale);
  const classes: ParticleClasses = new Map();
  for (const it of items) if (Number.isInteger(it.id)) classes.set(it.id, { cls: classifyItem(it, spec), touchesEdge: it.touchesEdge });
  const binned = pooledItems([items], spec);
  return { curve: passingCurve(binned), classes, binned };
}

export interface PooledRow {
  n: number | null;
  vector: (number | null)[];
  percentiles: { name: string; value: number | null }[];
  cu: number | null;
  cc: number | null;
}

export interface BatchSieve {
  /** histograms-pooled.csv, null for runs from before it. */
  file: string | null;
  row: PooledRow | null;
  /** Images whose particles the curve pools (those with a particle table and a row in histograms.csv). */
  images: number;
  curve: PassingPoint[];
  /** Mean of the images' truth vectors, when every pooled image has one (a batch has no truth of its own). */
  truth: number[] | null;
  /** --bins the batch's curve suggests (D20…D80 on standard sieves). */
  suggestion: number[];
}

const cell = (s: string | undefined): number | null => {
  if (s === undefined || s.trim() === '') return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
};

/** The sieve columns of a histograms.csv-shaped row: every dNN column after the bins, then cu and cc. */
export function sieveCells(header: readonly string[], row: readonly string[]): { firstD: number; percentiles: PooledRow['percentiles']; cu: number | null; cc: number | null } {
  const firstD = header.findIndex((h, k) => k >= 2 && /^d\d+$/.test(h));
  const at = (name: string): number | null => {
    const k = header.indexOf(name);
    return k < 0 ? null : cell(row[k]);
  };
  const percentiles = header.flatMap((h, k) => (k >= firstD && firstD >= 0 && /^d\d+$/.test(h) ? [{ name: h.toUpperCase(), value: cell(row[k]) }] : []));
  return { firstD, percentiles, cu: at('cu'), cc: at('cc') };
}

/** Reads histograms-pooled.csv: one row named `pooled`, the columns of histograms.csv. */
export function parsePooledTable(t: CsvTable, bins: readonly string[] | null, fix: string): PooledRow {
  const row = t.rows[0];
  const { firstD, percentiles, cu, cc } = sieveCells(t.header, row ?? []);
  const sameBins = bins === null || (t.header.slice(2, firstD).length === bins.length && t.header.slice(2, firstD).every((b, k) => b === bins[k]));
  if (t.header[0] !== 'image' || t.header[1] !== 'n_particles' || firstD < 3 || !row || row[0] !== POOLED_ROW || t.rows.length !== 1 || !sameBins) {
    throw new PhotosieveError('E_INPUT', `not a photosieve ${POOLED_HISTOGRAM_FILE}: one row "${POOLED_ROW}" with the columns of histograms.csv expected.`, { file: t.file, fix });
  }
  return { n: cell(row[1]), vector: row.slice(2, firstD).map(cell), percentiles, cu, cc };
}

export function pooledFileOf(dir: string): string | null {
  const f = join(dir, POOLED_HISTOGRAM_FILE);
  return existsSync(f) ? f : null;
}

/** The batch's curve from the images' binned particles, and the truth to draw beside it. */
export function batchSieve(
  images: readonly { sieve: ImageSieve | null; truth: number[] | null; inVector: boolean }[],
  spec: BinSpec,
  file: string | null,
  row: PooledRow | null,
): BatchSieve {
  const pooled = images.filter((im) => im.sieve && im.inVector);
  const curve = passingCurve(pooled.flatMap((im) => im.sieve!.binned));
  const truths = pooled.flatMap((im) => (im.truth ? [im.truth] : []));
  const truth = truths.length > 0 && truths.length === pooled.length ? truths[0]!.map((_, k) => truths.reduce((a, t) => a + t[k]!, 0) / truths.length) : null;
  return { file, row, images: pooled.length, curve, truth, suggestion: suggestBinEdges(curve, spec.unit) };
}

/** The one-bin-dominates note of an image for the report (as the CLI prints it, without the image's name). */
export function dominantNote(vector: readonly (number | null)[] | null, spec: BinSpec, suggestion: readonly number[]): string | null {
  if (!vector || vector.some((v) => v === null)) return null;
  return dominantBinWarning(vector as number[], spec, suggestion) ?? null;
}
