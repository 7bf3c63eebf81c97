// `photosieve segment` as a library call: check (flags, scales, truth, model), plan (names, resume, settings
// conflicts), run (worker pool or this thread), record (histograms.csv, measure.json, run.json). Returns everything
// the CLI prints; never calls process.exit.
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import type { BinSpec } from '../aggregate/index.js';
import { readTruthTable, validateBinSpec } from '../aggregate/index.js';
import type { RoiSpec } from '../annotate/index.js';
import { describeRoi } from '../annotate/index.js';
import type { ImageHeader, SegmentMemoryOptions } from '../core/index.js';
import { DEFAULT_MAX_EXPANSION, PhotosieveError, binColumnNames, checkMaxExpansion, errorLine, invalidParameter, listNames, memoryBudget } from '../core/index.js';
import { liveMatCount } from '../cv/index.js';
import { DEFAULT_MAX_PIXELS, writeJsonAtomic } from '../io/index.js';
import { createSegmenter } from '../segment/createSegmenter.js';
import { liveTensorCount } from '../segment/engine.js';
import { readModelMeta } from '../segment/modelMeta.js';
import { pyramidLevels } from '../segment/multiscale.js';
import { inferenceTileSize } from '../segment/semantic.js';
import { DEFAULT_STRIP_MARGIN } from '../segment/strips.js';
import { liveSessionCount } from '../segment/ortEngine.js';
import type { ImageSettings } from './fingerprint.js';
import { modelIdentity, resultSegmenterOptions } from './fingerprint.js';
import { conflictError, engineConflictError, planBatch } from './plan.js';
import { defaultWorkers, runPool } from './pool.js';
import { engineOf, processImage } from './processImage.js';
import type { Leftovers, SegmenterInfo } from './protocol.js';
import type { RunJsonInput } from './runFiles.js';
import { MEASURE_JSON, RUN_JSON } from './runFiles.js';
import { planMemory } from './memoryPlan.js';
import { matchScales, tableNameOf } from './scales.js';
import { removeStaleTempFiles } from './tempFiles.js';
import type { BatchImage, BatchOptions, ImageJob, ImageResult, JobContext, OverlayKind, StageTimings } from './types.js';
import { DEFAULT_OVERLAYS, OVERLAY_KINDS, STAGES } from './types.js';
import type { BatchMeasureSummary } from './writeBatchOutputs.js';
import { HISTOGRAMS_CSV, writeBatchOutputs } from './writeBatchOutputs.js';
import { packageVersion } from './version.js';

export { RUN_JSON } from './runFiles.js';

/** Files that describe the whole batch: removed when a run starts changing images, written when it completes. */
export const BATCH_FILES = [RUN_JSON, HISTOGRAMS_CSV, MEASURE_JSON, 'evaluation.json'] as const;

export interface StageTotals {
  /** Summed over processed images (worker time, so it can exceed wall time with several workers). */
  ms: number;
  /** Megapixels processed per second of this stage's time. */
  mpPerS: number;
}

export interface BatchReport {
  results: ImageResult[];
  info: SegmenterInfo | undefined;
  workers: number;
  wallMs: number;
  stages: Record<(typeof STAGES)[number], StageTotals>;
  /** Tensors, Mats and ONNX sessions alive after the batch, per worker (or this thread): all zero unless something leaks. */
  leftovers: Leftovers[];
  /** The overlay kind written (run.json options.overlays). */
  overlays: OverlayKind;
  runJsonPath: string;
  /** Size distributions and --truth RMSE (when a bin spec was given). */
  measure: BatchMeasureSummary | undefined;
  failed: number;
  /**
   * The signal stopped the batch: images not started are absent from `results`, and the batch files (run.json,
   * histograms.csv, measure.json) were not written; a rerun resumes.
   */
  interrupted: boolean;
  /** Things worth a line: rows of --scales that name no photo of the batch, fewer workers for memory, stale temp files removed. */
  notes: string[];
  /**
   * Batch files that could not be written (histograms.csv, measure.json, …), one line each; when run.json itself
   * could not be written, its line is last and `runJsonWritten` is false. Each is a failure of the run (exit 1).
   */
  problems: string[];
  runJsonWritten: boolean;
}

function readVersions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const version = (spec: string): string => {
    try {
      return (require(spec) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    photosieve: packageVersion(),
    node: process.versions.node,
    tfjs: version('@tensorflow/tfjs/package.json'),
    onnxruntime: version('onnxruntime-node/package.json'),
    opencv: version('@techstark/opencv-js/package.json'),
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips ?? 'unknown',
  };
}

function totals(results: ImageResult[]): BatchReport['stages'] {
  const done = results.filter((r) => r.status === 'done' && r.timings && r.width && r.height);
  const mp = done.reduce((a, r) => a + (r.width! * r.height!) / 1e6, 0);
  const stage = (key: keyof StageTimings): StageTotals => {
    const ms = done.reduce((a, r) => a + r.timings![key], 0);
    return { ms, mpPerS: ms > 0 ? mp / (ms / 1000) : 0 };
  };
  return { decode: stage('decodeMs'), semantic: stage('semanticMs'), instances: stage('instancesMs'), measure: stage('measureMs'), write: stage('writeMs') };
}

function named(image: BatchImage): { path: string; name: string } {
  return typeof image === 'string' ? { path: image, name: basename(image, extname(image)) } : image;
}

/**
 * Reads and validates --truth (core/stemTable.ts matches it to the photos), before any image is processed: a bad
 * table, other bins, or a row two photos could claim stop the batch with one line. Photos without a row are fine
 * (they are listed after the run).
 */
async function matchTruth(file: string, images: readonly { path: string; name: string }[], spec: BinSpec | undefined): Promise<Map<string, number[]>> {
  const truth = await readTruthTable(file);
  if (spec && truth.bins.length !== spec.edges.length + 1) {
    throw new PhotosieveError('E_INPUT', `the truth table has ${truth.bins.length} bins, the batch ${spec.edges.length + 1} (${binColumnNames(spec.edges, spec.unit).join(',')}).`, {
      file,
      fix: 'measure with the bins of the truth table (--bins)',
    });
  }
  const names = images.map(tableNameOf);
  const nameOf = new Map(names.map((n, k) => [n, images[k]!.name]));
  const match = truth.table.matchAll(names);
  if (match.ambiguous.length > 0) {
    const listed = match.ambiguous.map((a) => `${nameOf.get(a.photo) ?? a.photo} (rows ${a.rows.join(', ')})`);
    throw new PhotosieveError('E_INPUT', `the truth table does not say which row belongs to ${match.ambiguous.length} photo(s): ${listNames(listed, 5)}.`, {
      file,
      fix: 'name those photos as in the outputs, with their folders (site-a/IMG_1), or by their full file name',
    });
  }
  return new Map(match.matched.map((m) => [nameOf.get(m.photo) ?? m.photo, m.row.value.vector]));
}

/**
 * What the memory estimate needs to know of the model: its output channels and whether it fuses a pyramid; and the
 * strip margin for a photo: --max-size when given, else the reach of a scale-band model's pyramid (its band top
 * × 2^levels, which is about half the photo's shorter side, so such photos rarely gain from strips), else
 * DEFAULT_STRIP_MARGIN.
 */
async function memoryModelOf(
  model: { kind: 'unet' | 'classical'; path: string },
  segmenter: BatchOptions['segmenter'],
): Promise<{ memory: SegmentMemoryOptions; stripMargin: (header: ImageHeader) => number; tileContext: number }> {
  const maxSizePx = segmenter.maxSizePx;
  const byMaxSize = maxSizePx === undefined ? undefined : Math.ceil(maxSizePx);
  if (model.kind === 'classical') return { memory: { classes: 3, multiscale: false }, stripMargin: () => byMaxSize ?? DEFAULT_STRIP_MARGIN, tileContext: 0 };
  const meta = await readModelMeta(model.path);
  const multiscale = meta.sizeBand !== undefined && segmenter.multiscale !== false;
  const band = multiscale ? meta.sizeBand : undefined;
  const stripMargin = (header: ImageHeader): number => byMaxSize ?? (band ? Math.ceil(band.maxPx * 2 ** pyramidLevels(meta, header.width, header.height)) : DEFAULT_STRIP_MARGIN);
  return { memory: { classes: meta.classes.length, multiscale }, stripMargin, tileContext: segmenter.tileSize ?? inferenceTileSize(meta) };
}

export async function runSegmentBatch(options: BatchOptions): Promise<BatchReport> {
  const started = new Date();
  const t0 = performance.now();
  if (options.images.length === 0) throw new PhotosieveError('E_PARAM', 'no images given.', { fix: 'pass image files, folders or glob patterns' });
  const workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 0) throw invalidParameter('--workers', 'an integer ≥ 0 (0 = no worker threads)', workers);
  const roi: RoiSpec = options.roi ?? { kind: 'none' };
  const overlays = options.overlays ?? DEFAULT_OVERLAYS;
  if (!OVERLAY_KINDS.includes(overlays)) throw invalidParameter('--overlays', OVERLAY_KINDS.join(' | '), overlays, 'pass --overlays jpg (default), png or none');
  const measure = options.measure ?? {};
  const images = options.images.map(named);

  // Everything that can be wrong with the flags, the tables or the model fails here, before any file is written.
  if (measure.scale !== undefined && measure.scales !== undefined) {
    throw new PhotosieveError('E_PARAM', '--scale and --scales cannot be combined.', { fix: 'pass one scale for the batch (--scale) or a table of them (--scales)' });
  }
  const scaled = measure.scales === undefined ? undefined : await matchScales(measure.scales, images);
  const scaleOf = (index: number): number | undefined => scaled?.scales[index] ?? measure.scale;
  if (measure.spec) validateBinSpec(measure.spec, scaled?.scales[0] ?? measure.scale);
  const truth = measure.truth === undefined ? undefined : await matchTruth(measure.truth, images, measure.spec);
  const model = await modelIdentity(options.segmenter.model);
  const { memory: memoryModel, stripMargin, tileContext } = await memoryModelOf(model, options.segmenter);
  const maxExpansion = options.maxExpansion ?? DEFAULT_MAX_EXPANSION;
  checkMaxExpansion(maxExpansion);
  const budget = memoryBudget({ maxMemory: options.maxMemory });
  const base = { photosieve: packageVersion(), model, segmenter: resultSegmenterOptions(options.segmenter, model.kind), roi, spec: measure.spec ?? null };
  const settingsOf = (index: number): ImageSettings => ({ ...base, scale: scaleOf(index) ?? null });

  const plan = await planBatch({ images, out: options.out, force: options.force ?? false, overlays, settings: settingsOf, scale: scaleOf });
  if (plan.conflicts.length > 0) throw conflictError(options.out, plan.conflicts, images.length);
  const { early } = plan;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const context: JobContext = { out: options.out, roi, maxPixels, maxExpansion, spec: measure.spec, overlays, memory: memoryModel, ...(options.maxMemory !== undefined ? { maxMemory: options.maxMemory } : {}) };
  const notes: string[] = [];
  // A run killed mid-write left temporary files beside its outputs: they go before anything is written again.
  const stale = await removeStaleTempFiles(options.out);
  if (stale.length > 0) notes.push(`removed ${stale.length} temporary file(s) an interrupted run left in ${options.out} (${listNames(stale, 3)})`);
  const memory = await planMemory({ jobs: plan.jobs, budget, workers, maxPixels, maxExpansion, model: memoryModel, stripMargin, tileContext, overlay: overlays !== 'none', roi: roi.kind !== 'none', strips: options.strips });
  for (const [index, result] of memory.refused) early.set(index, result);
  if (memory.note) notes.push(memory.note);
  const jobs = memory.jobs;

  const total = images.length;
  const pixels = memory.pixels;
  const pixelsTotal = [...pixels.values()].reduce((a, b) => a + b, 0);
  const progress = options.onProgress;
  const earlyResults = [...early.values()];
  progress?.({ kind: 'start', total, jobs: jobs.length, skipped: earlyResults.filter((r) => r.status === 'skipped').length, failed: earlyResults.filter((r) => r.status === 'failed').length, pixels: pixelsTotal });
  let done = 0;
  let pixelsDone = 0;
  for (const [, result] of [...early].sort(([a], [b]) => a - b)) {
    done += 1;
    progress?.({ kind: 'image', done, total, name: result.name, result, pixelsDone, pixelsTotal });
  }
  const onResult = (job: ImageJob, result: ImageResult): void => {
    done += 1;
    pixelsDone += pixels.get(job.index) ?? 0;
    progress?.({ kind: 'image', done, total, name: job.name, result, pixelsDone, pixelsTotal });
  };
  const onTile = (job: ImageJob, d: number, t: number): void => progress?.({ kind: 'tile', name: job.name, done: d, total: t });
  // Once the engine is known: it must be the one that made the images this run skips; then the batch files go, so
  // an interrupted run never leaves a run.json or histograms.csv that describes other outputs.
  const onReady = async (info: SegmenterInfo): Promise<void> => {
    const conflict = engineConflictError(options.out, engineOf(info), plan.skippedEngines);
    if (conflict) throw conflict;
    await Promise.all(BATCH_FILES.map((f) => rm(join(options.out, f), { force: true })));
    progress?.({ kind: 'engine', info });
  };

  let info: SegmenterInfo | undefined;
  let processed: (ImageResult | undefined)[] = [];
  let leftovers: BatchReport['leftovers'] = [];
  let usedWorkers = 0;
  const signal = options.signal;
  if (jobs.length > 0 && workers > 0 && !signal?.aborted) {
    usedWorkers = Math.min(memory.workers, jobs.length);
    // ORT threads share the cores among workers: N workers on N cores run one thread each (measured as fast as one
    // worker with N threads for the U-Net, and the other stages only scale with workers).
    const threads = options.segmenter.threads ?? Math.max(1, Math.floor(availableParallelism() / usedWorkers));
    const outcome = await runPool(jobs, { segmenter: { ...options.segmenter, threads }, context }, usedWorkers, { onReady, onTile, onResult, signal });
    ({ info, leftovers } = outcome);
    processed = outcome.results;
  } else if (jobs.length > 0 && !signal?.aborted) {
    const segmenter = await createSegmenter(options.segmenter);
    try {
      info = { kind: segmenter.kind, modelId: segmenter.modelId, meta: segmenter.meta, backend: segmenter.backend };
      await onReady(info);
      for (const job of jobs) {
        if (signal?.aborted) break;
        const result = await processImage(segmenter, job, context, (d, t) => onTile(job, d, t));
        processed.push(result);
        onResult(job, result);
      }
    } finally {
      await segmenter.dispose();
    }
    leftovers = [{ tensors: liveTensorCount(), mats: liveMatCount(), sessions: liveSessionCount() }];
  }
  const byIndex = new Map<number, ImageResult>(early);
  jobs.forEach((job, k) => {
    const r = processed[k];
    if (r) byIndex.set(job.index, r);
  });
  const interrupted = byIndex.size < images.length;
  const results = images.flatMap((_, index) => byIndex.get(index) ?? []);
  const wallMs = performance.now() - t0;
  const stages = totals(results);
  if (scaled && scaled.unused.length > 0) notes.unshift(`${measure.scales}: ${scaled.unused.length} row(s) name no photo of this batch (${scaled.unused.slice(0, 3).join(', ')}${scaled.unused.length > 3 ? ', …' : ''})`);
  const failed = results.filter((r) => r.status === 'failed').length;
  const runJsonPath = join(options.out, RUN_JSON);
  const problems: string[] = [];
  const report = { results, info, workers: usedWorkers, wallMs, stages, leftovers, overlays, runJsonPath, failed, interrupted, notes, problems };
  if (interrupted) return { ...report, measure: undefined, runJsonWritten: false };

  const scales = scaled ? new Map(images.map((im, k) => [im.name, scaled.scales[k]!])) : undefined;
  // A full disk or a lost mount may stop the batch files too: each is one line, and run.json is still tried, so
  // the failures of the images are on record whatever else could not be written.
  let batchMeasure: BatchMeasureSummary | undefined;
  try {
    batchMeasure = await writeBatchOutputs({ out: options.out, results, spec: measure.spec, scale: measure.scale, scales, truth });
  } catch (err) {
    problems.push(errorLine(err));
  }
  const count = (s: ImageResult['status']): number => results.filter((r) => r.status === s).length;
  const runJson = {
    tool: 'photosieve segment',
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    // The same whether this run segmented or only resumed; the engine is this run's (absent when nothing ran: the
    // records say which engine made each image).
    model: { kind: model.kind, id: model.path, ...(model.sha256 ? { sha256: model.sha256 } : {}), meta: info?.meta ?? (model.kind === 'unet' ? await readModelMeta(model.path) : null) },
    backend: info?.backend ?? (model.kind === 'classical' ? { name: 'none (classical mode uses no TensorFlow.js)' } : undefined),
    options: {
      segmenter: { ...options.segmenter },
      roi: describeRoi(roi),
      maxPixels: context.maxPixels,
      maxExpansion,
      measure: {
        ...(measure.scale !== undefined ? { scale: measure.scale } : {}),
        ...(measure.scales !== undefined ? { scales: measure.scales } : {}),
        ...(measure.spec ? { spec: measure.spec } : {}),
        ...(measure.truth !== undefined ? { truth: measure.truth } : {}),
      },
      overlays,
      force: options.force ?? false,
    },
    workers: usedWorkers,
    wallSeconds: wallMs / 1000,
    stages,
    counts: { done: count('done'), skipped: count('skipped'), failed: count('failed') },
    images: results,
    measure: batchMeasure ?? null,
    ...(problems.length > 0 ? { problems: [...problems] } : {}),
    versions: readVersions(),
  } satisfies RunJsonInput;
  let runJsonWritten = true;
  try {
    await writeJsonAtomic(runJsonPath, runJson);
  } catch (err) {
    runJsonWritten = false;
    problems.push(`${errorLine(err).replace(/\. Fix: /, ': the failures above are not on record. Fix: ')}`);
  }
  return { ...report, measure: batchMeasure, runJsonWritten };
}
