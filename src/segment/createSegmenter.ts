// The segmenter factory: one object per process or worker holding the loaded model (or classical mode), with
// segment(raster) → instances and dispose(). Config is validated here once, before any photo is read.
import { availableParallelism } from 'node:os';
import type { InstanceMap, Raster } from '../core/index.js';
import { invalidParameter } from '../core/index.js';
import { loadOpenCV } from '../cv/index.js';
import type { BackendInfo, BackendName } from './backendNames.js';
import type { ClassicalOptions } from './classical.js';
import { classicalInstances, resolveClassicalOptions } from './classical.js';
import type { InstanceOptions, UnresolvedFines } from './instances.js';
import { probabilitiesToInstances, resolveInstanceOptions } from './instances.js';
import { openEngine } from './engine.js';
import type { ModelMeta } from './modelMeta.js';
import { readModelMeta } from './modelMeta.js';
import { checkResize, growInstances, scaleNearest, shrinkRaster } from './resize.js';
import type { Probabilities, RowWindow } from './semantic.js';
import { predictMultiscale, pyramidLevels } from './multiscale.js';
import type { LargeInheritance } from './largeInheritance.js';
import { DEFAULT_BATCH, checkTileSize, defaultOverlap, inferenceTileSize, rowsRead } from './semantic.js';
import { minOverlap } from './tiling.js';
import { CLASSICAL, resolveModelOption } from './modelLocation.js';

export { CLASSICAL, DEFAULT_MODEL, defaultModelDir, resolveModelOption } from './modelLocation.js';


export interface SegmenterOptions {
  /** A model folder, 'classical' (no model), or 'default' (the model shipped in the package's models/default). */
  model: string;
  /** Instance stage knobs for model mode. @default DEFAULT_INSTANCE_OPTIONS */
  instance?: Partial<InstanceOptions>;
  /** Knobs of classical mode. @default DEFAULT_CLASSICAL_OPTIONS */
  classical?: Partial<ClassicalOptions>;
  /** Inference engine; else PHOTOSIEVE_BACKEND; else the auto ladder (see engine.ts). */
  backend?: BackendName;
  /** onnxruntime intra-op threads. @default the machine's cores (the batch runner passes cores / workers) */
  threads?: number;
  /** Inference tile side, px (a multiple of the model's size multiple). @default inferenceTileSize(meta), 256 */
  tileSize?: number;
  /** Tiles per engine call. @default 1 */
  batchSize?: number;
  /** Tile overlap, px, from tile/8 to tile/2. @default a quarter of the model's training tile */
  overlap?: number;
  /** Shrink photos by this factor before segmenting (0, 1]; only when particles are much larger than needed. @default 1 */
  resize?: number;
  /**
   * Scale-band models (meta.json sizeBand): run the image pyramid and fuse it (multiscale.ts). false runs the
   * full resolution only (large counted as body). Models without a band always run single-scale. @default true
   */
  multiscale?: boolean;
  /** The largest particle b-axis to measure, px at full resolution: sets the pyramid's depth. @default half the shorter side */
  maxSizePx?: number;
  /**
   * Scale-band pyramids: a fine level's `boundary` beside `large` pixels, within this many px, is handed on with
   * them (multiscale.ts boundaryHandOn); 0 hands on only `large`. @default DEFAULT_OWNERSHIP_RADIUS (2)
   */
  boundaryOwnership?: number;
  /**
   * Scale-band pyramids: a fine level's `background` beside `large` pixels, within this many px, is handed on with
   * them (multiscale.ts backgroundHandOn); 0 keeps it. @default DEFAULT_BACKGROUND_OWNERSHIP_RADIUS (2)
   */
  backgroundOwnership?: number;
  /**
   * Scale-band pyramids: the instance stage reads its peak height (InstanceOptions.peakHeight) at the resolution of
   * the level that owns each pixel (MultiscaleResult.scale), so a stone the 1/8 level outlines needs 8 times the
   * prominence, in full-resolution px, to be split, as it would at that level; false reads it at full resolution
   * everywhere. @default true
   */
  levelPeaks?: boolean;
  /**
   * Scale-band pyramids: a pixel a coarser level calls `large` is handed on by every finer level, whatever that level
   * calls it (MultiscaleOptions.inheritLarge): a finer level that reads a boulder's surface texture as a mosaic of
   * small stones no longer keeps them. 'confirmed' hands on only a `large` the next coarser level outlines as a
   * particle; 'all' every one (merges densely packed gravel, whose whole sample the coarsest level calls `large`);
   * 'off' none (docs/multiscale.md). @default 'confirmed'
   */
  inheritLarge?: LargeInheritance;
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
  /** With keepProbabilities, on a pyramid with levelPeaks: the peak-height factor per pixel the instances used. */
  peakScale?: Float32Array;
  timings: SegmentTimings;
  tiles: number;
  /** Pyramid levels above full resolution (0 = single scale). */
  levels: number;
  /**
   * Clusters of grains too small to resolve that the instance stage took out (InstanceOptions.clusterBoundary),
   * px at the input's resolution: reported as unmeasured, never as one particle. Absent in classical mode.
   */
  unresolved?: UnresolvedFines;
}

export interface Segmenter {
  readonly kind: 'unet' | 'classical';
  /** What run.json records: the model folder's absolute path, or 'classical'. */
  readonly modelId: string;
  readonly meta: ModelMeta | undefined;
  readonly backend: BackendInfo | undefined;
  segment(raster: Raster, options?: SegmentCallOptions): Promise<SegmentResult>;
  /**
   * The photo rows segmentRows needs to segment rows [from, to) of a photo of this size: for a single-scale U-Net
   * at full resolution, every row its tiles read, so the probabilities of rows [from, to) equal the whole photo's
   * exactly; otherwise (classical mode, --resize, an image pyramid) [from, to) itself.
   */
  rowsFor(width: number, height: number, from: number, to: number): [number, number];
  /**
   * Segments rows [window.from, window.to) of a photo window.height rows tall, from a raster that holds its rows
   * [window.top, window.top + raster.height) (at least rowsFor's). The instances cover rows [from, to) only; the
   * ROI, when given, too. Strip processing (strips.ts) calls it once per strip.
   */
  segmentRows(raster: Raster, window: RowWindow, options?: SegmentCallOptions): Promise<SegmentResult>;
  /** Releases the engine (ONNX session or tfjs model). */
  dispose(): Promise<void>;
}

function now(): number {
  return performance.now();
}

/** Rows [from, to) of a raster that holds photo rows [top, …): a view, no copy. */
export function rasterRows(raster: Raster, top: number, from: number, to: number): Raster {
  const i0 = from - top;
  const i1 = to - top;
  if (!Number.isInteger(i0) || !Number.isInteger(i1) || i0 < 0 || i1 > raster.height || i1 <= i0) {
    throw invalidParameter('rows', `within the raster's rows ${top}–${top + raster.height - 1}`, `${from}–${to - 1}`);
  }
  const row = raster.width * raster.channels;
  return { width: raster.width, height: i1 - i0, channels: raster.channels, depth: raster.depth, data: raster.data.subarray(i0 * row, i1 * row) };
}

/**
 * Unresolved clusters found on a photo shrunk by `resize`, in the photo's px: a shrunk pixel stands for 1/resize²
 * of the photo's, and photo row r lies in shrunk row ⌊r · resize⌋.
 */
function unresolvedAtFullSize(u: UnresolvedFines, resize: number, height: number): UnresolvedFines {
  if (resize === 1 || u.count === 0) return u;
  const out: UnresolvedFines = { count: u.count, areaPx: u.areaPx / (resize * resize) };
  if (u.perRow) {
    const rows = u.perRow;
    const perRow = new Float64Array(height);
    for (let r = 0; r < height; r++) perRow[r] = (rows[Math.min(rows.length - 1, Math.floor(r * resize))] ?? 0) / resize;
    out.perRow = perRow;
  }
  return out;
}

export async function createSegmenter(options: SegmenterOptions): Promise<Segmenter> {
  const resize = options.resize ?? 1;
  checkResize(resize);
  const modelId = resolveModelOption(options.model);
  if (modelId === CLASSICAL) {
    const classical = resolveClassicalOptions(options.classical);
    await loadOpenCV();
    const segment = async (raster: Raster, call: SegmentCallOptions = {}): Promise<SegmentResult> => {
      const t0 = now();
      const work = resize < 1 ? await shrinkRaster(raster, resize) : raster;
      const roi = call.roi && resize < 1 ? scaleNearest(call.roi, raster.width, raster.height, work.width, work.height, (n) => new Uint8Array(n)) : call.roi;
      const small = await classicalInstances(work, { ...classical, minArea: Math.round(classical.minArea * resize * resize) }, roi);
      const instances = resize < 1 ? growInstances(small, raster.width, raster.height) : small;
      return { instances, timings: { semanticMs: 0, instancesMs: now() - t0 }, tiles: 0, levels: 0 };
    };
    return {
      kind: 'classical',
      modelId,
      meta: undefined,
      backend: undefined,
      segment,
      rowsFor: (_w, _h, from, to) => [from, to],
      segmentRows: (raster, window, call = {}) => segment(rasterRows(raster, window.top, window.from, window.to), call),
      async dispose() {},
    };
  }
  const meta = await readModelMeta(modelId);
  // The model's own tuned instance settings first, then whatever the caller set explicitly.
  const instance = resolveInstanceOptions({ ...(meta.instance as Partial<InstanceOptions> | undefined), ...options.instance });
  const t = options.tileSize ?? inferenceTileSize(meta);
  checkTileSize(meta, t, '--tile');
  const overlap = options.overlap ?? defaultOverlap(meta, t);
  if (!Number.isInteger(overlap) || overlap < minOverlap(t) || overlap > t / 2) {
    throw invalidParameter('--overlap', `an integer from ${minOverlap(t)} to ${t / 2} px for ${t}² tiles`, overlap);
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidParameter('--batch', 'an integer ≥ 1', batchSize);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw invalidParameter('--threads', 'an integer ≥ 1', threads);
  const [engine] = await Promise.all([openEngine(modelId, meta, { backend: options.backend, threads }), loadOpenCV()]);
  if (batchSize * t * t > engine.maxBatchPixels) {
    await engine.dispose();
    throw invalidParameter('--batch', `an integer from 1 to ${Math.max(1, Math.floor(engine.maxBatchPixels / (t * t)))} for ${t}² tiles on ${engine.info.name}`, batchSize);
  }
  // Warm-up at the batch and tile size used: the first call compiles kernels (tfjs) or sizes the arena (ORT);
  // doing it here keeps per-photo timings honest.
  await engine.run(new Float32Array(batchSize * t * t * meta.inputChannels), batchSize, t, t);
  let disposed = false;
  const multiscale = options.multiscale ?? true;
  /** Pyramid levels for a photo of this size (0 without a band, with --no-multiscale). */
  const levelsFor = (width: number, height: number): number => (multiscale ? pyramidLevels(meta, width * resize, height * resize, options.maxSizePx === undefined ? undefined : options.maxSizePx * resize) : 0);
  /** Whether rows of a photo of this size can be segmented with exactly the whole photo's probabilities. */
  const exactRows = (width: number, height: number): boolean => resize === 1 && levelsFor(width, height) === 0;
  const segment = async (raster: Raster, call: SegmentCallOptions & { window?: RowWindow; levels?: number } = {}): Promise<SegmentResult> => {
    if (disposed) throw new Error('segment() called after dispose()');
    const t0 = now();
    const work = resize < 1 ? await shrinkRaster(raster, resize) : raster;
    const { probabilities, levels, tiles, scale } = await predictMultiscale(engine, meta, work, {
      batchSize,
      tileSize: t,
      overlap,
      onTile: call.onTile,
      ...(options.boundaryOwnership !== undefined ? { ownershipRadius: options.boundaryOwnership } : {}),
      ...(options.backgroundOwnership !== undefined ? { backgroundOwnershipRadius: options.backgroundOwnership } : {}),
      ...(options.inheritLarge !== undefined ? { inheritLarge: options.inheritLarge } : {}),
      ...(call.window ? { window: call.window, levels: 0 } : {}),
      ...(call.levels !== undefined ? { levels: call.levels } : multiscale ? (options.maxSizePx !== undefined ? { maxSizePx: options.maxSizePx * resize } : {}) : { levels: 0 }),
    });
    const t1 = now();
    const roi = call.roi && resize < 1 ? scaleNearest(call.roi, raster.width, raster.height, work.width, work.height, (n) => new Uint8Array(n)) : call.roi;
    const peakScale = options.levelPeaks === false ? undefined : scale;
    const small = await probabilitiesToInstances(probabilities, { ...instance, minArea: Math.round(instance.minArea * resize * resize) }, roi, peakScale);
    const instances = resize < 1 ? growInstances(small, raster.width, raster.height) : { width: small.width, height: small.height, data: small.data };
    const unresolved = unresolvedAtFullSize(small.unresolved, resize, raster.height);
    return {
      instances,
      unresolved,
      ...(call.keepProbabilities ? { probabilities, ...(peakScale ? { peakScale } : {}) } : {}),
      timings: { semanticMs: t1 - t0, instancesMs: now() - t1 },
      tiles,
      levels,
    };
  };
  return {
    kind: 'unet',
    modelId,
    meta,
    backend: engine.info,
    segment: (raster, call) => segment(raster, call),
    rowsFor(width, height, from, to) {
      return exactRows(width, height) ? rowsRead(meta, height, from, to, { tileSize: t, overlap }) : [from, to];
    },
    async segmentRows(raster, window, call = {}) {
      if (exactRows(raster.width, window.height)) return segment(raster, { ...call, window });
      // A pyramid or a shrink sees the strip alone: its probabilities near the strip's cut rows differ from the
      // whole photo's (the margin is there for that); the whole photo's pyramid depth is kept.
      return segment(rasterRows(raster, window.top, window.from, window.to), { ...call, levels: levelsFor(raster.width, window.height) });
    },
    async dispose() {
      if (!disposed) await engine.dispose();
      disposed = true;
    },
  };
}
