// Multi-scale semantic stage for scale-band models: the same network on an image pyramid (1, 1/2, 1/4, …), fused
// into one set of 3-class probabilities at full resolution. Each level segments the particles whose b-axis fits
// the model's band at that level and marks larger ones `large`; a pixel's `large` share is handed to the next
// coarser level, recursively, so every stone is outlined at the finest level that sees it whole:
//
//   Q_L = P_L with large counted as body                          (the coarsest level: nothing coarser to ask)
//   Q_k = P_k[bg − g, body, boundary − m] + (P_k[large] + g + m) · up(Q_{k+1})   (k = L−1 … 0; sums to 1 like P_k)
//
// where m and g are the shares of P_k[boundary] and P_k[bg] that lie beside `large` rather than `body` pixels
// (boundaryHandOn, backgroundHandOn): a level cannot place the outline of a stone it sees only in part, nor tell
// its interior from sand, so those decisions go up with the stone. What a coarser level calls `large` (λ) is handed
// on from everything a finer level keeps, since a particle too large for a coarser level is too large for a finer
// one: Q_k = (1 − λ) · kept + (d + λ (1 − d)) · up(Q_{k+1}); by default (inheritLarge 'confirmed') only where the
// next coarser level outlines a particle, so the coarsest levels' view of a whole sample as one stone is not. The fusion
// also carries per pixel the resolution its evidence comes from (MultiscaleResult.scale), at which the instance
// stage reads its peak height.
//
// A learned per-pixel delegation in the spirit of hierarchical multi-scale attention (Tao et al. 2020), with the
// attention given a meaning the training targets define: "this particle is larger than I can see". Fines and
// sand never reach a coarser level, because at the fine level they are not `large`, so a coarse level's blob of
// fines cannot replace them. Cost: 1 + 1/4 + 1/16 + … ≤ 4/3 of the single-scale U-Net.
import type { Raster } from '../core/index.js';
import { invalidParameter } from '../core/index.js';
import type { TileEngine } from './engine.js';
import { DEFAULT_LARGE_INHERITANCE, LARGE_INHERITANCE } from './largeInheritance.js';
import type { LargeInheritance } from './largeInheritance.js';
import type { ModelMeta } from './modelMeta.js';
import { shrinkRaster } from './resize.js';
import type { ClassProbabilities, Probabilities, SemanticOptions } from './semantic.js';
import { PROBABILITY_CHANNELS, collapseToThree, defaultOverlap, inferenceTileSize, predictClassProbabilities } from './semantic.js';
import { minOverlap, planTiles } from './tiling.js';
import { unetSizeMultiple } from './unetKinds.js';

export interface MultiscaleOptions extends SemanticOptions {
  /**
   * The largest b-axis to measure, px at full resolution: levels are added until it fits the band.
   * @default half the photo's shorter side (nothing larger can lie whole in the frame)
   */
  maxSizePx?: number;
  /** Pyramid levels above full resolution; overrides maxSizePx. @default from maxSizePx */
  levels?: number;
  /**
   * Boundary ownership radius, px at each level (see boundaryHandOn); 0 hands on only the `large` share.
   * @default DEFAULT_OWNERSHIP_RADIUS
   */
  ownershipRadius?: number;
  /**
   * Background ownership radius, px at each level (see backgroundHandOn); 0 keeps a level's background with it.
   * @default DEFAULT_BACKGROUND_OWNERSHIP_RADIUS
   */
  backgroundOwnershipRadius?: number;
  /** Called with each level's own probabilities (k = 0 is full resolution), coarsest first: for diagnostics. */
  onLevel?: (k: number, probabilities: ClassProbabilities) => void;
  /**
   * A particle too large for a coarser level is too large for every finer one: the share of a pixel that a coarser
   * level calls `large` (inside its outline: eroded by one of its pixels) is handed on by every finer level whatever
   * that level calls it (fuseLevelAll's λ), so a finer level that reads a boulder's surface as a mosaic of small
   * stones does not keep them. 'confirmed' (the default) hands on a level's `large` only where the next coarser level
   * outlines a particle there (its own `body` share), and never the coarsest level's own: on a photo of packed gravel
   * the coarsest levels see the whole sample as one round patch and call it `large`, with nothing coarser to confirm
   * it. 'all' hands on every coarser `large` (merges packed gravel: docs/multiscale.md); 'off' none.
   * @default 'confirmed'
   */
  inheritLarge?: LargeInheritance;
}

export { DEFAULT_LARGE_INHERITANCE, LARGE_INHERITANCE } from './largeInheritance.js';
export type { LargeInheritance } from './largeInheritance.js';

/** See boundaryHandOn and docs/multiscale.md "Whose boundary is it": measured on bench:scale and check:discs. */
export const DEFAULT_OWNERSHIP_RADIUS = 2;
/** See backgroundHandOn and docs/multiscale.md "Holes in boulders": chosen on the validation photos. */
export const DEFAULT_BACKGROUND_OWNERSHIP_RADIUS = 2;

export interface MultiscaleResult {
  probabilities: Probabilities;
  /** Pyramid levels above full resolution that ran (0 = single scale). */
  levels: number;
  /** Tiles run over all levels. */
  tiles: number;
  /**
   * Pyramid runs only: per full-resolution pixel, the resolution its evidence comes from, in full-resolution px per
   * level px (1 = the full level, 2^k = level k), the mean over the levels weighted by the shares the fusion takes
   * from each (fuseLevelAll). The instance stage reads peak heights at this resolution.
   */
  scale?: Float32Array;
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
 * The tile side for a coarser pyramid level of width × height px when none was asked for: the one from the
 * default inference tile up to twice it (in the model's size multiple) whose tiles cover the level with the fewest
 * pixels run, the smaller on a tie. With models/scale-band a 750² level takes 4 tiles of 448² (0.80 MP run, 327
 * ms) instead of 16 of 256² (1.05 MP, 424 ms), a 375² level one tile of 448² instead of four of 256². Full
 * resolution keeps the default tile, so a pyramid's finest level is exactly the single-scale prediction.
 */
export function levelTileSize(meta: ModelMeta, width: number, height: number, overlap?: number): number {
  const m = unetSizeMultiple(meta.architecture);
  const base = inferenceTileSize(meta);
  let best = base;
  let bestCost = Infinity;
  for (let t = base; t <= 2 * base; t += m) {
    const o = overlap ?? defaultOverlap(meta, t);
    if (o < minOverlap(t) || o > t / 2) continue;
    const cost = planTiles(width, height, { tileSize: t, overlap: o, align: m }).tiles.length * t * t;
    if (cost < bestCost) {
      best = t;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * The bilinear sampling of one axis for resampling `from` samples to `to` (half-pixel centres, edges clamped): per
 * output index, the two source indices and the weight of the second. upsampleProbabilities and fuseLevel share it.
 */
function bilinearAxis(to: number, from: number): { i0: Int32Array; i1: Int32Array; a: Float32Array } {
  const scale = from / to;
  const i0 = new Int32Array(to);
  const i1 = new Int32Array(to);
  const a = new Float32Array(to);
  for (let j = 0; j < to; j++) {
    const f = Math.min(Math.max((j + 0.5) * scale - 0.5, 0), from - 1);
    i0[j] = Math.floor(f);
    i1[j] = Math.min(i0[j]! + 1, from - 1);
    a[j] = f - i0[j]!;
  }
  return { i0, i1, a };
}

/** A one-channel map of a pyramid level. */
export interface LevelMap {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * One level's fusion step in one pass, what predictMultiscale runs (module header):
 *
 *   Q_k = (1 − λ) · P_k[bg − g, body, boundary − m] + (d + λ (1 − d)) · up(Q_{k+1}),   d = P_k[large] + m + g
 *   S_k = (1 − d_s) · 2^k + d_s · up(S_{k+1}),   d_s = min(1, d) + λ (1 − min(1, d))
 *
 * m, g: the boundary and background shares handed on with `large` (boundaryHandOn, backgroundHandOn; none when
 * absent); λ: the share some coarser level calls `large`, given at the coarser size (then up-sampled here and
 * returned as `inherited` for the next finer level when k > 0: full resolution has none) or at this level's size;
 * none when absent. S is the resolution each pixel's fused evidence comes from (MultiscaleResult.scale), computed
 * when `coarserScale` (S_{k+1} at the coarser size) is given. Every up-sampling is bilinear with half-pixel centres
 * (upsampleProbabilities' weights), each coarser row pair interpolated once per output row, and up(Q) sampled only
 * where something is handed on, so no full-size copy of a coarser map is made.
 */
export function fuseLevelAll(
  p: ClassProbabilities,
  k: number,
  coarser: Probabilities,
  coarserScale?: LevelMap,
  large?: LevelMap | Float32Array,
  handOn?: Float32Array,
  backgroundOn?: Float32Array,
): { probabilities: Probabilities; scale?: Float32Array; inherited?: Float32Array } {
  if (p.channels !== 4) throw invalidParameter('probabilities.channels', '4 (a scale-band model)', p.channels);
  const K = PROBABILITY_CHANNELS;
  const { width, height } = p;
  const n0 = width * height;
  const cw = coarser.width;
  const ch = coarser.height;
  const sameSize = (m: LevelMap): boolean => m.width === cw && m.height === ch;
  if (coarserScale && !sameSize(coarserScale)) throw invalidParameter('coarserScale', `${cw} × ${ch} (the coarser map's size)`, `${coarserScale.width} × ${coarserScale.height}`);
  const lAtLevel = large instanceof Float32Array ? large : undefined;
  const lCoarse = large instanceof Float32Array ? undefined : large;
  if (lCoarse && !sameSize(lCoarse)) throw invalidParameter('coarserLarge', `${cw} × ${ch} (the coarser map's size)`, `${lCoarse.width} × ${lCoarse.height}`);
  if (lAtLevel && lAtLevel.length !== n0) throw invalidParameter('coarserLarge.length', `${n0} (one per pixel)`, lAtLevel.length);
  if (handOn && handOn.length !== n0) throw invalidParameter('handOn.length', `${n0} (one per pixel)`, handOn.length);
  if (backgroundOn && backgroundOn.length !== n0) throw invalidParameter('backgroundOn.length', `${n0} (one per pixel)`, backgroundOn.length);
  const src = p.data;
  const q = coarser.data;
  const sq = coarserScale?.data;
  const lq = lCoarse?.data;
  const sy = ch / height;
  const { i0: x0, i1: x1, a: ax } = bilinearAxis(width, cw);
  const out = new Float32Array(n0 * K);
  const scale = sq ? new Float32Array(n0) : undefined;
  // No level is finer than full resolution, so there λ is not handed on.
  const inherited = lq && k > 0 ? new Float32Array(n0) : undefined;
  const own = 2 ** k;
  const row = new Float32Array(cw * K);
  const rowS = new Float32Array(cw);
  const rowL = new Float32Array(cw);
  for (let i = 0; i < height; i++) {
    const fy = Math.min(Math.max((i + 0.5) * sy - 0.5, 0), ch - 1);
    const y0 = Math.floor(fy);
    const ay = fy - y0;
    const y1 = Math.min(y0 + 1, ch - 1);
    const r0 = y0 * cw * K;
    const r1 = y1 * cw * K;
    for (let c = 0; c < cw * K; c++) row[c] = q[r0 + c]! * (1 - ay) + q[r1 + c]! * ay;
    if (sq) for (let c = 0; c < cw; c++) rowS[c] = sq[y0 * cw + c]! * (1 - ay) + sq[y1 * cw + c]! * ay;
    if (lq) for (let c = 0; c < cw; c++) rowL[c] = lq[y0 * cw + c]! * (1 - ay) + lq[y1 * cw + c]! * ay;
    for (let j = 0; j < width; j++) {
      const n = i * width + j;
      const a = ax[j]!;
      const j0 = x0[j]!;
      const j1 = x1[j]!;
      const m = handOn ? handOn[n]! : 0;
      const g = backgroundOn ? backgroundOn[n]! : 0;
      const l = lq ? rowL[j0]! * (1 - a) + rowL[j1]! * a : lAtLevel ? lAtLevel[n]! : 0;
      if (inherited) inherited[n] = l;
      const d0 = src[4 * n + 3]! + m + g;
      const d = l > 0 ? d0 + l * (1 - d0) : d0;
      if (scale) {
        const dc = Math.min(1, d0);
        const ds = l > 0 ? dc + l * (1 - dc) : dc;
        scale[n] = (1 - ds) * own + ds * (rowS[j0]! * (1 - a) + rowS[j1]! * a);
      }
      const o = K * n;
      if (d === 0) {
        out[o] = src[4 * n]!;
        out[o + 1] = src[4 * n + 1]!;
        out[o + 2] = src[4 * n + 2]!;
        continue;
      }
      const f = 1 - l;
      const c0 = j0 * K;
      const c1 = j1 * K;
      out[o] = f * (src[4 * n]! - g) + d * (row[c0]! * (1 - a) + row[c1]! * a);
      out[o + 1] = f * src[4 * n + 1]! + d * (row[c0 + 1]! * (1 - a) + row[c1 + 1]! * a);
      out[o + 2] = f * (src[4 * n + 2]! - m) + d * (row[c0 + 2]! * (1 - a) + row[c1 + 2]! * a);
    }
  }
  return { probabilities: { width, height, data: out }, ...(scale ? { scale } : {}), ...(inherited ? { inherited } : {}) };
}

/** Bilinear resample of one channel (half-pixel centres, edges clamped): upsampleProbabilities' sampling. */
export function upsampleChannel(src: Float32Array, sw: number, sh: number, width: number, height: number): Float32Array {
  return upsampleInterleaved(src, sw, sh, 1, width, height);
}

/**
 * 3 × 3 minimum (edges clamped): a map's confident inside, one pixel in from where it fades. The map is channel
 * `channel` of `stride` interleaved ones (a level's probabilities read in place), or the whole of `src` by default.
 */
export function erode3(src: Float32Array, w: number, h: number, stride = 1, channel = 0): Float32Array {
  if (!Number.isInteger(stride) || stride < 1) throw invalidParameter('erode3 stride', 'a positive integer (interleaved channels)', stride);
  if (!Number.isInteger(channel) || channel < 0 || channel >= stride) throw invalidParameter('erode3 channel', `an integer from 0 to ${stride - 1}`, channel);
  if (src.length < w * h * stride) throw invalidParameter('erode3 src.length', `at least ${w * h * stride}`, src.length);
  // Separable: the minimum along each row, then along each column of that.
  const rows = new Float32Array(w * h);
  for (let i = 0; i < h; i++) {
    const b = i * w;
    for (let j = 0; j < w; j++) {
      const at = (b + j) * stride + channel;
      const c = src[at]!;
      const l = j > 0 ? src[at - stride]! : c;
      const r = j + 1 < w ? src[at + stride]! : c;
      rows[b + j] = c < l ? (c < r ? c : r) : l < r ? l : r;
    }
  }
  const out = new Float32Array(w * h);
  for (let i = 0; i < h; i++) {
    const up = (i > 0 ? i - 1 : i) * w;
    const down = (i + 1 < h ? i + 1 : i) * w;
    const b = i * w;
    for (let j = 0; j < w; j++) {
      const c = rows[b + j]!;
      const u = rows[up + j]!;
      const d = rows[down + j]!;
      out[b + j] = c < u ? (c < d ? c : d) : u < d ? u : d;
    }
  }
  return out;
}

/**
 * Bilinear resample of a 3-class map to width × height (half-pixel centres, edges clamped): up(Q) in the fusion.
 */
export function upsampleProbabilities(q: Probabilities, width: number, height: number): Float32Array {
  return upsampleInterleaved(q.data, q.width, q.height, PROBABILITY_CHANNELS, width, height);
}

/** Bilinear resample of a map of K interleaved channels, sw × sh → width × height (half-pixel centres, edges clamped). */
function upsampleInterleaved(src: Float32Array, sw: number, sh: number, K: number, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height * K);
  const sy = sh / height;
  const { i0: x0, i1: x1, a: ax } = bilinearAxis(width, sw);
  for (let i = 0; i < height; i++) {
    const fy = Math.min(Math.max((i + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const ay = fy - y0;
    const r0 = y0 * sw;
    const r1 = y1 * sw;
    for (let j = 0; j < width; j++) {
      const a = ax[j]!;
      const p00 = (r0 + x0[j]!) * K;
      const p01 = (r0 + x1[j]!) * K;
      const p10 = (r1 + x0[j]!) * K;
      const p11 = (r1 + x1[j]!) * K;
      const o = (i * width + j) * K;
      for (let k = 0; k < K; k++) {
        const top = src[p00 + k]! * (1 - a) + src[p01 + k]! * a;
        const bottom = src[p10 + k]! * (1 - a) + src[p11 + k]! * a;
        out[o + k] = top * (1 - ay) + bottom * ay;
      }
    }
  }
  return out;
}

/**
 * Q_k from P_k, the coarser level's fused map and the boundary and background shares handed on with `large`
 * (boundaryHandOn, backgroundHandOn; none when absent), and the share some coarser level calls `large` (λ, at this
 * level's size; none when absent), see the module header: fuseLevelAll's probabilities without the scale.
 */
export function fuseLevel(p: ClassProbabilities, coarser: Probabilities, handOn?: Float32Array, backgroundOn?: Float32Array, coarserLarge?: Float32Array): Probabilities {
  return fuseLevelAll(p, 0, coarser, undefined, coarserLarge, handOn, backgroundOn).probabilities;
}


/**
 * Boundary ownership: a boundary belongs to the particles beside it, so the share of a pixel's `boundary`
 * probability whose neighbourhood (a (2r+1)² box, clipped at the edges) is `large` rather than `body` is handed on
 * with the `large` share. Returns that share per pixel:
 *
 *   moved = P[boundary] · Σ_box P[large] / (Σ_box P[large] + Σ_box P[body])
 *
 * A fine level cannot see a large stone's outline; what it calls `boundary` beside one (the halo in the sand just
 * outside, texture edges inside) is then decided by the coarser level that sees the stone whole, while the
 * boundaries of the particles the level does see, surrounded by their own `body`, stay with it.
 */
export function boundaryHandOn(p: ClassProbabilities, radius: number): Float32Array {
  return handOnBesideLarge(p, radius, [2])[0]!;
}

/**
 * Background ownership, the same rule for `background`: the share of a pixel's background probability whose
 * neighbourhood is `large` rather than `body` is handed on with the `large` share,
 *
 *   moved = P[background] · Σ_box P[large] / (Σ_box P[large] + Σ_box P[body])
 *
 * Inside a stone larger than a tile the fine level sees surface without an edge, and where that surface looks like
 * sediment (a fine level trained on sands of many colours) it calls patches of it background: holes that split
 * the stone. Beside `large` the coarser level, which sees the stone whole and the sand around it, decides instead.
 * Background among `body` (the sand between the fines this level sees) stays with it, so a coarse level's blob of
 * fines still cannot replace them.
 */
export function backgroundHandOn(p: ClassProbabilities, radius: number): Float32Array {
  return handOnBesideLarge(p, radius, [0])[0]!;
}

/**
 * P[c] · Σ_box P[large] / (Σ_box P[large] + Σ_box P[body]) per pixel for each channel c asked for (0 background,
 * 2 boundary), box (2r+1)² clipped at the edges: both shares from one pass when their radii agree.
 */
export function handOnBesideLarge(p: ClassProbabilities, radius: number, channels: readonly (0 | 2)[]): Float32Array[] {
  if (p.channels !== 4) throw invalidParameter('probabilities.channels', '4 (a scale-band model)', p.channels);
  if (!Number.isInteger(radius) || radius < 1) throw invalidParameter('radius', 'a positive integer (px)', radius);
  const { width, height, data } = p;
  const moved = channels.map(() => new Float32Array(width * height));
  // Box sums by sliding windows: column sums over rows [i − r, i + r], slid along each row. The rows in the window
  // are kept de-interleaved in a ring, so adding and dropping a row reads contiguous memory.
  const span = 2 * radius + 1;
  const ringBody = new Float32Array(span * width);
  const ringLarge = new Float32Array(span * width);
  const colBody = new Float64Array(width);
  const colLarge = new Float64Array(width);
  const enter = (i: number): void => {
    const slot = (i % span) * width;
    const base = 4 * i * width;
    for (let j = 0; j < width; j++) {
      const body = data[base + 4 * j + 1]!;
      const large = data[base + 4 * j + 3]!;
      ringBody[slot + j] = body;
      ringLarge[slot + j] = large;
      colBody[j]! += body;
      colLarge[j]! += large;
    }
  };
  const leave = (i: number): void => {
    const slot = (i % span) * width;
    for (let j = 0; j < width; j++) {
      colBody[j]! -= ringBody[slot + j]!;
      colLarge[j]! -= ringLarge[slot + j]!;
    }
  };
  for (let i = 0; i < Math.min(radius, height); i++) enter(i);
  // Sums below this are rounding left by the sliding window, not probability.
  const eps = 1e-6;
  for (let i = 0; i < height; i++) {
    if (i - radius - 1 >= 0) leave(i - radius - 1);
    if (i + radius < height) enter(i + radius);
    // The box's sum along the row, slid with the column: add the column entering on the right, drop the one
    // leaving on the left.
    let winBody = 0;
    let winLarge = 0;
    for (let j = 0; j < Math.min(radius, width); j++) {
      winBody += colBody[j]!;
      winLarge += colLarge[j]!;
    }
    const base = i * width;
    for (let j = 0; j < width; j++) {
      if (j + radius < width) {
        winBody += colBody[j + radius]!;
        winLarge += colLarge[j + radius]!;
      }
      if (j - radius - 1 >= 0) {
        winBody -= colBody[j - radius - 1]!;
        winLarge -= colLarge[j - radius - 1]!;
      }
      if (!(winLarge > eps)) continue;
      const share = winLarge / (winLarge + (winBody > 0 ? winBody : 0));
      for (let c = 0; c < channels.length; c++) moved[c]![base + j] = data[4 * (base + j) + channels[c]!]! * share;
    }
  }
  return moved;
}

/** The multi-scale semantic stage; a model without a size band runs at full resolution only. */
export async function predictMultiscale(engine: TileEngine, meta: ModelMeta, raster: Raster, options: MultiscaleOptions = {}): Promise<MultiscaleResult> {
  const levels = options.levels ?? pyramidLevels(meta, raster.width, raster.height, options.maxSizePx);
  if (!Number.isInteger(levels) || levels < 0 || levels > 12) throw invalidParameter('levels', 'an integer from 0 to 12', levels);
  if (levels > 0 && !meta.sizeBand) throw invalidParameter('levels', '0 for a model without a size band (meta.json sizeBand)', levels);
  const own = options.ownershipRadius ?? DEFAULT_OWNERSHIP_RADIUS;
  if (!Number.isInteger(own) || own < 0 || own > 64) throw invalidParameter('ownershipRadius', 'an integer from 0 to 64 (px)', own);
  const bgOwn = options.backgroundOwnershipRadius ?? DEFAULT_BACKGROUND_OWNERSHIP_RADIUS;
  if (!Number.isInteger(bgOwn) || bgOwn < 0 || bgOwn > 64) throw invalidParameter('backgroundOwnershipRadius', 'an integer from 0 to 64 (px)', bgOwn);
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
  let scale: LevelMap | undefined;
  // Λ: the share of each pixel some coarser level calls `large` (eroded by one of its pixels), at the last level's
  // size; Λ_L = erode(P_L[large]) with 'all', 0 with 'confirmed' (Λ_k below).
  let coarseLarge: LevelMap | undefined;
  const inherit = options.inheritLarge ?? DEFAULT_LARGE_INHERITANCE;
  if (!LARGE_INHERITANCE.includes(inherit)) throw invalidParameter('inheritLarge', LARGE_INHERITANCE.map((m) => `'${m}'`).join(', '), inherit);
  // 'confirmed': the coarser level's own body share, which a level's `large` must lie on to be handed on.
  let coarserBody: LevelMap | undefined;
  // A level's body share (channel 1 of its 4), as a map of the level's size.
  const bodyPlane = (p: ClassProbabilities): LevelMap => {
    const data = new Float32Array(p.width * p.height);
    for (let n = 0; n < data.length; n++) data[n] = p.data[4 * n + 1]!;
    return { width: p.width, height: p.height, data };
  };
  for (let k = levels; k >= 0; k--) {
    const level = pyramid[k]!;
    const tileSize = options.tileSize ?? (k === 0 ? undefined : levelTileSize(meta, level.width, level.height, options.overlap));
    const p = await predictClassProbabilities(engine, meta, level, { ...options, onTile, ...(tileSize !== undefined ? { tileSize } : {}) });
    tilesBefore = tiles;
    options.onLevel?.(k, p);
    const ownLarge = (): Float32Array => erode3(p.data, p.width, p.height, 4, 3);
    if (fused === undefined) {
      fused = collapseToThree(p);
      if (levels > 0) scale = { width: p.width, height: p.height, data: new Float32Array(p.width * p.height).fill(2 ** k) };
      if (inherit === 'all' && levels > 0) coarseLarge = { width: p.width, height: p.height, data: ownLarge() };
      if (inherit === 'confirmed' && levels > 1) coarserBody = bodyPlane(p);
      continue;
    }
    const [handOn, backgroundOn] = own > 0 && own === bgOwn ? handOnBesideLarge(p, own, [2, 0]) : [own > 0 ? boundaryHandOn(p, own) : undefined, bgOwn > 0 ? backgroundHandOn(p, bgOwn) : undefined];
    const step = fuseLevelAll(p, k, fused, scale, coarseLarge, handOn, backgroundOn);
    fused = step.probabilities;
    scale = { width: p.width, height: p.height, data: step.scale! };
    const lambda = step.inherited;
    // 'all': Λ_k = 1 − (1 − erode(P_k[large])) · (1 − up(Λ_{k+1}));
    // 'confirmed': the same with erode(P_k[large]) · up(P_{k+1}[body]), and Λ_L = 0.
    const confirmed = inherit === 'confirmed';
    if (k > 0 && (confirmed || lambda)) {
      const mine = ownLarge();
      const cb = confirmed ? coarserBody! : undefined;
      const confirm = cb ? upsampleChannel(cb.data, cb.width, cb.height, p.width, p.height) : undefined;
      for (let n = 0; n < mine.length; n++) mine[n] = 1 - (1 - (confirm ? mine[n]! * confirm[n]! : mine[n]!)) * (1 - (lambda ? lambda[n]! : 0));
      coarseLarge = { width: p.width, height: p.height, data: mine };
      if (confirmed) coarserBody = k > 1 ? bodyPlane(p) : undefined;
    } else coarseLarge = undefined;
  }
  return { probabilities: fused!, levels, tiles, ...(scale ? { scale: scale.data } : {}) };
}
