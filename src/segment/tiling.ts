// Tile plans for full-resolution inference: overlapping tiles of the model's size over the image plus a reflected
// margin, and the blending window that makes overlaps fade into each other so tile borders leave no seam.
import { invalidParameter } from '../core/index.js';

export interface TilePlanOptions {
  /** Tile side in px (the model's tile size). */
  tileSize: number;
  /** Overlap between neighbouring tiles, px; at least tileSize/8. @default tileSize / 4 */
  overlap?: number;
  /** Tile starts are multiples of this (the model's total downsampling, 2^(depth−1)). @default 1 */
  align?: number;
}

export interface Tile {
  /** Top-left corner in image coordinates; negative or past the image where the tile reads reflected pixels. */
  x: number;
  y: number;
}

export interface TilePlan {
  width: number;
  height: number;
  tileSize: number;
  overlap: number;
  /** Reflected border added around the image so its edge pixels never sit at a tile's edge. */
  margin: number;
  columns: number[];
  rows: number[];
  tiles: Tile[];
}

export function minOverlap(tileSize: number): number {
  return Math.ceil(tileSize / 8);
}

/**
 * Starts of tiles along one axis covering [-margin, length + margin), evenly spread, neighbours ≥ overlap apart,
 * each a multiple of `align`. Alignment matters: a U-Net that pools k times sees the pixel grid in 2^k phases, and
 * tiles in different phases predict slightly different textures that blending would smear.
 */
export function planAxis(length: number, tileSize: number, overlap: number, margin: number, align = 1): number[] {
  const first = -align * Math.ceil(margin / align);
  const last = align * Math.ceil((length + margin - tileSize) / align);
  if (last <= first) return [align * Math.floor((first + last) / 2 / align)];
  const stride = tileSize - overlap;
  // Snapping to `align` can widen a gap by up to align px; add tiles until every gap still leaves the overlap.
  for (let count = Math.ceil((last - first) / stride) + 1; ; count++) {
    const out: number[] = [];
    for (let k = 0; k < count; k++) out.push(first + align * Math.round((k * (last - first)) / (count - 1) / align));
    if (out.every((s, k) => k === 0 || s - out[k - 1]! <= stride)) return out;
  }
}

export function planTiles(width: number, height: number, options: TilePlanOptions): TilePlan {
  const { tileSize } = options;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw invalidParameter('image size', 'at least 1×1 px', `${width}×${height}`);
  }
  if (!Number.isInteger(tileSize) || tileSize < 16) throw invalidParameter('tileSize', 'an integer ≥ 16', tileSize);
  const overlap = options.overlap ?? Math.round(tileSize / 4);
  if (!Number.isInteger(overlap) || overlap < minOverlap(tileSize) || overlap > tileSize / 2) {
    throw invalidParameter('overlap', `an integer from ${minOverlap(tileSize)} (tile/8) to ${tileSize / 2} (tile/2) px`, overlap, 'pass --overlap within that range or leave the default (tile/4)');
  }
  const align = options.align ?? 1;
  if (!Number.isInteger(align) || align < 1 || align > tileSize / 4) throw invalidParameter('align', `an integer from 1 to ${tileSize / 4}`, align);
  const margin = Math.floor(overlap / 2);
  const columns = planAxis(width, tileSize, overlap, margin, align);
  const rows = planAxis(height, tileSize, overlap, margin, align);
  const tiles: Tile[] = [];
  for (const y of rows) for (const x of columns) tiles.push({ x, y });
  return { width, height, tileSize, overlap, margin, columns, rows, tiles };
}

/**
 * One axis of the blending window: 1 in the middle, a sin² (Hann) ramp over `overlap` px at each end, never below
 * `floor`. Two neighbours at stride tile − overlap sum to exactly 1 over their overlap (sin² + cos² = 1); the floor
 * keeps a weight where only one tile reaches (image corners), so normalizing never divides by zero.
 */
export function blendProfile(tileSize: number, overlap: number, floor = 1e-3): Float32Array {
  const out = new Float32Array(tileSize);
  for (let i = 0; i < tileSize; i++) {
    const fromEdge = Math.min(i, tileSize - 1 - i) + 0.5;
    const w = fromEdge >= overlap ? 1 : Math.sin((Math.PI / 2) * (fromEdge / overlap)) ** 2;
    out[i] = Math.max(floor, w);
  }
  return out;
}

/** Reflects an index into [0, n) without repeating the edge pixel (…2 1 0 1 2…), for any distance outside. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let k = i % period;
  if (k < 0) k += period;
  return k < n ? k : period - k;
}

/** Reflected source indices of `count` consecutive positions starting at `start`. */
export function reflectedRange(start: number, count: number, n: number): Int32Array {
  const out = new Int32Array(count);
  for (let k = 0; k < count; k++) out[k] = reflectIndex(start + k, n);
  return out;
}
