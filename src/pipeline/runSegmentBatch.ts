// `photosieve segment` as a library call: plan (names, resume), run (worker pool or this thread), record
// (run.json, the batch hook). Returns everything the CLI prints; never calls process.exit.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { RoiSpec } from '../annotate/index.js';
import { describeRoi } from '../annotate/index.js';
import { PhotosieveError, invalidParameter } from '../core/index.js';
import { liveMatCount } from '../cv/index.js';
import { DEFAULT_MAX_PIXELS, writeJsonAtomic } from '../io/index.js';
import { createSegmenter, resolveModelOption } from '../segment/createSegmenter.js';
import { liveTensorCount } from '../segment/engine.js';
import { liveSessionCount } from '../segment/ortEngine.js';
import { processImage } from './processImage.js';
import { defaultWorkers, runPool } from './pool.js';
import type { Leftovers, SegmenterInfo } from './protocol.js';
import type { BatchOptions, ImageJob, ImageResult, JobContext, OverlayKind, StageTimings } from './types.js';
import { DEFAULT_OVERLAYS, OVERLAY_KINDS, STAGES } from './types.js';
import type { BatchMeasureSummary } from './writeBatchOutputs.js';
import { writeBatchOutputs } from './writeBatchOutputs.js';
import { expectedOutputs } from './writeImageOutputs.js';

export const RUN_JSON = 'run.json';

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
}

function stemOf(path: string): string {
  return basename(path, extname(path));
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
    photosieve: version('../../package.json'),
    node: process.versions.node,
    tfjs: version('@tensorflow/tfjs/package.json'),
    onnxruntime: version('onnxruntime-node/package.json'),
    opencv: version('@techstark/opencv-js/package.json'),
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
  };
}

async function previousRun(path: string): Promise<Map<string, ImageResult>> {
  try {
    const json = JSON.parse(await readFile(path, 'utf8')) as { images?: ImageResult[] };
    return new Map((json.images ?? []).map((r) => [r.name, r]));
  } catch {
    return new Map();
  }
}

function plan(images: string[], out: string, force: boolean, overlays: JobContext['overlays'], previous: Map<string, ImageResult>): { jobs: ImageJob[]; early: Map<number, ImageResult> } {
  const seen = new Map<string, string>();
  const jobs: ImageJob[] = [];
  const early = new Map<number, ImageResult>();
  const outAbs = resolve(out);
  images.forEach((path, index) => {
    const name = stemOf(path);
    const first = seen.get(name);
    if (first !== undefined) {
      early.set(index, {
        name,
        path,
        status: 'failed',
        error: `${path}: has the same name as ${first}, so their outputs would collide. Fix: rename one, or segment them into different --out folders`,
      });
      return;
    }
    seen.set(name, path);
    const outputs = expectedOutputs(out, name, overlays);
    if (outputs.some((o) => resolve(o) === resolve(path)) || resolve(path).startsWith(join(outAbs, 'instances'))) {
      early.set(index, { name, path, status: 'failed', error: `${path}: is inside the output folder and would be overwritten. Fix: choose another --out` });
      return;
    }
    if (!force && outputs.every((o) => existsSync(o))) {
      const before = previous.get(name);
      early.set(index, { ...(before?.status === 'done' ? before : { name, path }), name, path, status: 'skipped' });
      return;
    }
    jobs.push({ index, path, name });
  });
  return { jobs, early };
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

export async function runSegmentBatch(options: BatchOptions): Promise<BatchReport> {
  const started = new Date();
  const t0 = performance.now();
  if (options.images.length === 0) throw new PhotosieveError('E_PARAM', 'no images given.', { fix: 'pass image files, folders or glob patterns' });
  const workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 0) throw invalidParameter('--workers', 'an integer ≥ 0 (0 = no worker threads)', workers);
  const roi: RoiSpec = options.roi ?? { kind: 'none' };
  // Fail on a bad --model before any thread starts or any file is read.
  resolveModelOption(options.segmenter.model);
  const runJsonPath = join(options.out, RUN_JSON);
  const overlays = options.overlays ?? DEFAULT_OVERLAYS;
  if (!OVERLAY_KINDS.includes(overlays)) throw invalidParameter('--overlays', OVERLAY_KINDS.join(' | '), overlays, 'pass --overlays jpg (default), png or none');
  const { jobs, early } = plan(options.images, options.out, options.force ?? false, overlays, await previousRun(runJsonPath));
  const context: JobContext = { out: options.out, roi, maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS, measure: options.measure ?? {}, overlays };
  const total = options.images.length;
  let done = early.size;
  const progress = options.onProgress;
  progress?.({ kind: 'image', done, total, name: '' });
  const onResult = (job: ImageJob): void => {
    done += 1;
    progress?.({ kind: 'image', done, total, name: job.name });
  };
  const onTile = (job: ImageJob, d: number, t: number): void => progress?.({ kind: 'tile', name: job.name, done: d, total: t });

  let info: SegmenterInfo | undefined;
  let processed: ImageResult[] = [];
  let leftovers: BatchReport['leftovers'] = [];
  let usedWorkers = 0;
  if (jobs.length > 0 && workers > 0) {
    usedWorkers = Math.min(workers, jobs.length);
    // ORT threads share the cores among workers: N workers on N cores run one thread each (measured as fast as one
    // worker with N threads for the U-Net, and the other stages only scale with workers).
    const threads = options.segmenter.threads ?? Math.max(1, Math.floor(availableParallelism() / usedWorkers));
    const outcome = await runPool(jobs, { segmenter: { ...options.segmenter, threads }, context }, usedWorkers, { onTile, onResult: (job) => onResult(job) });
    ({ info, leftovers } = outcome);
    processed = outcome.results;
  } else if (jobs.length > 0) {
    const segmenter = await createSegmenter(options.segmenter);
    try {
      info = { kind: segmenter.kind, modelId: segmenter.modelId, meta: segmenter.meta, backend: segmenter.backend };
      for (const job of jobs) {
        processed.push(await processImage(segmenter, job, context, (d, t) => onTile(job, d, t)));
        onResult(job);
      }
    } finally {
      await segmenter.dispose();
    }
    leftovers = [{ tensors: liveTensorCount(), mats: liveMatCount(), sessions: liveSessionCount() }];
  }
  const byIndex = new Map<number, ImageResult>(early);
  jobs.forEach((job, k) => byIndex.set(job.index, processed[k]!));
  const results = options.images.map((_, index) => byIndex.get(index)!);
  const wallMs = performance.now() - t0;
  const stages = totals(results);
  const measure = await writeBatchOutputs({ out: options.out, results, measure: context.measure });
  await writeJsonAtomic(runJsonPath, {
    tool: 'photosieve segment',
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    model: info ? { kind: info.kind, id: info.modelId, meta: info.meta } : { id: options.segmenter.model, note: 'no image processed in this run' },
    backend: info?.backend ?? (info?.kind === 'classical' ? { name: 'none (classical mode uses no TensorFlow.js)' } : undefined),
    options: { segmenter: options.segmenter, roi: describeRoi(roi), maxPixels: context.maxPixels, measure: context.measure, overlays, force: options.force ?? false },
    workers: usedWorkers,
    wallSeconds: wallMs / 1000,
    stages,
    images: results,
    measure: measure ?? null,
    versions: readVersions(),
  });
  return { results, info, workers: usedWorkers, wallMs, stages, leftovers, overlays, runJsonPath, measure, failed: results.filter((r) => r.status === 'failed').length };
}
