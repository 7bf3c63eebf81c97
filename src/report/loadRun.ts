// Reads the output folder of `photosieve segment` (run.json, histograms.csv, histograms-pooled.csv, evaluation.json,
// particles/, instances/, overlays/) into one plain object for the report. Values are taken from the files as
// written; nothing is measured or scored again here (curves and bins of particles: loadSieve.ts).
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PhotosieveError } from '../core/index.js';
import type { PassingPoint } from '../aggregate/index.js';
import { PERCENTILE_KEYS } from '../aggregate/index.js';
import type { CsvTable } from '../io/index.js';
import { readCsv } from '../io/index.js';
import type { BatchSieve, ImageSieve, ParticleClasses } from './loadSieve.js';
import { batchSieve, dominantNote, imageSieve, parsePooledTable, pooledFileOf, reportBinSpec, sieveCells } from './loadSieve.js';
import type { RunJson } from '../pipeline/runFiles.js';
import { runJsonSchema } from '../pipeline/runFiles.js';

/** JSON.stringify writes NaN as null, so every number a run writes may come back as null. */
const num = z.number().nullable();

// run.json's one schema, shared with the writer (src/pipeline) and the other readers.
export { imageName } from '../pipeline/runFiles.js';
const runSchema = runJsonSchema;

const evaluationSchema = z.object({
  tool: z.literal('photosieve evaluate'),
  bins: z.array(z.string()),
  baseline: z.object({ kind: z.string(), file: z.string().nullable() }).optional(),
  images: z.array(z.object({ image: z.string(), group: z.string(), pred: z.array(num), truth: z.array(z.number()), rmse: num, mae: num, maxBinError: num, kl: num, rmseConstant: num })),
  groups: z.array(z.object({ group: z.string(), images: z.number(), meanOfImages: z.object({ rmse: num }), pooled: z.object({ rmse: num }).nullable(), rmseConstant: num })).default([]),
  overall: z.object({ images: z.number(), rmse: num, mae: num, maxBinError: num, kl: num, rmseConstant: num, skill: num, groupRmse: num.optional(), groupRmseConstant: num.optional(), groupSkill: num.optional() }),
  missing: z.object({ noPrediction: z.array(z.string()), noTruth: z.array(z.string()), undefinedVector: z.array(z.string()) }).optional(),
  instances: z.object({ overall: z.object({ precision: num, recall: num, f1: num, meanMatchedIoU: num, ap: num, truth: z.number(), pred: z.number() }) }).nullish(),
});
export type Evaluation = z.infer<typeof evaluationSchema>;

export interface BinSpecView {
  edges: number[];
  unit: string;
  measure: string;
  weight: string;
  edgePolicy: string;
  minSizePx: number;
}

export interface RunSummary {
  tool: string;
  startedAt: string | null;
  finishedAt: string | null;
  model: { kind: string | null; id: string | null; note: string | null; format: string | null; tileSize: number | null };
  backend: { name: string; simd: boolean | null; warning: string | null } | null;
  workers: number | null;
  wallSeconds: number | null;
  roi: string | null;
  /** The overlay kind the run wrote (png for runs from before --overlays); 'none': no overlays by request. */
  overlays: string;
  /** mm per pixel of the whole batch (--scale); null without one or when each photo has its own (`scales`). */
  scale: number | null;
  /** The --scales table when each photo has its own mm/px (ReportImage.scale); null otherwise. */
  scales: string | null;
  spec: BinSpecView | null;
  truthFile: string | null;
  /** Mean RMSE over the images with truth, as `segment --truth` wrote it. */
  meanRmse: number | null;
  noTruth: string[];
  /** Batch-level warnings of the measure stage. */
  warnings: string[];
  versions: Record<string, string>;
}

/** A particle table as numbers (a cell that is not a number becomes null), in file order. */
export interface ParticleTable {
  columns: string[];
  rows: (number | null)[][];
}

export interface ImageMetrics {
  rmse: number | null;
  mae: number | null;
  maxBinError: number | null;
  kl: number | null;
  rmseConstant: number | null;
  group: string | null;
  /** Which file the numbers come from. */
  source: 'evaluation.json' | 'run.json';
}

export interface ReportImage {
  name: string;
  /** mm per pixel the photo was measured at: its own (run.json images[].scale), else the batch's; null without. */
  scale: number | null;
  path: string | null;
  status: string;
  error: string | null;
  width: number | null;
  height: number | null;
  /** Particles found (rows of the particle table). */
  particles: number | null;
  /** Seconds spent on the image, summed over its stages. */
  seconds: number | null;
  overlay: string | null;
  particlesCsv: string | null;
  table: ParticleTable | null;
  /** Particles in the size vector (histograms.csv n_particles). */
  binned: number | null;
  vector: (number | null)[] | null;
  truth: number[] | null;
  percentiles: { name: string; value: number | null }[];
  /** Cu = D60/D10 and Cc = D30²/(D10·D60), as written (null for runs before them, or when undefined). */
  cu: number | null;
  cc: number | null;
  metrics: ImageMetrics | null;
  warnings: string[];
  unmeasuredAreaFraction: number | null;
  /** The part of unmeasuredAreaFraction in unresolved clusters of fines (null: not recorded). */
  unresolvedAreaFraction: number | null;
  /** Rows of the particle table with touches_edge = 1. */
  edgeTouching: number | null;
  /** instances/NAME.png, when there: the report draws its outlines coloured by bin. */
  instances: string | null;
  /** The percent-passing curve of the image's binned particles (null without bins or a particle table). */
  curve: PassingPoint[] | null;
  /** Each particle's bin (or why it is left out) by id, for the outlines. */
  classes: ParticleClasses | null;
}

export interface RunData {
  dir: string;
  summary: RunSummary;
  /** Bin column names, when the run binned sizes. */
  bins: string[] | null;
  images: ReportImage[];
  evaluation: (Evaluation & { file: string }) | null;
  /** The batch's pooled row and curve (null without bins). */
  batch: BatchSieve | null;
  /** histograms.csv, when the run wrote one. */
  histogramsFile: string | null;
  /** Per-image files that could not be read: one line each (file, what, fix); the report shows the rest. */
  problems: string[];
}

export const RUN_FILE = 'run.json';

function rewriteFix(dir: string): string {
  return `run photosieve segment IMAGES... --out ${dir} --force again to rewrite it`;
}

async function readJson(file: string, fix: string): Promise<unknown> {
  const text = await readFile(file, 'utf8').catch((cause: unknown) => {
    throw new PhotosieveError('E_INPUT', 'file not readable.', { file, fix: 'check its permissions', cause });
  });
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new PhotosieveError('E_INPUT', `not valid JSON (${(cause as Error).message}).`, { file, fix, cause });
  }
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, file: string, what: string, fix: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  throw new PhotosieveError('E_INPUT', `not a ${what}: ${path || '(root)'}: ${issue.message}.`, { file, fix });
}

/** Reads a CSV the run wrote; a damaged one is named with the way to rewrite it. */
async function readRunCsv(file: string, fix: string): Promise<CsvTable> {
  try {
    return await readCsv(file);
  } catch (err) {
    if (err instanceof PhotosieveError) throw new PhotosieveError('E_INPUT', err.message, { file, fix, cause: err });
    throw err;
  }
}

interface HistogramRow {
  n: number;
  vector: (number | null)[];
  percentiles: { name: string; value: number | null }[];
  cu: number | null;
  cc: number | null;
}

const cellNumber = (s: string | undefined): number | null => {
  if (s === undefined || s.trim() === '') return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
};

function parseHistogramTable(t: CsvTable, fix: string): { bins: string[]; rows: Map<string, HistogramRow> } {
  const firstD = t.header.findIndex((h, k) => k >= 2 && /^d\d+$/.test(h));
  if (t.header[0] !== 'image' || t.header[1] !== 'n_particles' || firstD < 3) {
    throw new PhotosieveError('E_INPUT', `not a photosieve histograms.csv: the header is ${t.header.join(',')}, expected image,n_particles,<bins>,d10,…,d90,cu,cc.`, { file: t.file, fix });
  }
  const bins = t.header.slice(2, firstD);
  const rows = new Map<string, HistogramRow>();
  for (const r of t.rows) {
    const { percentiles, cu, cc } = sieveCells(t.header, r);
    rows.set(r[0]!, { n: Number(r[1]), vector: r.slice(2, firstD).map(cellNumber), percentiles, cu, cc });
  }
  return { bins, rows };
}

async function readParticleTable(file: string): Promise<ParticleTable> {
  const t = await readCsv(file);
  for (const needed of ['id', 'x_px', 'y_px', 'touches_edge']) {
    if (!t.header.includes(needed)) {
      throw new PhotosieveError('E_INPUT', `not a photosieve particle table: no column ${needed}.`, { file, fix: 'rewrite it with photosieve segment --force (or photosieve measure)' });
    }
  }
  return { columns: t.header, rows: t.rows.map((r) => r.map(cellNumber)) };
}

function sumTimings(t: Record<string, number> | undefined): number | null {
  if (!t) return null;
  const ms = Object.entries(t).reduce((a, [k, v]) => (k.endsWith('Ms') ? a + v : a), 0);
  return ms / 1000;
}

function summaryOf(run: RunJson): RunSummary {
  const meta = run.model.meta ?? null;
  const m = run.options?.measure;
  return {
    tool: run.tool,
    startedAt: run.startedAt ?? null,
    finishedAt: run.finishedAt ?? null,
    model: {
      kind: run.model.kind ?? null,
      id: run.model.id ?? null,
      note: run.model.note ?? null,
      format: typeof meta?.format === 'string' ? meta.format : null,
      tileSize: typeof meta?.tileSize === 'number' ? meta.tileSize : null,
    },
    backend: run.backend ? { name: run.backend.name, simd: run.backend.simd ?? null, warning: run.backend.warning ?? null } : null,
    workers: run.workers ?? null,
    wallSeconds: run.wallSeconds ?? null,
    roi: run.options?.roi ?? null,
    overlays: run.options?.overlays ?? 'png',
    scale: m?.scale ?? null,
    scales: m?.scales ?? null,
    spec: m?.spec ?? null,
    truthFile: m?.truth ?? null,
    meanRmse: run.measure?.rmse ?? null,
    noTruth: run.measure?.noTruth ?? [],
    warnings: run.measure?.warnings ?? [],
    versions: run.versions ?? {},
  };
}

/**
 * Loads a segment run folder. Batch files (run.json, histograms.csv, evaluation.json) that are damaged stop the
 * report with an error naming the file and the fix; a damaged per-image file is listed in `problems`.
 */
export async function loadRun(dir: string): Promise<RunData> {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) {
    throw new PhotosieveError('E_INPUT', 'not a folder.', { file: dir, fix: 'pass the --out folder of a photosieve segment run' });
  }
  const runFile = join(dir, RUN_FILE);
  if (!existsSync(runFile)) {
    throw new PhotosieveError('E_INPUT', `no ${RUN_FILE} in ${dir}.`, { fix: `run photosieve segment IMAGES... --out ${dir} first` });
  }
  const fix = rewriteFix(dir);
  const run = parseWith(runSchema, await readJson(runFile, fix), runFile, 'run.json written by photosieve segment', fix);
  const summary = summaryOf(run);

  const histFile = join(dir, 'histograms.csv');
  const hist = existsSync(histFile) ? parseHistogramTable(await readRunCsv(histFile, fix), fix) : null;

  const evalFile = join(dir, 'evaluation.json');
  const evalFix = `run photosieve evaluate --pred ${dir} --truth TRUTH.csv again, or delete it`;
  const evaluation = existsSync(evalFile) ? { ...parseWith(evaluationSchema, await readJson(evalFile, evalFix), evalFile, 'evaluation.json written by photosieve evaluate', evalFix), file: evalFile } : null;
  const evalBy = new Map(evaluation?.images.map((e) => [e.image, e]));
  const measureBy = new Map(run.measure?.images.map((m) => [m.image, m]));

  const problems: string[] = [];
  const images: ReportImage[] = [];
  // A run is scaled with --scale or with --scales (each photo its own mm/px, read per image below).
  const spec = reportBinSpec(summary.spec, summary.scales !== null || summary.scale !== null);
  const sieves: (ImageSieve | null)[] = [];
  // The run's own kind first; the other one too, so images kept from an earlier run of another kind still show.
  const kinds = summary.overlays === 'none' ? [] : [...new Set([summary.overlays, 'jpg', 'png'])];
  for (const im of run.images) {
    const candidates = kinds.map((ext) => join(dir, 'overlays', `${im.name}.${ext}`));
    const overlay = candidates.find((f) => existsSync(f)) ?? null;
    const csv = join(dir, 'particles', `${im.name}.csv`);
    const hasOutputs = im.status !== 'failed';
    let table: ParticleTable | null = null;
    if (hasOutputs && existsSync(csv)) {
      try {
        table = await readParticleTable(csv);
      } catch (err) {
        problems.push(err instanceof PhotosieveError ? err.toLine() : `${csv}: ${String(err)}`);
      }
    } else if (hasOutputs) problems.push(`${csv}: missing. Fix: ${fix}`);
    if (hasOutputs && overlay === null && candidates.length > 0) problems.push(`${candidates[0]}: missing. Fix: ${fix}`);
    const h = hist?.rows.get(im.name);
    const m = measureBy.get(im.name);
    const e = evalBy.get(im.name);
    const edgeCol = table ? table.columns.indexOf('touches_edge') : -1;
    const scale = im.scale ?? summary.scale;
    // mm bins and no scale for this photo (a damaged run.json): no curve drawn on a guessed mm/px.
    const sieve = table && spec && (spec.unit === 'px' || scale !== null) ? imageSieve(table, spec, scale) : null;
    sieves.push(sieve);
    const instances = join(dir, 'instances', `${im.name}.png`);
    images.push({
      name: im.name,
      scale,
      path: im.path ?? null,
      status: im.status,
      error: im.error ?? null,
      width: im.width ?? null,
      height: im.height ?? null,
      particles: table ? table.rows.length : (im.particles ?? null),
      seconds: sumTimings(im.timings),
      overlay: hasOutputs ? overlay : null,
      particlesCsv: table ? csv : null,
      table,
      binned: h?.n ?? im.measure?.n ?? null,
      vector: h?.vector ?? im.measure?.fractions ?? null,
      truth: m?.truth ?? e?.truth ?? null,
      percentiles: h?.percentiles ?? (im.measure ? PERCENTILE_KEYS.flatMap((k) => (im.measure![k] === undefined ? [] : [{ name: k.toUpperCase(), value: im.measure![k] }])) : []),
      cu: h ? h.cu : (im.measure?.cu ?? null),
      cc: h ? h.cc : (im.measure?.cc ?? null),
      metrics: e
        ? { rmse: e.rmse, mae: e.mae, maxBinError: e.maxBinError, kl: e.kl, rmseConstant: e.rmseConstant, group: e.group, source: 'evaluation.json' }
        : m?.rmse !== undefined
          ? { rmse: m.rmse, mae: null, maxBinError: null, kl: null, rmseConstant: null, group: null, source: 'run.json' }
          : null,
      warnings: im.measure?.warnings ?? [],
      unmeasuredAreaFraction: im.measure?.unmeasuredAreaFraction ?? null,
      unresolvedAreaFraction: im.measure?.unresolvedAreaFraction ?? null,
      edgeTouching: table && edgeCol >= 0 ? table.rows.filter((r) => r[edgeCol] === 1).length : null,
      instances: hasOutputs && existsSync(instances) ? instances : null,
      curve: sieve?.curve ?? null,
      classes: sieve?.classes ?? null,
    });
  }
  const bins = hist?.bins ?? run.measure?.bins ?? null;
  let batch: BatchSieve | null = null;
  if (spec) {
    const pooledFile = pooledFileOf(dir);
    const row = pooledFile ? parsePooledTable(await readRunCsv(pooledFile, fix), bins, fix) : null;
    batch = batchSieve(images.map((im, k) => ({ sieve: sieves[k] ?? null, truth: im.truth, inVector: im.vector !== null })), spec, pooledFile, row);
    for (const im of images) {
      const note = dominantNote(im.vector, spec, batch.suggestion);
      if (note && !im.warnings.includes(note)) im.warnings = [...im.warnings, note];
    }
  }
  return { dir, summary, bins, images, evaluation, problems, batch, histogramsFile: hist ? histFile : null };
}
