// `photosieve segment` as a library call: check (flags, scales, truth, model), plan (names, resume, settings
// conflicts), run (worker pool or this thread), record (histograms.csv, measure.json, run.json). Returns everything
// the CLI prints; never calls process.exit.
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { parseTruth, validateBinSpec } from '../aggregate/index.js';
import type { RoiSpec } from '../annotate/index.js';
import { describeRoi } from '../annotate/index.js';
import { PhotosieveError, binColumnNames, invalidParameter } from '../core/index.js';
import { liveMatCount } from '../cv/index.js';
import { DEFAULT_MAX_PIXELS, readCsv, readImageSize, writeJsonAtomic } from '../io/index.js';
import { createSegmenter } from '../segment/createSegmenter.js';
import { liveTensorCount } from '../segment/engine.js';
import { readModelMeta } from '../segment/modelMeta.js';
import { liveSessionCount } from '../segment/ortEngine.js';
import type { ImageSettings } from './fingerprint.js';
import { modelIdentity, resultSegmenterOptions } from './fingerprint.js';
import { conflictError, engineConflictError, planBatch } from './plan.js';
import { defaultWorkers, runPool } from './pool.js';
import { engineOf, processImage } from './processImage.js';
import type { Leftovers, SegmenterInfo } from './protocol.js';
import type { RunJsonInput } from './runFiles.js';
import { MEASURE_JSON, RUN_JSON } from './runFiles.js';
import { matchScales } from './scales.js';
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
  /** Things worth a line: rows of --scales that name no photo of the batch. */
  notes: string[];
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

/** Pixels of each job from its header (for progress in pixels); 0 when the header cannot be read. */
async function jobPixels(jobs: readonly ImageJob[]): Promise<Map<number, number>> {
  const pixels = new Map<number, number>();
  const queue = [...jobs];
  const lane = async (): Promise<void> => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const size = await readImageSize(job.path).catch(() => undefined);
      pixels.set(job.index, size ? size.width * size.height : 0);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  return pixels;
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
  const truth = measure.truth === undefined ? undefined : parseTruth(await readCsv(measure.truth));
  if (truth && measure.spec && truth.bins.length !== measure.spec.edges.length + 1) {
    throw new PhotosieveError('E_INPUT', `the truth table has ${truth.bins.length} bins, the batch ${measure.spec.edges.length + 1} (${binColumnNames(measure.spec.edges, measure.spec.unit).join(',')}).`, {
      file: measure.truth,
      fix: 'measure with the bins of the truth table (--bins)',
    });
  }
  const model = await modelIdentity(options.segmenter.model);
  const base = { photosieve: packageVersion(), model, segmenter: resultSegmenterOptions(options.segmenter, model.kind), roi, spec: measure.spec ?? null };
  const settingsOf = (index: number): ImageSettings => ({ ...base, scale: scaleOf(index) ?? null });

  const plan = await planBatch({ images, out: options.out, force: options.force ?? false, overlays, settings: settingsOf, scale: scaleOf });
  if (plan.conflicts.length > 0) throw conflictError(options.out, plan.conflicts, images.length);
  const { jobs, early } = plan;
  const context: JobContext = { out: options.out, roi, maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS, spec: measure.spec, overlays };

  const total = images.length;
  const pixels = jobs.length > 0 ? await jobPixels(jobs) : new Map<number, number>();
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
    usedWorkers = Math.min(workers, jobs.length);
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
  const notes = scaled && scaled.unused.length > 0 ? [`${measure.scales}: ${scaled.unused.length} row(s) name no photo of this batch (${scaled.unused.slice(0, 3).join(', ')}${scaled.unused.length > 3 ? ', …' : ''})`] : [];
  const failed = results.filter((r) => r.status === 'failed').length;
  const runJsonPath = join(options.out, RUN_JSON);
  const report = { results, info, workers: usedWorkers, wallMs, stages, leftovers, overlays, runJsonPath, failed, interrupted, notes };
  if (interrupted) return { ...report, measure: undefined };

  const scales = scaled ? new Map(images.map((im, k) => [im.name, scaled.scales[k]!])) : undefined;
  const batchMeasure = await writeBatchOutputs({ out: options.out, results, spec: measure.spec, scale: measure.scale, scales, truth });
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
    versions: readVersions(),
  } satisfies RunJsonInput;
  await writeJsonAtomic(runJsonPath, runJson);
  return { ...report, measure: batchMeasure };
}
