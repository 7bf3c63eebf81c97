// The inference engine behind the semantic stage: one interface (NHWC tiles in, NHWC class probabilities out) over
// onnxruntime and the TensorFlow.js backends, and the ladder that picks one. Engines are imported lazily, so a
// process that runs ORT never loads tfjs (its heap and start-up are not paid).
import { availableParallelism } from 'node:os';
import type { BackendInfo, BackendName } from './backendNames.js';
import { AUTO_LADDER, forcedBackend, isTfjsBackend, reason, unavailableBackend } from './backendNames.js';
import { PhotosieveError } from '../core/index.js';
import type { ModelMeta } from './modelMeta.js';

export interface TileEngine {
  readonly info: BackendInfo;
  /** Tiles × pixels one run() may take (wasm's XNNPACK fails silently past 8 × 256²). */
  readonly maxBatchPixels: number;
  /**
   * Class probabilities of `n` tiles of height × width px: `input` holds n·h·w·c values (NHWC, normalized as the
   * model expects), the result n·h·w·3 (NHWC, PixelClass order). The result is the engine's own buffer, valid
   * until the next call.
   */
  run(input: Float32Array, n: number, height: number, width: number): Promise<Float32Array>;
  /** Releases the session or model; the engine is unusable afterwards. Safe to call twice. */
  dispose(): Promise<void>;
}

export interface EngineOptions {
  /** Force one engine; else PHOTOSIEVE_BACKEND; else the auto ladder. */
  backend?: BackendName | undefined;
  /** onnxruntime intra-op threads. @default availableParallelism() (callers with N workers pass cores / N) */
  threads?: number | undefined;
}

let tensorCounter: (() => number) | undefined;

/** Registered by the tfjs engine when it loads, so leak checks count tensors without importing tfjs. */
export function setTensorCounter(count: () => number): void {
  tensorCounter = count;
}

/** Live tfjs tensors (0 when tfjs was never loaded in this thread). */
export function liveTensorCount(): number {
  return tensorCounter?.() ?? 0;
}

async function openOne(name: BackendName, dir: string, meta: ModelMeta, threads: number): Promise<TileEngine> {
  if (isTfjsBackend(name)) {
    const { openTfjsEngine } = await import('./tfjsEngine.js');
    return openTfjsEngine(dir, meta, name);
  }
  const { openOrtEngine } = await import('./ortEngine.js');
  return openOrtEngine(dir, meta, { threads, provider: name === 'onnxruntime-cuda' ? 'cuda' : 'cpu' });
}

/**
 * Opens the engine for a model folder: the forced one (an error when it cannot start, never a silent fallback, so
 * benchmarks measure what they claim), or the first rung of AUTO_LADDER that starts; `info.skipped` says why the
 * rungs above it did not (a model without model.onnx, tfjs-node not installed, …).
 */
export async function openEngine(dir: string, meta: ModelMeta, options: EngineOptions = {}): Promise<TileEngine> {
  const threads = options.threads ?? availableParallelism();
  const force = options.backend ?? forcedBackend();
  if (force !== undefined) {
    try {
      return await openOne(force, dir, meta, threads);
    } catch (cause) {
      throw unavailableBackend(force, cause, (cause as { fix?: string }).fix);
    }
  }
  const skipped: string[] = [];
  for (const name of AUTO_LADDER) {
    try {
      const engine = await openOne(name, dir, meta, threads);
      engine.info.skipped.push(...skipped);
      return engine;
    } catch (err) {
      skipped.push(`${name}: ${reason(err, true)}`);
    }
  }
  throw new PhotosieveError('E_INPUT', `no inference engine could start (${skipped.join('; ')}).`, { file: dir, fix: 'reinstall dependencies with `npm ci`' });
}
