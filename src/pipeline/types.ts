// The batch runner's shared types: what the CLI passes in, what each image yields, what run.json records.
import type { BinSpec } from '../aggregate/distribution.js';
import type { ImageMeasure } from './writeImageOutputs.js';
import type { RoiSpec } from '../annotate/roi.js';
import type { SegmenterOptions } from '../segment/createSegmenter.js';
import type { SegmenterInfo } from './protocol.js';
import type { ImageSettings } from './fingerprint.js';
import type { StripPlan, StripSettings } from '../segment/strips.js';


/**
 * The measure stage (src/aggregate): particle tables always; histograms.csv when a bin spec is given (bins in mm
 * need the scale); RMSE per image and overall with a truth table. Plain data: it crosses to the workers.
 */
export interface MeasureOptions {
  /** mm per pixel of every image (--scale). */
  scale?: number;
  /**
   * A CSV `image,mm_per_px` giving each photo its own scale (--scales; not with `scale`). Every image must have
   * exactly one row, matched by its name or file name, with or without the extension (scales.ts).
   */
  scales?: string;
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

/** An image of the batch: a path (named by its stem), or a path with the name its outputs get (NAME). */
export type BatchImage = string | { path: string; name: string };

export interface BatchOptions {
  /** Photos in order; names (stems unless given) must be unique, as each becomes DIR/.../NAME.*. */
  images: BatchImage[];
  out: string;
  segmenter: SegmenterOptions;
  /** Worker threads, each with its own segmenter; 0 runs in this thread (tests, debugging). @default os.availableParallelism() */
  workers?: number;
  /**
   * Redo every image, whatever its outputs were made with. Without it, images whose outputs were made with the
   * same settings are skipped (resume) and outputs made with other settings stop the run before anything is
   * written. @default false
   */
  force?: boolean;
  /** Region of interest for every image. @default { kind: 'none' } */
  roi?: RoiSpec;
  /** Refuse images with more pixels. @default DEFAULT_MAX_PIXELS */
  maxPixels?: number;
  /**
   * The memory the batch may plan to use, in bytes (--max-memory): photos that cannot fit even alone fail with a
   * line naming the limit, and fewer workers start when the largest photo does not fit in every one at once.
   * @default 80 % of the machine's available memory (core/memory.ts)
   */
  maxMemory?: number;
  /**
   * Refuse photos whose decoded raster is more than this many times their file's size (decompression bombs),
   * before anything is decoded. @default DEFAULT_MAX_EXPANSION (1000)
   */
  maxExpansion?: number;
  /** When photos go in strips (tests, measurements). @default above 40 MP, or when a whole photo does not fit */
  strips?: StripSettings;
  measure?: MeasureOptions;
  /** The overlay written per image (overlays/NAME.png or .jpg), or none. @default 'jpg' */
  overlays?: OverlayKind;
  /** Stops the batch gracefully: no new image starts, those in progress finish, batch files are not written. */
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  /** Planned: `jobs` images to segment (`pixels` in all, from their headers), the rest skipped or refused early. */
  | { kind: 'start'; total: number; jobs: number; skipped: number; failed: number; pixels: number }
  /** The first segmenter started (engine, model). */
  | { kind: 'engine'; info: SegmenterInfo }
  /**
   * An image finished (done or failed), or was settled before any work (skipped, refused): `done` counts every
   * settled image, `pixelsDone` the pixels segmented in this run so far.
   */
  | { kind: 'image'; done: number; total: number; name: string; result: ImageResult; pixelsDone: number; pixelsTotal: number }
  | { kind: 'tile'; name: string; done: number; total: number };

export interface ImageJob {
  index: number;
  path: string;
  name: string;
  /** mm per pixel of this image (--scale or its --scales row). */
  scale?: number | undefined;
  /** Everything but the engine that makes this image's outputs (its record). */
  settings: ImageSettings;
  /** The photo's size and modification time, for the record. */
  input: { path: string; bytes: number; mtimeMs: number };
  /** Overlays of the other kinds are deleted first (their settings are not this run's). */
  removeOtherOverlays: boolean;
  /** Segment in these strips (memoryPlan.ts) instead of whole. */
  strips?: StripPlan;
}

/** What the worker needs besides the job (plain data: it crosses the thread boundary). */
export interface JobContext {
  out: string;
  roi: RoiSpec;
  maxPixels: number;
  /** The bin spec (the scale is per job). */
  spec: BinSpec | undefined;
  overlays: OverlayKind;
  /** --max-memory in bytes (else the worker's machine budget) and the model's shape, for the check before decoding. */
  maxMemory?: number;
  memory?: { classes?: number; multiscale?: boolean };
  /** --max-expansion (checked again before decoding). @default DEFAULT_MAX_EXPANSION */
  maxExpansion?: number;
}

/** Milliseconds per stage for one image. */
export type StageTimings = {
  decodeMs: number;
  semanticMs: number;
  instancesMs: number;
  /** Particle measures and the size vector (src/aggregate). */
  measureMs: number;
  /** Instance PNG, overlay (unless --overlays none) and particle table. */
  writeMs: number;
};
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
  /** mm per pixel the image was measured at. */
  scale?: number;
  /** SHA-256 of its settings and engine, as in its record (records/NAME.json). */
  fingerprint?: string;
  /** Strips it was segmented in (absent: whole). */
  strips?: number;
  /** Things about this photo worth a line (particles cut by strips), with or without a bin spec. */
  warnings?: string[];
}
