// Messages between the data-parallel trainer (main thread) and its worker threads. Images and the broadcast
// weights sit in SharedArrayBuffers (no copy per worker or per step); gradients come back as transferred buffers.
import type * as tf from '@tensorflow/tfjs';
import type { AugmentOptions } from './augment.js';
import type { TrainingImage } from './data.js';
import type { LossOptions } from './loss.js';

export interface TrainWorkerInit {
  index: number;
  /** The master model's topology (model.toJSON()), so a worker rebuilds exactly the model being trained. */
  topology: Exclude<ReturnType<tf.LayersModel['toJSON']>, string>;
  /** Shapes of the trainable, then the non-trainable weights, in the master's order (checked on start). */
  trainableShapes: number[][];
  statShapes: number[][];
  /** Every weight, trainable first, flat; the master writes it before each step. */
  weights: Float32Array;
  sources: { weight: number; imgs: TrainingImage[] }[];
  tileSize: number;
  inputChannels: 1 | 3;
  augment: AugmentOptions;
  loss: LossOptions;
  seed: number;
}

/** `tiles`: the batch positions this worker draws and trains on at global step `step`. */
export type ToTrainWorker = { type: 'step'; step: number; tiles: [number, number] } | { type: 'close' };

export type FromTrainWorker =
  | { type: 'ready' }
  | { type: 'fatal'; error: string }
  | {
      type: 'grads';
      step: number;
      loss: number;
      /** Non-ignored target pixels in this worker's tiles: the weight of its loss in the batch's. */
      validPixels: number;
      tiles: number;
      /** d loss / d weight for the trainable weights, flat in the master's order. */
      grads: Float32Array;
      /** The non-trainable weights (batch-norm moving statistics) after this step, flat. */
      stats: Float32Array;
    }
  | { type: 'error'; step: number; error: string }
  /** After close: tensors still alive in the worker (0 unless something leaks). */
  | { type: 'closed'; tensors: number };
