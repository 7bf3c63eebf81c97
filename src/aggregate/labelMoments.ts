// One pass over an instance map collecting every label's pixel moments, bounding box and edge flag into typed
// arrays (measure.ts builds its particles from them). Not in the aggregate barrel: an implementation detail,
// imported directly only by measure.ts and its tests.
import type { InstanceMap } from '../core/index.js';

/** Per-slot sums: slot 0 is background; slot s holds label ids[s]; a slot with area 0 holds no particle. */
export interface LabelMoments {
  count: number;
  ids: Int32Array;
  area: Float64Array;
  sx: Float64Array;
  sy: Float64Array;
  sxx: Float64Array;
  syy: Float64Array;
  sxy: Float64Array;
  minX: Int32Array;
  maxX: Int32Array;
  minY: Int32Array;
  maxY: Int32Array;
  /** 1 when a pixel lies on the image border or next to a 0 of the ROI. */
  edge: Uint8Array;
}

/**
 * How the sums are added. 'runs': per run of equal ids along a row (a few adds per run instead of per pixel),
 * which gives the same totals as adding pixel by pixel only while every sum stays an exact integer below 2⁵³;
 * 'pixels': pixel by pixel in raster order, as the first version did. 'auto' picks 'runs' when the map is small
 * enough for that (pixels × side² ≤ 2⁵³: up to ~200 MP), else 'pixels'.
 */
export type SumOrder = 'auto' | 'runs' | 'pixels';

/** Labels up to this (or up to a 16th of the pixel count) get their own slot in the per-label arrays. */
const DENSE_IDS = 1 << 16;

/**
 * Every pixel's slot in the per-label arrays: the map itself when ids are small and non-negative (1..N after
 * relabelling), else dense slots 1..K in order of first appearance, and the id of each slot.
 */
export function labelSlots(data: Int32Array): { slot: Int32Array; ids: Int32Array; count: number } {
  let lo = 0;
  let hi = 0;
  for (let p = 0; p < data.length; p++) {
    const v = data[p]!;
    if (v < lo) lo = v;
    else if (v > hi) hi = v;
  }
  if (lo === 0 && hi < Math.max(DENSE_IDS, data.length >> 4)) {
    const ids = new Int32Array(hi + 1);
    for (let k = 0; k <= hi; k++) ids[k] = k;
    return { slot: data, ids, count: hi + 1 };
  }
  // Sparse or huge ids: one Map lookup per run of equal ids, not per pixel.
  const slot = new Int32Array(data.length);
  const index = new Map<number, number>();
  const ids: number[] = [0];
  let prevId = 0;
  let prevSlot = 0;
  for (let p = 0; p < data.length; p++) {
    const v = data[p]!;
    if (v === 0) continue;
    if (v !== prevId) {
      let k = index.get(v);
      if (k === undefined) {
        k = ids.length;
        index.set(v, k);
        ids.push(v);
      }
      prevId = v;
      prevSlot = k;
    }
    slot[p] = prevSlot;
  }
  return { slot, ids: Int32Array.from(ids), count: ids.length };
}

export function labelMoments(map: InstanceMap, roi: Uint8Array | undefined, order: SumOrder = 'auto'): LabelMoments {
  const { width, height, data } = map;
  const { slot, ids, count } = labelSlots(data);
  const side = Math.max(width, height);
  const byRuns = order === 'runs' || (order === 'auto' && data.length * side * side <= 2 ** 53);
  const m: LabelMoments = {
    count,
    ids,
    area: new Float64Array(count),
    sx: new Float64Array(count),
    sy: new Float64Array(count),
    sxx: new Float64Array(count),
    syy: new Float64Array(count),
    sxy: new Float64Array(count),
    minX: new Int32Array(count).fill(width),
    maxX: new Int32Array(count),
    minY: new Int32Array(count),
    maxY: new Int32Array(count),
    edge: new Uint8Array(count),
  };
  if (byRuns) sumRuns(m, slot, width, height, roi);
  else sumPixels(m, slot, width, height, roi);
  return m;
}

function sumRuns(m: LabelMoments, slot: Int32Array, width: number, height: number, roi: Uint8Array | undefined): void {
  const { area, sx, sy, sxx, syy, sxy, minX, maxX, minY, maxY, edge } = m;
  for (let i = 0; i < height; i++) {
    const row = i * width;
    const rowEdge = i === 0 || i === height - 1;
    let j = 0;
    while (j < width) {
      const s = slot[row + j]!;
      let k = j + 1;
      while (k < width && slot[row + k] === s) k++;
      if (s !== 0) {
        let s1 = 0;
        let s2 = 0;
        for (let x = j; x < k; x++) {
          s1 += x;
          s2 += x * x;
        }
        const len = k - j;
        if (area[s] === 0) minY[s] = i;
        area[s]! += len;
        sx[s]! += s1;
        sy[s]! += i * len;
        sxx[s]! += s2;
        syy[s]! += i * i * len;
        sxy[s]! += i * s1;
        if (j < minX[s]!) minX[s] = j;
        if (k - 1 > maxX[s]!) maxX[s] = k - 1;
        maxY[s] = i;
        if (edge[s] === 0) {
          if (rowEdge || j === 0 || k === width) edge[s] = 1;
          else if (roi) {
            for (let p = row + j; p < row + k; p++) {
              if (roi[p - 1] === 0 || roi[p + 1] === 0 || roi[p - width] === 0 || roi[p + width] === 0) {
                edge[s] = 1;
                break;
              }
            }
          }
        }
      }
      j = k;
    }
  }
}

function sumPixels(m: LabelMoments, slot: Int32Array, width: number, height: number, roi: Uint8Array | undefined): void {
  const { area, sx, sy, sxx, syy, sxy, minX, maxX, minY, maxY, edge } = m;
  for (let i = 0; i < height; i++) {
    const rowEdge = i === 0 || i === height - 1;
    for (let j = 0; j < width; j++) {
      const p = i * width + j;
      const s = slot[p]!;
      if (s === 0) continue;
      if (area[s] === 0) minY[s] = i;
      area[s]! += 1;
      sx[s]! += j;
      sy[s]! += i;
      sxx[s]! += j * j;
      syy[s]! += i * i;
      sxy[s]! += i * j;
      if (j < minX[s]!) minX[s] = j;
      if (j > maxX[s]!) maxX[s] = j;
      maxY[s] = i;
      if (edge[s] === 1) continue;
      if (rowEdge || j === 0 || j === width - 1) edge[s] = 1;
      else if (roi && (roi[p - 1] === 0 || roi[p + 1] === 0 || roi[p - width] === 0 || roi[p + width] === 0)) edge[s] = 1;
    }
  }
}
