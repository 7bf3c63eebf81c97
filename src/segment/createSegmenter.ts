// The segmenter factory: one object per process or worker holding the loaded model (or classical mode), with
// segment(raster) → instances and dispose(). Config is validated here once, before any photo is read.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { InstanceMap, Raster } from '../core/index.js';
import { PhotosieveError, invalidParameter } from '../core/index.js';
import { loadOpenCV } from '../cv/index.js';
import type { BackendInfo } from './backend.js';
import { initBackend } from './backend.js';
import type { ClassicalOptions } from './classical.js';
import { classicalInstances, resolveClassicalOptions } from './classical.js';
import type { InstanceOptions } from './instances.js';
import { probabilitiesToInstances, resolveInstanceOptions } from './instances.js';
import type { ModelMeta } from './modelMeta.js';
import { MODEL_FILES, loadModelFolder } from './modelFolder.js';
import { checkResize, growInstances, scaleNearest, shrinkRaster } from './resize.js';
import type { Probabilities } from './semantic.js';
import { MAX_BATCH_PIXELS, defaultBatchSize, predictProbabilities } from './semantic.js';
import { minOverlap } from './tiling.js';

export const CLASSICAL = 'classical';
export const DEFAULT_MODEL = 'default';

export interface SegmenterOptions {
  /** A model folder, 'classical' (no model), or 'default' (the model shipped in the package's models/default). */
  model: string;
  /** Instance stage knobs for model mode. @default DEFAULT_INSTANCE_OPTIONS */
  instance?: Partial<InstanceOptions>;
  /** Knobs of classical mode. @default DEFAULT_CLASSICAL_OPTIONS */
  classical?: Partial<ClassicalOptions>;
  /** Tiles per model call. @default 4 for 256² tiles (at most 8 × 256² pixels per call) */
  batchSize?: number;
  /** Tile overlap, px, ≥ tile/8. @default tile/4 */
  overlap?: number;
  /** Shrink photos by this factor before segmenting (0, 1]; only when particles are much larger than needed. @default 1 */
  resize?: number;
}

export interface SegmentCallOptions {
  /** Progress of the semantic stage: tiles done, tiles in this photo. */
  onTile?: (done: number, total: number) => void;
  /** 1 inside the region of interest (input's size); outside stays background. */
  roi?: Uint8Array;
  /** Return the probability map too (memory: 12 bytes per pixel). @default false */
  keepProbabilities?: boolean;
}

export interface SegmentTimings {
  /** U-Net (or classical thresholding, which is counted with the instance stage) in ms. */
  semanticMs: number;
  /** Markers, watershed, holes, minimum area, in ms. */
  instancesMs: number;
}

export interface SegmentResult {
  instances: InstanceMap;
  probabilities?: Probabilities;
  timings: SegmentTimings;
  tiles: number;
}

export interface Segmenter {
  readonly kind: 'unet' | 'classical';
  /** What run.json records: the model folder's absolute path, or 'classical'. */
  readonly modelId: string;
  readonly meta: ModelMeta | undefined;
  readonly backend: BackendInfo | undefined;
  segment(raster: Raster, options?: SegmentCallOptions): Promise<SegmentResult>;
  dispose(): void;
}

/** The package's default model folder (models/default beside src/ and dist/). */
export function defaultModelDir(): string {
  return fileURLToPath(new URL('../../models/default', import.meta.url));
}

/** Resolves --model to 'classical' or an absolute folder; errors say what to pass instead. */
export function resolveModelOption(model: string): string {
  if (model === CLASSICAL) return CLASSICAL;
  if (model === DEFAULT_MODEL) {
    const dir = defaultModelDir();
    if (!existsSync(resolve(dir, MODEL_FILES.meta))) {
      throw new PhotosieveError('E_INPUT', 'no default model yet; use --model classical or --model DIR.', {
        fix: 'pass --model classical (no U-Net) or --model DIR with a trained model folder',
      });
    }
    return dir;
  }
  const dir = resolve(model);
  if (!existsSync(dir)) {
    throw new PhotosieveError('E_INPUT', 'the model folder does not exist.', { file: model, fix: 'pass --model DIR, --model default or --model classical' });
  }
  return dir;
}

function now(): number {
  return performance.now();
}

export async function createSegmenter(options: SegmenterOptions): Promise<Segmenter> {
  const resize = options.resize ?? 1;
  checkResize(resize);
  const modelId = resolveModelOption(options.model);
  if (modelId === CLASSICAL) {
    const classical = resolveClassicalOptions(options.classical);
    await loadOpenCV();
    return {
      kind: 'classical',
      modelId,
      meta: undefined,
      backend: undefined,
      async segment(raster, call = {}) {
        const t0 = now();
        const work = resize < 1 ? await shrinkRaster(raster, resize) : raster;
        const roi = call.roi && resize < 1 ? scaleNearest(call.roi, raster.width, raster.height, work.width, work.height, (n) => new Uint8Array(n)) : call.roi;
        const small = await classicalInstances(work, { ...classical, minArea: Math.round(classical.minArea * resize * resize) }, roi);
        const instances = resize < 1 ? growInstances(small, raster.width, raster.height) : small;
        return { instances, timings: { semanticMs: 0, instancesMs: now() - t0 }, tiles: 0 };
      },
      dispose() {},
    };
  }
  const backend = await initBackend();
  const [{ model, meta }] = await Promise.all([loadModelFolder(modelId), loadOpenCV()]);
  // The model's own tuned instance settings first, then whatever the caller set explicitly.
  const instance = resolveInstanceOptions({ ...(meta.instance as Partial<InstanceOptions> | undefined), ...options.instance });
  const t = meta.tileSize;
  const batchSize = options.batchSize ?? defaultBatchSize(t);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize * t * t > MAX_BATCH_PIXELS) {
    model.dispose();
    throw invalidParameter('--batch', `an integer from 1 to ${Math.max(1, Math.floor(MAX_BATCH_PIXELS / (t * t)))} for this model's ${t}² tiles`, batchSize);
  }
  if (options.overlap !== undefined && (!Number.isInteger(options.overlap) || options.overlap < minOverlap(t) || options.overlap > t / 2)) {
    model.dispose();
    throw invalidParameter('--overlap', `an integer from ${minOverlap(t)} to ${t / 2} px for ${t}² tiles`, options.overlap);
  }
  // Warm-up: the first call compiles kernels; doing it here keeps per-photo timings honest.
  tf.tidy(() => {
    (model.predict(tf.zeros([1, t, t, meta.inputChannels])) as tf.Tensor).dataSync();
  });
  let disposed = false;
  return {
    kind: 'unet',
    modelId,
    meta,
    backend,
    async segment(raster, call = {}) {
      if (disposed) throw new Error('segment() called after dispose()');
      const t0 = now();
      const work = resize < 1 ? await shrinkRaster(raster, resize) : raster;
      let tiles = 0;
      const onTile = (done: number, total: number): void => {
        tiles = total;
        call.onTile?.(done, total);
      };
      const probabilities = await predictProbabilities(model, meta, work, { batchSize, overlap: options.overlap, onTile });
      const t1 = now();
      const roi = call.roi && resize < 1 ? scaleNearest(call.roi, raster.width, raster.height, work.width, work.height, (n) => new Uint8Array(n)) : call.roi;
      const small = await probabilitiesToInstances(probabilities, { ...instance, minArea: Math.round(instance.minArea * resize * resize) }, roi);
      const instances = resize < 1 ? growInstances(small, raster.width, raster.height) : small;
      return {
        instances,
        ...(call.keepProbabilities ? { probabilities } : {}),
        timings: { semanticMs: t1 - t0, instancesMs: now() - t1 },
        tiles,
      };
    },
    dispose() {
      if (!disposed) model.dispose();
      disposed = true;
    },
  };
}
