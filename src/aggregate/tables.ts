// The tables of the file contracts (DESIGN.md): particles/NAME.csv, histograms.csv (and its pooled row) and the truth CSV.
import type { LengthUnit } from '../core/index.js';
import { PhotosieveError, binColumnNames } from '../core/index.js';
import type { CsvCell, CsvTable } from '../io/index.js';
import type { SizeDistribution } from './distribution.js';
import { PERCENTILE_KEYS } from './distribution.js';
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
  image: string;
  group: string;
  vector: number[];
}

/** Strips folders and the extension, so `photos/a.JPG`, `a.png` and `a` all name image `a`. */
export function imageKey(name: string): string {
  const base = name.replace(/\\/g, '/').split('/').pop() ?? name;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Reads a ground-truth table `image,group,<bins>`; every row must be a distribution (sums to 1 within 1e-3). */
export function parseTruth(table: CsvTable): { bins: string[]; rows: VectorRow[] } {
  const { header, file } = table;
  if (header[0] !== 'image' || header[1] !== 'group' || header.length < 4) {
    throw new PhotosieveError('E_INPUT', `a truth table needs the columns image,group,<one per bin>; this one has ${header.join(',')}.`, { file, fix: 'write the header image,group,bin1,bin2,...' });
  }
  const seen = new Set<string>();
  const rows = table.rows.map((r, i) => {
    const vector = r.slice(2).map(Number);
    const line = i + 2;
    if (vector.some((v) => !Number.isFinite(v) || v < 0)) {
      throw new PhotosieveError('E_INPUT', `row ${line} (${r[0]}) has a value that is not a non-negative number.`, { file, fix: 'give fractions between 0 and 1' });
    }
    const sum = vector.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-3) {
      throw new PhotosieveError('E_INPUT', `row ${line} (${r[0]}) sums to ${sum.toFixed(4)}, not 1.`, { file, fix: 'normalize each row to mass fractions that sum to 1' });
    }
    const image = imageKey(r[0]!);
    if (seen.has(image)) throw new PhotosieveError('E_INPUT', `image ${image} appears twice (row ${line}).`, { file, fix: 'keep one row per image' });
    seen.add(image);
    return { image, group: r[1]!, vector };
  });
  return { bins: header.slice(2), rows };
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
    rows: table.rows.map((r) => ({ image: imageKey(r[0]!), group: '', n: Number(r[1]), vector: r.slice(2, d10).map(num) })),
  };
}
