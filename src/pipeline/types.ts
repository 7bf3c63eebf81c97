// The batch runner's shared types: what the CLI passes in, what each image yields, what run.json records.
import type { BinSpec } from '../aggregate/index.js';
import type { ImageMeasure } from './writeImageOutputs.js';
import type { RoiSpec } from '../annotate/index.js';
import type { SegmenterOptions } from '../segment/createSegmenter.js';

/**
 * The measure stage (src/aggregate): particle tables always; histograms.csv when a bin spec is given (bins in mm
 * need the scale); RMSE per image and overall with a truth table. Plain data: it crosses to the workers.
 */
export interface MeasureOptions {
  /** mm per pixel (--scale). */
  scale?: number;
  /** Bins, size measure, weighting, edge policy, detection limit. */
  spec?: BinSpec;
  /** Ground-truth distributions CSV (--truth). */
  truth?: string;
}

/**
 * What overlays/NAME.* holds: nothing, a PNG, or a JPEG. JPEG is the default: at 9 MP a PNG takes ~2.7× the
 * JPEG's encoding time (on sharp's threads) and ~9× the disk, and the overlay is only for looking at. Drawing plus
 * encoding is ~3/4 of the write stage, which is what 'none' saves.
 */
export const OVERLAY_KINDS = ['none', 'png', 'jpg'] as const;
export type OverlayKind = (typeof OVERLAY_KINDS)[number];
export const DEFAULT_OVERLAYS: OverlayKind = 'jpg';
/** Outlines are one colour on a photo: 85 keeps them crisp at a fraction of the PNG's size. */
export const OVERLAY_JPEG_QUALITY = 85;

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
  /** The overlay written per image (overlays/NAME.png or .jpg), or none. @default 'jpg' */
  overlays?: OverlayKind;
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
  overlays: OverlayKind;
}

/** Milliseconds per stage for one image. */
export interface StageTimings {
  decodeMs: number;
  semanticMs: number;
  instancesMs: number;
  /** Particle measures and the size vector (src/aggregate). */
  measureMs: number;
  /** Instance PNG, overlay (unless --overlays none) and particle table. */
  writeMs: number;
}
export const STAGES = ['decode', 'semantic', 'instances', 'measure', 'write'] as const;

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
  /** Image-pyramid levels above full resolution that ran (scale-band models; 0 = single scale). */
  levels?: number;
  timings?: StageTimings;
  /** The image's size distribution from the measure stage, when a bin spec was given. */
  measure?: ImageMeasure;
}
