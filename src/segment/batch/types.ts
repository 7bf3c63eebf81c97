// The batch runner's shared types: what the CLI passes in, what each image yields, what run.json records.
import type { RoiSpec } from '../../annotate/index.js';
import type { SegmenterOptions } from '../createSegmenter.js';

/**
 * Options used by the measure stage (particle tables, histograms.csv, --truth RMSE: src/aggregate). The segment
 * engine only carries them to writeImageOutputs / writeBatchOutputs and into run.json.
 */
export interface MeasureOptions {
  /** mm per pixel (--scale). */
  scale?: number;
  /** Interior bin edges, ascending (--bins), in mm with a scale, else px. */
  bins?: number[];
  /** --weight count|area|mass. */
  weight?: string;
  /** Ground-truth distributions CSV (--truth). */
  truth?: string;
}

export interface BatchOptions {
  images: string[];
  out: string;
  segmenter: SegmenterOptions;
  /** Worker threads, each with its own segmenter; 0 runs in this thread (tests, debugging). @default os.availableParallelism() */
  workers?: number;
  /** Redo images whose outputs exist. @default false */
  force?: boolean;
  /** Region of interest for every image. @default { kind: 'none' } */
  roi?: RoiSpec;
  /** Refuse images with more pixels. @default DEFAULT_MAX_PIXELS */
  maxPixels?: number;
  measure?: MeasureOptions;
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { kind: 'image'; done: number; total: number; name: string }
  | { kind: 'tile'; name: string; done: number; total: number };

export interface ImageJob {
  index: number;
  path: string;
  name: string;
}

/** What the worker needs besides the job (plain data: it crosses the thread boundary). */
export interface JobContext {
  out: string;
  roi: RoiSpec;
  maxPixels: number;
  measure: MeasureOptions;
}

/** Milliseconds per stage for one image. */
export interface StageTimings {
  decodeMs: number;
  semanticMs: number;
  instancesMs: number;
  writeMs: number;
}
export const STAGES = ['decode', 'semantic', 'instances', 'write'] as const;

export interface ImageResult {
  name: string;
  path: string;
  status: 'done' | 'skipped' | 'failed';
  /** One line naming the file and the fix, when failed. */
  error?: string;
  width?: number;
  height?: number;
  particles?: number;
  tiles?: number;
  timings?: StageTimings;
  /** Filled by the measure stage (src/aggregate) after merge; opaque here. */
  measure?: Record<string, unknown>;
}
