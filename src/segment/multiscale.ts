// Multi-scale semantic stage for scale-band models: the same network on an image pyramid (1, 1/2, 1/4, …), fused
// into one set of 3-class probabilities at full resolution. Each level segments the particles whose b-axis fits
// the model's band at that level and marks larger ones `large`; a pixel's `large` share is handed to the next
// coarser level, recursively, so every stone is outlined at the finest level that sees it whole:
//
//   Q_L = P_L with large counted as body                          (the coarsest level: nothing coarser to ask)
//   Q_k = P_k[bg, body, boundary] + P_k[large] · up(Q_{k+1})      (k = L−1 … 0; sums to 1 like P_k)
//
// A learned per-pixel delegation in the spirit of hierarchical multi-scale attention (Tao et al. 2020), with the
// attention given a meaning the training targets define: "this particle is larger than I can see". Fines and
// sand never reach a coarser level, because at the fine level they are not `large`, so a coarse level's blob of
// fines cannot replace them. Cost: 1 + 1/4 + 1/16 + … ≤ 4/3 of the single-scale U-Net.
import type { Raster } from '../core/index.js';
import { invalidParameter } from '../core/index.js';
import type { TileEngine } from './engine.js';
import type { ModelMeta } from './modelMeta.js';
import { shrinkRaster } from './resize.js';
import type { ClassProbabilities, Probabilities, SemanticOptions } from './semantic.js';
import { PROBABILITY_CHANNELS, collapseToThree, predictClassProbabilities } from './semantic.js';

export interface MultiscaleOptions extends SemanticOptions {
  /**
   * The largest b-axis to measure, px at full resolution: levels are added until it fits the band.
   * @default half the photo's shorter side (nothing larger can lie whole in the frame)
   */
  maxSizePx?: number;
  /** Pyramid levels above full resolution; overrides maxSizePx. @default from maxSizePx */
  levels?: number;
}

export interface MultiscaleResult {
  probabilities: Probabilities;
  /** Pyramid levels above full resolution that ran (0 = single scale). */
  levels: number;
  /** Tiles run over all levels. */
  tiles: number;
}

/** Levels above full resolution so that a particle of maxSizePx fits the band at the coarsest level. */
export function pyramidLevels(meta: ModelMeta, width: number, height: number, maxSizePx?: number): number {
  const band = meta.sizeBand;
  if (!band) return 0;
  const largest = maxSizePx ?? Math.min(width, height) / 2;
  if (!(largest > 0)) throw invalidParameter('maxSizePx', 'a positive size in px', largest);
  // Never shrink a level below a quarter tile: there is nothing left to see.
  const byFrame = Math.max(0, Math.floor(Math.log2(Math.min(width, height) / 32)));
  return Math.max(0, Math.min(byFrame, Math.ceil(Math.log2(largest / band.maxPx))));
}

/**
 * Bilinear resample of a 3-class map to width × height (half-pixel centres, edges clamped): up(Q) in the fusion.
 */
export function upsampleProbabilities(q: Probabilities, width: number, height: number): Float32Array {
  const K = PROBABILITY_CHANNELS;
  const out = new Float32Array(width * height * K);
  const sx = q.width / width;
  const sy = q.height / height;
  const x0 = new Int32Array(width);
  const x1 = new Int32Array(width);
  const ax = new Float32Array(width);
  for (let j = 0; j < width; j++) {
    const fx = Math.min(Math.max((j + 0.5) * sx - 0.5, 0), q.width - 1);
    x0[j] = Math.floor(fx);
    x1[j] = Math.min(x0[j]! + 1, q.width - 1);
    ax[j] = fx - x0[j]!;
  }
  for (let i = 0; i < height; i++) {
    const fy = Math.min(Math.max((i + 0.5) * sy - 0.5, 0), q.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, q.height - 1);
    const ay = fy - y0;
    const r0 = y0 * q.width;
    const r1 = y1 * q.width;
    for (let j = 0; j < width; j++) {
      const a = ax[j]!;
      const p00 = (r0 + x0[j]!) * K;
      const p01 = (r0 + x1[j]!) * K;
      const p10 = (r1 + x0[j]!) * K;
      const p11 = (r1 + x1[j]!) * K;
      const o = (i * width + j) * K;
      for (let k = 0; k < K; k++) {
        const top = q.data[p00 + k]! * (1 - a) + q.data[p01 + k]! * a;
        const bottom = q.data[p10 + k]! * (1 - a) + q.data[p11 + k]! * a;
        out[o + k] = top * (1 - ay) + bottom * ay;
      }
    }
  }
  return out;
}

/**
 * Q_k from P_k and the coarser level's fused map (see the module header), in one pass: up(Q_{k+1}) is sampled per
 * pixel (the same bilinear weights as upsampleProbabilities) and only where P_k hands something on, so no
 * full-size copy of the coarser map is made: the fusion of a 1500² photo's four levels took 0.15–0.18 s instead of
 * 0.48–0.53 s with the copy (one process, the machine's two cores shared with a training run).
 */
export function fuseLevel(p: ClassProbabilities, coarser: Probabilities): Probabilities {
  if (p.channels !== 4) throw invalidParameter('probabilities.channels', '4 (a scale-band model)', p.channels);
  const K = PROBABILITY_CHANNELS;
  const { width, height } = p;
  const src = p.data;
  const q = coarser.data;
  const cw = coarser.width;
  const sx = cw / width;
  const sy = coarser.height / height;
  const x0 = new Int32Array(width);
  const x1 = new Int32Array(width);
  const ax = new Float32Array(width);
  for (let j = 0; j < width; j++) {
    const fx = Math.min(Math.max((j + 0.5) * sx - 0.5, 0), cw - 1);
    x0[j] = Math.floor(fx);
    x1[j] = Math.min(x0[j]! + 1, cw - 1);
    ax[j] = fx - x0[j]!;
  }
  const out = new Float32Array(width * height * K);
  for (let i = 0; i < height; i++) {
    const fy = Math.min(Math.max((i + 0.5) * sy - 0.5, 0), coarser.height - 1);
    const y0 = Math.floor(fy);
    const ay = fy - y0;
    const r0 = y0 * cw;
    const r1 = Math.min(y0 + 1, coarser.height - 1) * cw;
    for (let j = 0; j < width; j++) {
      const n = i * width + j;
      const d = src[4 * n + 3]!;
      const o = K * n;
      out[o] = src[4 * n]!;
      out[o + 1] = src[4 * n + 1]!;
      out[o + 2] = src[4 * n + 2]!;
      if (d === 0) continue;
      const a = ax[j]!;
      const p00 = (r0 + x0[j]!) * K;
      const p01 = (r0 + x1[j]!) * K;
      const p10 = (r1 + x0[j]!) * K;
      const p11 = (r1 + x1[j]!) * K;
      for (let k = 0; k < K; k++) {
        const top = q[p00 + k]! * (1 - a) + q[p01 + k]! * a;
        const bottom = q[p10 + k]! * (1 - a) + q[p11 + k]! * a;
        out[o + k]! += d * (top * (1 - ay) + bottom * ay);
      }
    }
  }
  return { width, height, data: out };
}

/** The multi-scale semantic stage; a model without a size band runs at full resolution only. */
export async function predictMultiscale(engine: TileEngine, meta: ModelMeta, raster: Raster, options: MultiscaleOptions = {}): Promise<MultiscaleResult> {
  const levels = options.levels ?? pyramidLevels(meta, raster.width, raster.height, options.maxSizePx);
  if (!Number.isInteger(levels) || levels < 0 || levels > 12) throw invalidParameter('levels', 'an integer from 0 to 12', levels);
  if (levels > 0 && !meta.sizeBand) throw invalidParameter('levels', '0 for a model without a size band (meta.json sizeBand)', levels);
  const pyramid: Raster[] = [raster];
  for (let k = 1; k <= levels; k++) pyramid.push(await shrinkRaster(raster, 2 ** -k));
  // Tiles of every level count towards the progress the caller shows.
  let tilesBefore = 0;
  let tiles = 0;
  const onTile = (done: number, total: number): void => {
    tiles = tilesBefore + total;
    options.onTile?.(tilesBefore + done, tilesBefore + total);
  };
  let fused: Probabilities | undefined;
  for (let k = levels; k >= 0; k--) {
    const p = await predictClassProbabilities(engine, meta, pyramid[k]!, { ...options, onTile });
    tilesBefore = tiles;
    fused = fused === undefined ? collapseToThree(p) : fuseLevel(p, fused);
  }
  return { probabilities: fused!, levels, tiles };
}
