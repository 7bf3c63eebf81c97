// The tables of the file contracts (DESIGN.md): particles/NAME.csv, histograms.csv (and its pooled row) and the truth CSV.
import type { LengthUnit } from '../core/index.js';
import type { StemTable } from '../core/index.js';
import { PhotosieveError, binColumnNames, createStemTable, listNames, photoStem } from '../core/index.js';
import type { CsvCell, CsvTable } from '../io/index.js';
import type { SizeDistribution } from './distribution.js';
import { PERCENTILE_KEYS } from './distribution.js';
import { readCsv } from '../io/index.js';
import type { Particle } from './measure.js';

export const PARTICLE_COLUMNS_PX = ['id', 'x_px', 'y_px', 'area_px', 'perimeter_px', 'eq_diam_px', 'major_px', 'minor_px', 'feret_min_px', 'feret_max_px', 'solidity', 'touches_edge'] as const;
export const PARTICLE_COLUMNS_MM = ['x_mm', 'y_mm', 'area_mm2', 'perimeter_mm', 'eq_diam_mm', 'major_mm', 'minor_mm', 'feret_min_mm', 'feret_max_mm'] as const;

/** Four decimals: a ten-thousandth of a pixel is far below what any measure here can resolve. */
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
/** Six significant digits for mm and mm² values, whatever their magnitude. */
const s6 = (x: number): number => Number(x.toPrecision(6));

export function particleTable(particles: readonly Particle[], scale: number | undefined): { header: string[]; rows: CsvCell[][] } {
  const header: string[] = [...PARTICLE_COLUMNS_PX, ...(scale === undefined ? [] : PARTICLE_COLUMNS_MM)];
  const rows = particles.map((p) => {
    const row: CsvCell[] = [p.id, r4(p.xPx), r4(p.yPx), p.areaPx, r4(p.perimeterPx), r4(p.eqDiamPx), r4(p.majorPx), r4(p.minorPx), r4(p.feretMinPx), r4(p.feretMaxPx), r4(p.solidity), p.touchesEdge ? 1 : 0];
    if (scale !== undefined) {
      row.push(...[p.xPx, p.yPx].map((v) => s6(v * scale)), s6(p.areaPx * scale * scale), ...[p.perimeterPx, p.eqDiamPx, p.majorPx, p.minorPx, p.feretMinPx, p.feretMaxPx].map((v) => s6(v * scale)));
    }
    return row;
  });
  return { header, rows };
}

/** The sieve-report columns of histograms.csv after the bins: D-values in the unit of the edges, then Cu and Cc. */
export const SIEVE_COLUMNS = [...PERCENTILE_KEYS, 'cu', 'cc'] as const;
export type SieveColumn = (typeof SIEVE_COLUMNS)[number];

export function histogramHeader(edges: readonly number[], unit: LengthUnit): string[] {
  return ['image', 'n_particles', ...binColumnNames(edges, unit), ...SIEVE_COLUMNS];
}

/** What one row of histograms.csv holds. */
export type HistogramEntry = { n: number; fractions: number[] } & Record<SieveColumn, number>;

/** A distribution's row; `fractions` replaces its vector when given (a calibrated one). */
export function histogramEntry(d: SizeDistribution, fractions: readonly number[] = d.fractions): HistogramEntry {
  return { n: d.n, fractions: [...fractions], ...d.d, cu: d.cu, cc: d.cc };
}

const cell8 = (x: number): number => Number(x.toPrecision(8));

/**
 * One row of histograms.csv. An undefined fraction (an image without measurable particles) is written `NaN`, as
 * readers of the vector expect; an undefined D, Cu or Cc is an empty cell.
 */
export function histogramRow(image: string, e: HistogramEntry): CsvCell[] {
  return [image, e.n, ...e.fractions.map((x) => (Number.isFinite(x) ? cell8(x) : 'NaN')), ...SIEVE_COLUMNS.map((k) => (Number.isFinite(e[k]) ? cell8(e[k]) : ''))];
}

/** The sieve numbers of a row for people: `D10 1.23, …, D90 9.87 mm; Cu 3.45, Cc 1.02` (– when undefined). */
export function sieveNumbersText(e: HistogramEntry, unit: LengthUnit): string {
  const d = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(3))) : '–');
  const c = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '–');
  return `${PERCENTILE_KEYS.map((k) => `${k.toUpperCase()} ${d(e[k])}`).join(', ')} ${unit}; Cu ${c(e.cu)}, Cc ${c(e.cc)}`;
}

export interface VectorRow {
  /** The photo's stem (photoStem of the name in the table): the key other tables and outputs use. */
  image: string;
  group: string;
  vector: number[];
}

export interface TruthRow extends VectorRow {
  /** The name as the table writes it. */
  name: string;
  /** 1-based line in the file. */
  line: number;
}

export interface TruthTable {
  bins: string[];
  rows: TruthRow[];
  /** The rows by photo: exact stems, with or without an image extension, never cut at another dot. */
  table: StemTable<TruthRow>;
}

/**
 * Strips folders and one image extension, so `photos/a.JPG`, `a.png` and `a` all name image `a`, while
 * `pile.1` stays `pile.1` (only .jpg, .png, .tif and the other image extensions are taken off).
 */
export function imageKey(name: string): string {
  return photoStem(name);
}

/** Sums may be off by this much (fractions written with a few decimals). */
const SUM_TOLERANCE = 1e-3;

/** One line for every bad row: the row alone when there is one, else how many and the first few. */
function refuseRows(file: string, bad: TruthRow[], one: (r: TruthRow) => string, several: string, fix: string): void {
  if (bad.length === 0) return;
  const message = bad.length === 1 ? `row ${one(bad[0]!)}.` : `${bad.length} rows ${several}: ${listNames(bad.map((r) => `row ${one(r)}`), 4, '; ')}.`;
  throw new PhotosieveError('E_INPUT', message, { file, fix });
}

const sumOf = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0);

/**
 * Reads and validates a ground-truth table `image,group,<bins>` before anything uses it: the header, every row's
 * name and values (non-negative numbers summing to 1 within 1e-3), and one row per photo. Bad rows are listed by
 * row number (the line in the file) and name.
 */
export function parseTruth(table: CsvTable): TruthTable {
  const { header, file } = table;
  if (header[0] !== 'image' || header[1] !== 'group' || header.length < 4) {
    throw new PhotosieveError('E_INPUT', `a truth table needs the columns image,group,<one per bin, at least 2>; this one has ${header.join(',')}.`, { file, fix: 'write the header image,group,bin1,bin2,...' });
  }
  const bins = header.slice(2);
  if (bins.some((b, k) => b === '' || bins.indexOf(b) !== k)) {
    throw new PhotosieveError('E_INPUT', `the bin columns must have distinct, non-empty names; this header has ${header.join(',')}.`, { file, fix: 'name every bin column once, e.g. lt_4mm,4_8mm,ge_8mm' });
  }
  if (table.rows.length === 0) throw new PhotosieveError('E_INPUT', 'the truth table has a header but no rows.', { file, fix: 'add one row per photo: image,group,fractions…' });
  const rows: TruthRow[] = table.rows.map((r, i) => {
    const name = r[0]!.trim();
    return { name, line: i + 2, image: imageKey(name), group: r[1]!.trim(), vector: r.slice(2).map((v) => (v.trim() === '' ? NaN : Number(v))) };
  });
  refuseRows(file, rows.filter((r) => r.image === ''), (r) => `${r.line} has no photo name`, 'have no photo name', "write the photo's file name or stem in the image column");
  refuseRows(file, rows.filter((r) => r.vector.some((v) => !Number.isFinite(v) || v < 0)), (r) => `${r.line} (${r.name}) has a value that is not a non-negative number`, 'have values that are not non-negative numbers', 'give fractions between 0 and 1');
  refuseRows(file, rows.filter((r) => Math.abs(sumOf(r.vector) - 1) > SUM_TOLERANCE), (r) => `${r.line} (${r.name}) sums to ${sumOf(r.vector).toFixed(4)}, not 1`, 'do not sum to 1', 'normalize each row to mass fractions that sum to 1');
  const stems = createStemTable(rows.map((r) => ({ name: r.name, line: r.line, value: r })), file, 'the truth table');
  return { bins, rows, table: stems };
}

/** Reads and validates a truth CSV (see parseTruth); meant to run before any image is processed. */
export async function readTruthTable(file: string): Promise<TruthTable> {
  return parseTruth(await readCsv(file));
}

/**
 * Reads histograms.csv (or histograms-pooled.csv) as written by `measure`/`segment`: the bin columns lie between
 * n_particles and d10, whatever follows (runs before the sieve columns ended at d10,d50,d90). An empty or `NaN`
 * fraction reads as NaN, never as 0.
 */
export function parseHistograms(table: CsvTable): { bins: string[]; rows: (VectorRow & { n: number })[] } {
  const { header, file } = table;
  const d10 = header.indexOf('d10');
  if (header[0] !== 'image' || header[1] !== 'n_particles' || d10 < 3) {
    throw new PhotosieveError('E_INPUT', `not a photosieve histograms.csv (image,n_particles,<bins>,${SIEVE_COLUMNS.join(',')}).`, { file, fix: 'point --pred at the folder written by photosieve measure or segment' });
  }
  const num = (s: string | undefined): number => (s === undefined || s.trim() === '' ? NaN : Number(s));
  return {
    bins: header.slice(2, d10),
    // Names here are the stems photosieve wrote; they are used as they are.
    rows: table.rows.map((r) => ({ image: r[0]!, group: '', n: Number(r[1]), vector: r.slice(2, d10).map(num) })),
  };
}
