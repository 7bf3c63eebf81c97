// Messages between the pool and its worker threads (plain data only).
import type { BackendInfo } from '../segment/backendNames.js';
import type { SegmenterOptions } from '../segment/createSegmenter.js';
import type { ModelMeta } from '../segment/modelMeta.js';
import type { ImageJob, ImageResult, JobContext } from './types.js';

export interface WorkerInit {
  segmenter: SegmenterOptions;
  context: JobContext;
}

export type ToWorker = { type: 'job'; job: ImageJob } | { type: 'close' };

export interface SegmenterInfo {
  kind: 'unet' | 'classical';
  modelId: string;
  meta: ModelMeta | undefined;
  backend: BackendInfo | undefined;
}

export type FromWorker =
  | { type: 'ready'; info: SegmenterInfo }
  | { type: 'fatal'; error: string }
  | { type: 'tile'; index: number; done: number; total: number }
  | { type: 'result'; index: number; result: ImageResult } & Leftovers
  /** After close: the engine was released; what the thread still holds (a leak shows up here). */
  | ({ type: 'closed' } & Leftovers);

/** tfjs tensors, OpenCV Mats and ONNX sessions alive in a thread. */
export interface Leftovers {
  tensors: number;
  mats: number;
  sessions: number;
}
