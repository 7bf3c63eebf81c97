// Tiled U-Net inference at full resolution: tiles are read (reflected at the borders) straight from the raster,
// run in small batches by an engine (onnxruntime or tfjs), and blended into per-pixel class probabilities. The
// engine holds one batch at a time, so its memory is bounded by the batch, whatever the photo's size.
import type { Raster } from '../core/index.js';
import { PixelClass, invalidParameter } from '../core/index.js';
import type { TileEngine } from './engine.js';
import type { ModelMeta, Normalization } from './modelMeta.js';
import type { TilePlan } from './tiling.js';
import { blendProfile, planAxis, planTiles, reflectIndex, reflectedRange } from './tiling.js';
import { unetSizeMultiple } from './unetKinds.js';

/** The three model classes in channel order; a channel index is always one of these, never a bare number. */
export const PROBABILITY_CLASSES = [PixelClass.background, PixelClass.body, PixelClass.boundary] as const;
export const PROBABILITY_CHANNELS = PROBABILITY_CLASSES.length;

/** Class probabilities, row-major, interleaved: data[(y·width + x)·3 + PixelClass.body] is P(body) at (x, y). */
export interface Probabilities {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export interface SemanticOptions {
  /** Tiles per engine call; batch × tile² must stay within the engine's maxBatchPixels. @default DEFAULT_BATCH */
  batchSize?: number;
  /**
   * Side of the tiles the photo is cut into, px: any multiple of the model's size multiple from its training tile
   * up (the U-Net is fully convolutional). Larger tiles waste less on overlaps. @default inferenceTileSize(meta)
   */
  tileSize?: number;
  /** Overlap between tiles, px. @default defaultOverlap(meta), a quarter of the training tile */
  overlap?: number;
  /** Called after each batch with tiles done and the total. */
  onTile?: (done: number, total: number) => void;
  /**
   * The raster is a band of rows of a taller photo (strip processing): predict only rows [from, to) of the photo,
   * with the tile plan of the whole photo, so they equal the whole photo's probabilities exactly. The raster must
   * hold every row those tiles read (rowsRead). @default the raster is the whole photo
   */
  window?: RowWindow;
}

/** Rows [from, to) of a photo `height` rows tall, from a raster that holds its rows [top, top + raster.height). */
export interface RowWindow {
  top: number;
  height: number;
  from: number;
  to: number;
}

/**
 * Inference tiles of 256² px (or the training tile, if larger): with the default model on one ORT thread, a 1500²
 * photo's U-Net took 0.57 s per MP at 256² against 0.74 at 128², 0.82 at 512² and 0.84 at 1024² (overlaps cost
 * 1.78× the photo's pixels at 128², and large tiles fall out of cache); bench/results/engine-tuning.json.
 */
export const DEFAULT_INFERENCE_TILE = 256;

export function inferenceTileSize(meta: ModelMeta): number {
  const m = unetSizeMultiple(meta.architecture);
  return Math.max(meta.tileSize, m * Math.ceil(DEFAULT_INFERENCE_TILE / m));
}

/** Overlap: a quarter of the training tile, the context the model was trained to need, whatever the tile size. */
export function defaultOverlap(meta: ModelMeta, tileSize: number): number {
  return Math.min(Math.floor(tileSize / 2), Math.max(Math.ceil(tileSize / 8), Math.round(meta.tileSize / 4)));
}

/** Tiles per engine call by default: batching gave nothing per image on CPU (ORT), and one tile keeps memory smallest. */
export const DEFAULT_BATCH = 1;

/**
 * Per-channel lookup of normalized input values: the model sees (value/max − mean)/std, or value/max for 'unit'.
 * A 1-channel model gets luma from colour photos; a 3-channel model gets grey photos repeated.
 */
export interface InputMapper {
  readonly channels: 1 | 3;
  /** Writes the model's channels of raster pixel `src` (its index in pixels) into `out` at `at`. */
  write(src: number, out: Float32Array, at: number): void;
}

export function inputMapper(raster: Raster, inputChannels: 1 | 3, normalization: Normalization): InputMapper {
  const max = raster.depth === 16 ? 65535 : 255;
  const mean = normalization === 'unit' ? [0, 0, 0] : normalization.mean;
  const std = normalization === 'unit' ? [1, 1, 1] : normalization.std;
  const scale = (c: number): number => 1 / (max * (std[c] ?? 1));
  const offset = (c: number): number => (mean[c] ?? 0) / (std[c] ?? 1);
  const d = raster.data;
  const rc = raster.channels;
  const colour = rc >= 3;
  if (inputChannels === 1) {
    const s = scale(0);
    const o = offset(0);
    return {
      channels: 1,
      write(src, out, at) {
        const p = src * rc;
        const v = colour ? 0.299 * d[p]! + 0.587 * d[p + 1]! + 0.114 * d[p + 2]! : d[p]!;
        out[at] = v * s - o;
      },
    };
  }
  const s = [scale(0), scale(1), scale(2)] as const;
  const o = [offset(0), offset(1), offset(2)] as const;
  return {
    channels: 3,
    write(src, out, at) {
      const p = src * rc;
      const r = d[p]!;
      const g = colour ? d[p + 1]! : r;
      const b = colour ? d[p + 2]! : r;
      out[at] = r * s[0] - o[0];
      out[at + 1] = g * s[1] - o[1];
      out[at + 2] = b * s[2] - o[2];
    },
  };
}

function fillTile(raster: Raster, mapper: InputMapper, plan: TilePlan, x0: number, y0: number, out: Float32Array, at: number, top = 0): void {
  const t = plan.tileSize;
  const cols = reflectedRange(x0, t, raster.width);
  // Rows reflect at the photo's own edges (plan.height), then are read from the band the raster holds.
  const rows = reflectedRange(y0, t, plan.height);
  for (let i = 0; i < t; i++) {
    rows[i]! -= top;
    if (rows[i]! < 0 || rows[i]! >= raster.height) throw invalidParameter('window', `a raster holding photo rows ${top + Math.min(...rows)}–${top + Math.max(...rows)}`, `rows ${top}–${top + raster.height - 1}`);
  }
  const c = mapper.channels;
  let k = at;
  for (let i = 0; i < t; i++) {
    const rowStart = rows[i]! * raster.width;
    for (let j = 0; j < t; j++) {
      mapper.write(rowStart + cols[j]!, out, k);
      k += c;
    }
  }
}

/** Checks an inference tile size against the model: a multiple of its size multiple, at least 32 px. */
export function checkTileSize(meta: ModelMeta, tileSize: number, name = 'tileSize'): void {
  const m = unetSizeMultiple(meta.architecture);
  if (!Number.isInteger(tileSize) || tileSize < Math.max(32, m) || tileSize > 4096 || tileSize % m !== 0) {
    throw invalidParameter(name, `a multiple of ${m} from ${Math.max(32, m)} to 4096 px for this model`, tileSize);
  }
}

/** Output channels of a model: its classes (3, or 4 with the scale-band class `large`). */
export function modelChannels(meta: ModelMeta): number {
  return meta.classes.length;
}

/** Every output channel of the model, blended over tiles: `channels` interleaved values per pixel, meta.classes order. */
export interface ClassProbabilities {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Float32Array;
}

/**
 * The instance stage's three classes from a model's output: a scale-band model's `large` (a particle too large
 * for this resolution) counts as body, which is what it is when no coarser level is asked (single-scale use).
 */
export function collapseToThree(p: ClassProbabilities): Probabilities {
  if (p.channels === PROBABILITY_CHANNELS) return { width: p.width, height: p.height, data: p.data };
  const n = p.width * p.height;
  const out = new Float32Array(n * PROBABILITY_CHANNELS);
  const K = p.channels;
  for (let q = 0; q < n; q++) {
    out[3 * q] = p.data[q * K]!;
    out[3 * q + 1] = p.data[q * K + 1]! + p.data[q * K + 3]!;
    out[3 * q + 2] = p.data[q * K + 2]!;
  }
  return { width: p.width, height: p.height, data: out };
}

/** Runs the model over the raster in blended tiles; returns 3-class probabilities of the raster's exact size. */
export async function predictProbabilities(engine: TileEngine, meta: ModelMeta, raster: Raster, options: SemanticOptions = {}): Promise<Probabilities> {
  return collapseToThree(await predictClassProbabilities(engine, meta, raster, options));
}

/** Runs the model over the raster in blended tiles; returns every output channel at the raster's exact size. */
export async function predictClassProbabilities(engine: TileEngine, meta: ModelMeta, raster: Raster, options: SemanticOptions = {}): Promise<ClassProbabilities> {
  const t = options.tileSize ?? inferenceTileSize(meta);
  checkTileSize(meta, t);
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize * t * t > engine.maxBatchPixels) {
    throw invalidParameter('batchSize', `an integer from 1 to ${Math.max(1, Math.floor(engine.maxBatchPixels / (t * t)))} for ${t}² tiles on ${engine.info.name}`, batchSize);
  }
  const win = options.window ?? { top: 0, height: raster.height, from: 0, to: raster.height };
  const plan = planTiles(raster.width, win.height, { tileSize: t, overlap: options.overlap ?? defaultOverlap(meta, t), align: unetSizeMultiple(meta.architecture) });
  const mapper = inputMapper(raster, meta.inputChannels, meta.normalization);
  const w = raster.width;
  // The output covers photo rows [from, from + h); tiles that miss them are not run.
  const from = win.from;
  const h = win.to - win.from;
  const tilesRun = options.window ? plan.tiles.filter((tile) => tile.y < win.to && tile.y + t > win.from) : plan.tiles;
  const K = modelChannels(meta);
  const acc = new Float32Array(w * h * K);
  const weightSum = new Float32Array(w * h);
  const profile = blendProfile(t, plan.overlap);
  const c = mapper.channels;
  const input = new Float32Array(batchSize * t * t * c);
  const total = tilesRun.length;
  for (let start = 0; start < total; start += batchSize) {
    const batch = tilesRun.slice(start, start + batchSize);
    batch.forEach((tile, b) => fillTile(raster, mapper, plan, tile.x, tile.y, input, b * t * t * c, win.top));
    const out = await engine.run(input.subarray(0, batch.length * t * t * c), batch.length, t, t);
    batch.forEach((tile, b) => {
      const base = b * t * t * K;
      // Only the part of the tile that lands inside the image is kept; the reflected margin was context.
      const i0 = Math.max(0, from - tile.y);
      const i1 = Math.min(t, from + h - tile.y);
      const j0 = Math.max(0, -tile.x);
      const j1 = Math.min(t, w - tile.x);
      for (let i = i0; i < i1; i++) {
        const wy = profile[i]!;
        const row = (tile.y + i - from) * w + tile.x;
        for (let j = j0; j < j1; j++) {
          const weight = wy * profile[j]!;
          const p = row + j;
          weightSum[p]! += weight;
          const src = base + (i * t + j) * K;
          const dst = p * K;
          for (let k = 0; k < K; k++) acc[dst + k]! += weight * out[src + k]!;
        }
      }
    });
    options.onTile?.(Math.min(start + batchSize, total), total);
  }
  for (let p = 0; p < w * h; p++) {
    const inv = 1 / weightSum[p]!;
    for (let k = 0; k < K; k++) acc[p * K + k]! *= inv;
  }
  return { width: w, height: h, channels: K, data: acc };
}

/**
 * The photo rows the semantic stage reads to predict rows [from, to) of a photo `height` rows tall (its tiles'
 * reach, reflected at the photo's edges): what a strip must decode for its probabilities to equal the whole photo's.
 */
export function rowsRead(meta: ModelMeta, height: number, from: number, to: number, options: Pick<SemanticOptions, 'tileSize' | 'overlap'> = {}): [number, number] {
  const t = options.tileSize ?? inferenceTileSize(meta);
  const overlap = options.overlap ?? defaultOverlap(meta, t);
  // The same axis plan as planTiles (its margin is half the overlap).
  const rows = planAxis(height, t, overlap, Math.floor(overlap / 2), unetSizeMultiple(meta.architecture));
  let lo = Infinity;
  let hi = -Infinity;
  for (const y of rows) {
    if (y >= to || y + t <= from) continue;
    for (let i = y; i < y + t; i++) {
      const r = reflectIndex(i, height);
      if (r < lo) lo = r;
      if (r > hi) hi = r;
    }
  }
  return [lo, hi + 1];
}

/** One class's probability plane (a copy), e.g. probabilityPlane(p, PixelClass.body). */
export function probabilityPlane(p: Probabilities, cls: (typeof PROBABILITY_CLASSES)[number]): Float32Array {
  const k = PROBABILITY_CLASSES.indexOf(cls);
  const out = new Float32Array(p.width * p.height);
  for (let q = 0; q < out.length; q++) out[q] = p.data[q * PROBABILITY_CHANNELS + k]!;
  return out;
}
