// Data-parallel training over worker threads (tfjs-wasm is single-threaded under Node; one thread per core is how
// the cores get used). The main thread owns the master weights and the optimizer; each step every worker draws
// its share of the batch's tiles from a stream fixed by (seed, step, tile position), computes loss and gradients
// in training mode, and returns them with its updated batch-norm statistics; the main thread averages both and
// applies the optimizer once. Tile k of step s is the same whatever the number of workers.
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { PhotosieveError, startModuleWorker } from '../core/index.js';
import type { Random } from '../synth/random.js';
import { createRandom } from '../synth/random.js';
import type { AugmentOptions, Tile } from './augment.js';
import { sampleTile } from './augment.js';
import type { TrainingImage } from './data.js';
import type { LossOptions } from './loss.js';
import type { FromTrainWorker, ToTrainWorker, TrainWorkerInit } from './trainProtocol.js';

export interface TileSource {
  weight: number;
  imgs: TrainingImage[];
}

/** The random stream of tile `k` of global step `step` (1-based over the whole run, resumed epochs included). */
export function tileRandom(seed: number, step: number, k: number): Random {
  return createRandom(seed).split(0x7117e).split(step).split(k);
}

/** One training tile: a source by weight, an image of it uniformly, then sampleTile (the single-thread draw). */
export function drawTile(sources: readonly TileSource[], rng: Random, T: number, augment: AugmentOptions): Tile {
  const total = sources.reduce((a, s) => a + s.weight, 0);
  let r = rng.uniform() * total;
  const src = sources.find((s) => (r -= s.weight) < 0) ?? sources[sources.length - 1]!;
  return sampleTile(src.imgs[Math.floor(rng.uniform() * src.imgs.length)]!, rng, T, augment);
}

/** Batch positions [from, to) of worker `w` of `n` for a batch of `b` tiles (contiguous, sizes differ by ≤ 1). */
export function shareOf(w: number, n: number, b: number): [number, number] {
  return [Math.floor((w * b) / n), Math.floor(((w + 1) * b) / n)];
}

export interface ParallelTrainingOptions {
  /** The master model: its weights are broadcast each step and updated here. */
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  /** Worker threads (at most one per tile of a batch). */
  workers: number;
  sources: TileSource[];
  tileSize: number;
  inputChannels: 1 | 3;
  augment: AugmentOptions;
  loss: LossOptions;
  seed: number;
}

export interface ParallelTrainer extends AsyncDisposable {
  readonly workers: number;
  /**
   * Seconds spent so far waiting for the workers (the parallel part of steps) and in this thread broadcasting,
   * averaging and applying the optimizer (the serial part, when the workers only draw their next tiles).
   */
  readonly seconds: { workers: number; main: number };
  /** One optimizer step on a batch of `batchSize` tiles drawn for global step `step`; resolves to the batch loss. */
  step(step: number, batchSize: number): Promise<number>;
  /** Ends the workers (idempotent); resolves to the tensors each still held (0 unless leaking). */
  close(): Promise<number[]>;
}

let live = 0;

/** Training worker threads started and not yet exited in this process (tests check that none is left). */
export function liveTrainWorkers(): number {
  return live;
}

/** How long a closing worker may take to release its model before it is terminated anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

function startWorker(workerData: TrainWorkerInit): Worker {
  return startModuleWorker(import.meta.url, 'trainWorker', workerData);
}

function shared<A extends Uint8Array | Int32Array | Float32Array>(a: A): A {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const s = new (a.constructor as new (b: SharedArrayBuffer) => A)(new SharedArrayBuffer(a.byteLength));
  s.set(a);
  return s;
}

/** Moves an image's arrays into shared memory in place, so every worker reads them without a copy. */
function shareImage(im: TrainingImage): TrainingImage {
  im.pixels = shared(im.pixels);
  im.instances = shared(im.instances);
  im.boundary = shared(im.boundary);
  if (im.valid) im.valid = shared(im.valid);
  im.minorPx = shared(im.minorPx);
  return im;
}

interface Pending {
  resolve: (m: Extract<FromTrainWorker, { type: 'grads' }>) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Pending | undefined;
  closed: ((tensors: number) => void) | undefined;
  exited: boolean;
}

/** Starts the workers and waits until each has built its copy of the model. */
export async function startParallelTraining(options: ParallelTrainingOptions): Promise<ParallelTrainer> {
  const { model, optimizer } = options;
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const stats = model.nonTrainableWeights.map((w) => w.read() as tf.Variable);
  const trainableSize = trainable.reduce((a, v) => a + v.size, 0);
  const statSize = stats.reduce((a, v) => a + v.size, 0);
  const weights = new Float32Array(new SharedArrayBuffer(4 * (trainableSize + statSize)));
  const init: Omit<TrainWorkerInit, 'index'> = {
    topology: model.toJSON(null, false) as TrainWorkerInit['topology'],
    trainableShapes: trainable.map((v) => v.shape),
    statShapes: stats.map((v) => v.shape),
    weights,
    sources: options.sources.map((s) => ({ weight: s.weight, imgs: s.imgs.map(shareImage) })),
    tileSize: options.tileSize,
    inputChannels: options.inputChannels,
    augment: options.augment,
    loss: options.loss,
    seed: options.seed,
  };
  const n = Math.max(1, Math.floor(options.workers));
  const slots: Slot[] = [];
  let failure: Error | undefined;
  let closing: Promise<number[]> | undefined;

  const fail = (w: number, what: string): void => {
    const err = new PhotosieveError('E_INPUT', `training worker ${w + 1} of ${n} failed ${what.replace(/\s*\n\s*/g, ' ')}`, {
      fix: 'run with --workers 1 to train in this thread',
    });
    failure ??= err;
    for (const s of slots) {
      const p = s.pending;
      s.pending = undefined;
      p?.reject(failure);
    }
  };

  const ready = Array.from({ length: n }, (_, w) => {
    const worker = startWorker({ ...init, index: w });
    live++;
    const slot: Slot = { worker, pending: undefined, closed: undefined, exited: false };
    slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromTrainWorker) => {
        switch (m.type) {
          case 'ready':
            resolve();
            break;
          case 'fatal':
            fail(w, `to start: ${m.error}`);
            reject(failure!);
            break;
          case 'grads': {
            const p = slot.pending;
            slot.pending = undefined;
            p?.resolve(m);
            break;
          }
          case 'error':
            fail(w, `at step ${m.step}: ${m.error}`);
            break;
          case 'closed':
            slot.closed?.(m.tensors);
            break;
        }
      });
      worker.on('error', (err) => {
        fail(w, `with: ${err.message}`);
        reject(failure!);
      });
      worker.on('exit', (code) => {
        live--;
        slot.exited = true;
        slot.closed?.(-1);
        if (closing === undefined) {
          fail(w, `with an exit of its thread (code ${code})`);
          reject(failure!);
        }
      });
    });
  });

  const close = (): Promise<number[]> => {
    closing ??= Promise.all(
      slots.map(
        (s) =>
          new Promise<number>((resolve) => {
            if (s.exited) {
              resolve(-1);
              return;
            }
            const timer = setTimeout(() => resolve(-1), CLOSE_TIMEOUT_MS);
            s.closed = (tensors) => {
              clearTimeout(timer);
              resolve(tensors);
            };
            s.worker.postMessage({ type: 'close' } satisfies ToTrainWorker);
          }),
      ),
    ).then(async (left) => {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      return left;
    });
    return closing;
  };

  try {
    await Promise.all(ready);
  } catch (err) {
    await close();
    throw err;
  }

  const seconds = { workers: 0, main: 0 };
  const step = async (stepIndex: number, batchSize: number): Promise<number> => {
    if (failure) throw failure;
    if (closing) throw new Error('the parallel trainer is closed');
    const t0 = performance.now();
    // Broadcast: every weight, batch-norm moving statistics included, into the shared buffer.
    let at = 0;
    for (const v of [...trainable, ...stats]) {
      weights.set(v.dataSync(), at);
      at += v.size;
    }
    const t1 = performance.now();
    const replies = await Promise.all(
      slots.map((slot, w) => {
        const tiles = shareOf(w, Math.min(n, batchSize), batchSize);
        if (w >= batchSize || tiles[1] <= tiles[0]) return Promise.resolve(undefined);
        return new Promise<Extract<FromTrainWorker, { type: 'grads' }>>((resolve, reject) => {
          slot.pending = { resolve, reject };
          slot.worker.postMessage({ type: 'step', step: stepIndex, tiles } satisfies ToTrainWorker);
        });
      }),
    );
    const t2 = performance.now();
    const got = replies.filter((r) => r !== undefined);
    // The loss's cross-entropy is a mean over non-ignored pixels: weighting each worker's gradient by its share of
    // those pixels makes that term exactly the full batch's. (The Dice term becomes a weighted mean of per-worker
    // Dice, as in any data-parallel trainer; batch norm normalizes with per-worker statistics, likewise.)
    const totalValid = got.reduce((a, r) => a + r.validPixels, 0);
    const totalTiles = got.reduce((a, r) => a + r.tiles, 0);
    const share = got.map((r) => (totalValid > 0 ? r.validPixels / totalValid : r.tiles / totalTiles));
    const grad = new Float32Array(trainableSize);
    const stat = new Float32Array(statSize);
    let loss = 0;
    got.forEach((r, k) => {
      const a = share[k]!;
      loss += a * r.loss;
      for (let i = 0; i < trainableSize; i++) grad[i]! += a * r.grads[i]!;
      // Moving statistics: every worker started from the same values, so the tile-weighted mean of theirs is
      // the update of the mean of the per-worker batch statistics.
      const t = r.tiles / totalTiles;
      for (let i = 0; i < statSize; i++) stat[i]! += t * r.stats[i]!;
    });
    const named: tf.NamedTensorMap = {};
    at = 0;
    for (const v of trainable) {
      named[v.name] = tf.tensor(grad.subarray(at, at + v.size), v.shape);
      at += v.size;
    }
    try {
      optimizer.applyGradients(named);
    } finally {
      tf.dispose(named);
    }
    at = 0;
    for (const v of stats) {
      const t = tf.tensor(stat.subarray(at, at + v.size), v.shape);
      v.assign(t);
      t.dispose();
      at += v.size;
    }
    seconds.workers += (t2 - t1) / 1000;
    seconds.main += (performance.now() - t2 + t1 - t0) / 1000;
    return loss;
  };

  return {
    workers: n,
    seconds,
    step,
    close,
    async [Symbol.asyncDispose]() {
      await close();
    },
  };
}

/** Checks a worker's model against the master's weight shapes (a mismatch would scramble every update). */
export function checkShapes(what: string, want: readonly number[][], got: readonly number[][]): void {
  const same = want.length === got.length && want.every((s, k) => s.length === got[k]!.length && s.every((d, j) => d === got[k]![j]));
  if (!same) throw new Error(`the worker's model has other ${what} weights than the master's (${got.length} vs ${want.length} tensors)`);
}
