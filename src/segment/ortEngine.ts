// onnxruntime-node as a TileEngine: the model folder's model.onnx (written by `photosieve export` or train) in one
// InferenceSession. Settings measured on 2 cores (bench/results/engine-tuning.json): graph optimization 'all'
// (1.7× 'basic'), spinning off (two spinning threads were erratic), one session per worker thread.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PhotosieveError } from '../core/index.js';
import type { TileEngine } from './engine.js';
import type { ModelMeta } from './modelMeta.js';
import { MODEL_FILES, modelSourceHash } from './modelMeta.js';
import { ONNX_INPUT, ONNX_OUTPUT, onnxSourceHash } from './onnxExport.js';

let live = 0;

/** ONNX sessions created and not yet released in this thread (a leak shows up here). */
export function liveSessionCount(): number {
  return live;
}

export interface OrtEngineOptions {
  threads: number;
  provider: 'cpu' | 'cuda';
}

/** Checks that model.onnx exists and was exported from this folder's current weights; returns its bytes. */
export async function readFreshOnnx(dir: string): Promise<Uint8Array> {
  const file = join(dir, MODEL_FILES.onnx);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch {
    throw new PhotosieveError('E_INPUT', 'the model has no model.onnx.', { file: dir, fix: `run \`photosieve export ${dir}\` to write it` });
  }
  const stored = onnxSourceHash(bytes);
  if (stored === undefined) throw new PhotosieveError('E_INPUT', 'model.onnx is not a photosieve export.', { file, fix: `run \`photosieve export ${dir}\`` });
  if (stored !== (await modelSourceHash(dir))) {
    throw new PhotosieveError('E_INPUT', 'model.onnx was exported from other weights than the folder now holds.', { file, fix: `run \`photosieve export ${dir}\` again` });
  }
  return bytes;
}

export async function openOrtEngine(dir: string, meta: ModelMeta, options: OrtEngineOptions): Promise<TileEngine> {
  const bytes = await readFreshOnnx(dir);
  const ort = await import('onnxruntime-node');
  const threads = Math.max(1, Math.floor(options.threads));
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: options.provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  live += 1;
  let released = false;
  const c = meta.inputChannels;
  const engine: TileEngine = {
    info: { name: options.provider === 'cuda' ? 'onnxruntime-cuda' : 'onnxruntime', ...(options.provider === 'cpu' ? { threads } : {}), skipped: [] },
    maxBatchPixels: 16 * 512 * 512,
    async run(input, n, height, width) {
      if (released) throw new Error('run() called after dispose()');
      const x = new ort.Tensor('float32', input.subarray(0, n * height * width * c), [n, height, width, c]);
      const out = await session.run({ [ONNX_INPUT]: x });
      const y = out[ONNX_OUTPUT];
      if (y === undefined) throw new Error(`model.onnx gave no ${ONNX_OUTPUT} output`);
      return y.data as Float32Array;
    },
    async dispose() {
      if (released) return;
      released = true;
      live -= 1;
      await session.release();
    },
  };
  return engine;
}
