// Grey-level morphology OpenCV.js lacks: reconstruction, h-maxima, marker flooding on a relief, hole filling and
// relabelling. Pure functions over typed arrays, 8-connected unless said otherwise.
import { invalidParameter } from '../core/index.js';

/**
 * Morphological reconstruction by dilation of `marker` under `mask` (marker ≤ mask), in place on `marker`;
 * Vincent's hybrid algorithm: one raster scan, one anti-raster scan, then a FIFO for what is left.
 */
export function reconstructByDilation(marker: Float32Array, mask: Float32Array, w: number, h: number): Float32Array {
  const J = marker;
  const I = mask;
  const n = w * h;
  // Raster scan: each pixel takes the max of itself and its four already-visited neighbours, capped by the mask.
  // Interior pixels skip the bounds tests (most of the cost at 9 MP); results do not depend on the order of the max.
  for (let i = 0; i < h; i++) {
    const row = i * w;
    for (let j = 0; j < w; j++) {
      const p = row + j;
      let m = J[p]!;
      if (j > 0 && J[p - 1]! > m) m = J[p - 1]!;
      if (i > 0) {
        const u = p - w;
        if (J[u]! > m) m = J[u]!;
        if (j > 0 && J[u - 1]! > m) m = J[u - 1]!;
        if (j < w - 1 && J[u + 1]! > m) m = J[u + 1]!;
      }
      const cap = I[p]!;
      J[p] = m < cap ? m : cap;
    }
  }
  const queue = new Int32Array(n);
  let qTail = 0;
  const queued = new Uint8Array(n);
  // Anti-raster scan; a pixel goes into the FIFO when one of its backward neighbours (right, and the row below)
  // is still below both its value and that neighbour's mask, i.e. could still be raised from it.
  for (let i = h - 1; i >= 0; i--) {
    const row = i * w;
    const below = i < h - 1;
    for (let j = w - 1; j >= 0; j--) {
      const p = row + j;
      let m = J[p]!;
      const right = j < w - 1;
      const left = j > 0;
      if (right && J[p + 1]! > m) m = J[p + 1]!;
      if (below) {
        const d = p + w;
        if (J[d]! > m) m = J[d]!;
        if (right && J[d + 1]! > m) m = J[d + 1]!;
        if (left && J[d - 1]! > m) m = J[d - 1]!;
      }
      const cap = I[p]!;
      const v = m < cap ? m : cap;
      J[p] = v;
      let lag = false;
      if (right) {
        const q = p + 1;
        lag = J[q]! < v && J[q]! < I[q]!;
      }
      if (!lag && below) {
        let q = p + w;
        lag = J[q]! < v && J[q]! < I[q]!;
        if (!lag && right) {
          q = p + w + 1;
          lag = J[q]! < v && J[q]! < I[q]!;
        }
        if (!lag && left) {
          q = p + w - 1;
          lag = J[q]! < v && J[q]! < I[q]!;
        }
      }
      if (lag) {
        queue[qTail++] = p;
        queued[p] = 1;
      }
    }
  }
  // The FIFO is circular: a pixel can be queued again after it left, but never twice at once.
  let qHead = 0;
  if (qTail === n) qTail = 0;
  let pending = qTail === 0 && queued[0] ? n : qTail;
  while (pending > 0) {
    const p = queue[qHead]!;
    qHead = qHead + 1 === n ? 0 : qHead + 1;
    pending--;
    queued[p] = 0;
    const i = (p / w) | 0;
    const j = p - i * w;
    const v = J[p]!;
    const i0 = i > 0 ? -1 : 0;
    const i1 = i < h - 1 ? 1 : 0;
    const j0 = j > 0 ? -1 : 0;
    const j1 = j < w - 1 ? 1 : 0;
    for (let di = i0; di <= i1; di++) {
      for (let dj = j0; dj <= j1; dj++) {
        const q = p + di * w + dj;
        const jq = J[q]!;
        const iq = I[q]!;
        if (jq < v && iq !== jq) {
          J[q] = v < iq ? v : iq;
          if (!queued[q]) {
            queue[qTail] = q;
            qTail = qTail + 1 === n ? 0 : qTail + 1;
            pending++;
            queued[q] = 1;
          }
        }
      }
    }
  }
  return J;
}

/**
 * Regional maxima of `f` above `floor`: flat connected plateaus with no higher neighbour. Returns 1 on them.
 * Values are compared exactly, which is right for reconstruction output (it copies values, never averages them).
 */
export function regionalMaxima(f: Float32Array, w: number, h: number, floor = 0): Uint8Array {
  const n = w * h;
  // A plateau is a maximum unless one of its pixels has a higher neighbour. Rather than flood every plateau
  // (every pixel, with a member list), mark each pixel that has a higher neighbour and spread the mark over its
  // equal-valued neighbours; only pixels on real plateaus are ever pushed.
  const lower = new Uint8Array(n);
  const stack = new Int32Array(n);
  for (let i = 0; i < h; i++) {
    const i0 = i > 0 ? -w : 0;
    const i1 = i < h - 1 ? w : 0;
    for (let j = 0; j < w; j++) {
      const p = i * w + j;
      const v = f[p]!;
      if (v <= floor || lower[p]) continue;
      const j0 = j > 0 ? -1 : 0;
      const j1 = j < w - 1 ? 1 : 0;
      let higher = false;
      let equal = 0;
      for (let di = i0; di <= i1; di += w) {
        for (let dj = j0; dj <= j1; dj++) {
          const fq = f[p + di + dj]!;
          if (fq > v) higher = true;
          else if (fq === v) equal++;
        }
      }
      if (!higher) continue;
      lower[p] = 1;
      // `equal` counts p itself: only a neighbour of the same value needs the spread.
      if (equal === 1) continue;
      let top = 0;
      stack[top++] = p;
      while (top > 0) {
        const r = stack[--top]!;
        const ri = (r / w) | 0;
        const rj = r - ri * w;
        const r0 = ri > 0 ? -w : 0;
        const r1 = ri < h - 1 ? w : 0;
        const c0 = rj > 0 ? -1 : 0;
        const c1 = rj < w - 1 ? 1 : 0;
        for (let di = r0; di <= r1; di += w) {
          for (let dj = c0; dj <= c1; dj++) {
            const q = r + di + dj;
            if (!lower[q] && f[q] === v) {
              lower[q] = 1;
              stack[top++] = q;
            }
          }
        }
      }
    }
  }
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) out[p] = f[p]! > floor && !lower[p] ? 1 : 0;
  return out;
}

/**
 * Extended maxima of height h: the peaks of `f` that rise at least `hValue` above the saddle to any higher peak,
 * each as one flat region. One stone's distance transform has one such peak however irregular its outline.
 * `hScale` (optional, one per pixel) multiplies h where the peak lies: a pyramid's pixel owned by a level of 1/8
 * resolution needs 8 times the prominence in full-resolution px.
 */
export function hMaxima(f: Float32Array, w: number, h: number, hValue: number, hScale?: Float32Array): Uint8Array {
  if (hScale && hScale.length !== f.length) throw invalidParameter('hScale.length', `${f.length} (one per pixel)`, hScale.length);
  const lowered = new Float32Array(f.length);
  for (let p = 0; p < f.length; p++) {
    const v = f[p]! - (hScale ? hValue * hScale[p]! : hValue);
    lowered[p] = v > 0 ? v : 0;
  }
  reconstructByDilation(lowered, f, w, h);
  return regionalMaxima(lowered, w, h, 0);
}

/**
 * Marker-controlled watershed by flooding: labels grow from `labels` (0 = unlabeled) over pixels where
 * `allowed` is 1, lowest `relief` (0..255) first, each pixel taking the label that reaches it first. No
 * watershed lines: touching particles share a border, as instance maps need.
 */
export function floodFromMarkers(labels: Int32Array, relief: Uint8Array, allowed: Uint8Array, w: number, h: number): Int32Array {
  const n = w * h;
  // cost[p]: p's relief while it may still be claimed (allowed and unlabelled), TAKEN once not. One 2-byte read
  // per neighbour instead of three arrays: the flooding visits pixels in level order, scattered over the image,
  // so at camera sizes its time is cache misses, and fewer arrays mean fewer of them.
  const TAKEN = 0xffff;
  const cost = new Uint16Array(n);
  let seedCount = 0;
  for (let p = 0; p < n; p++) {
    if (labels[p] !== 0) {
      seedCount++;
      cost[p] = TAKEN;
    } else cost[p] = allowed[p] ? relief[p]! : TAKEN;
  }
  // Seeds first, then spread: spreading while scanning would let newly labelled pixels spread in raster order.
  const seeds = new Int32Array(seedCount);
  for (let p = 0, k = 0; p < n; p++) if (labels[p] !== 0) seeds[k++] = p;
  // One FIFO per relief level, each a growable array. Not a linked list through the pixels: following `next[p]` is
  // a dependent cache miss per pixel (levels are scattered over the image), reading a queue in order is not.
  const queues: Int32Array[] = Array.from({ length: 256 }, () => new Int32Array(64));
  const sizes = new Int32Array(256);
  // Claims q (if still free) for `id` and queues it at max(relief, level): flooding never goes back down.
  const claim = (q: number, id: number, level: number): void => {
    const r = cost[q]!;
    if (r === TAKEN) return;
    cost[q] = TAKEN;
    labels[q] = id;
    const l = r > level ? r : level;
    let queue = queues[l]!;
    const size = sizes[l]!;
    if (size === queue.length) {
      const grown = new Int32Array(size * 2);
      grown.set(queue);
      queues[l] = queue = grown;
    }
    queue[size] = q;
    sizes[l] = size + 1;
  };
  // Neighbours in the order of the original nested loops (row above, own row, row below; left to right), which
  // decides who wins a tie: interior pixels unrolled, border pixels with bounds tests.
  const spread = (p: number, level: number): void => {
    const id = labels[p]!;
    const i = (p / w) | 0;
    const j = p - i * w;
    if (i > 0 && j > 0 && i < h - 1 && j < w - 1) {
      const up = p - w;
      const down = p + w;
      claim(up - 1, id, level);
      claim(up, id, level);
      claim(up + 1, id, level);
      claim(p - 1, id, level);
      claim(p + 1, id, level);
      claim(down - 1, id, level);
      claim(down, id, level);
      claim(down + 1, id, level);
      return;
    }
    for (let di = -1; di <= 1; di++) {
      const ii = i + di;
      if (ii < 0 || ii >= h) continue;
      for (let dj = -1; dj <= 1; dj++) {
        const jj = j + dj;
        if (jj >= 0 && jj < w) claim(ii * w + jj, id, level);
      }
    }
  };
  for (let k = 0; k < seedCount; k++) spread(seeds[k]!, 0);
  for (let level = 0; level < 256; level++) {
    // Spreading may append to this level's queue (and reallocate it), so its size and array are re-read each time.
    for (let k = 0; k < sizes[level]!; k++) spread(queues[level]![k]!, level);
    queues[level] = new Int32Array(0);
  }
  return labels;
}

/**
 * Fills holes: 4-connected groups of 0 that do not reach the image edge and are enclosed by a single label take
 * that label (a highlight or a pit inside a stone). Holes between two stones stay background.
 */
export function fillHoles(labels: Int32Array, w: number, h: number): Int32Array {
  const seen = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  const members: number[] = [];
  for (let start = 0; start < w * h; start++) {
    if (seen[start] || labels[start] !== 0) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    members.length = 0;
    let enclosing = 0;
    let fillable = true;
    while (top > 0) {
      const p = stack[--top]!;
      members.push(p);
      const i = (p / w) | 0;
      const j = p - i * w;
      if (i === 0 || j === 0 || i === h - 1 || j === w - 1) fillable = false;
      for (let k = 0; k < 4; k++) {
        const q = k === 0 ? (i > 0 ? p - w : -1) : k === 1 ? (i < h - 1 ? p + w : -1) : k === 2 ? (j > 0 ? p - 1 : -1) : j < w - 1 ? p + 1 : -1;
        if (q < 0) continue;
        const id = labels[q]!;
        if (id === 0) {
          if (!seen[q]) {
            seen[q] = 1;
            stack[top++] = q;
          }
        } else if (enclosing === 0) enclosing = id;
        else if (enclosing !== id) fillable = false;
      }
    }
    if (fillable && enclosing !== 0) for (const p of members) labels[p] = enclosing;
  }
  return labels;
}

/** Drops labels smaller than `minArea` px and renumbers the rest 1..N in raster order (deterministic ids). */
export function relabelBySize(labels: Int32Array, minArea: number): number {
  let maxId = 0;
  let minId = 0;
  for (let p = 0; p < labels.length; p++) {
    const id = labels[p]!;
    if (id > maxId) maxId = id;
    else if (id < minId) minId = id;
  }
  // Ids index typed arrays (a Map lookup per pixel was most of this function's time); ids that cannot (negative,
  // or far more than there are pixels) take the Map path, which gives the same numbering.
  if (minId < 0 || maxId > labels.length) return relabelBySizeMap(labels, minArea);
  const area = new Int32Array(maxId + 1);
  for (let p = 0; p < labels.length; p++) area[labels[p]!]!++;
  const to = new Int32Array(maxId + 1);
  let count = 0;
  for (let p = 0; p < labels.length; p++) {
    const id = labels[p]!;
    if (id === 0) continue;
    if (area[id]! < minArea) {
      labels[p] = 0;
      continue;
    }
    let t = to[id]!;
    if (t === 0) to[id] = t = ++count;
    labels[p] = t;
  }
  return count;
}

function relabelBySizeMap(labels: Int32Array, minArea: number): number {
  const area = new Map<number, number>();
  for (const id of labels) if (id !== 0) area.set(id, (area.get(id) ?? 0) + 1);
  const map = new Map<number, number>();
  for (let p = 0; p < labels.length; p++) {
    const id = labels[p]!;
    if (id === 0) continue;
    if (area.get(id)! < minArea) {
      labels[p] = 0;
      continue;
    }
    let to = map.get(id);
    if (to === undefined) {
      to = map.size + 1;
      map.set(id, to);
    }
    labels[p] = to;
  }
  return map.size;
}

/** Labels the 8-connected components of `mask` where `labels` is still 0, continuing after `firstId − 1`. */
export function labelRemaining(labels: Int32Array, mask: Uint8Array, w: number, h: number, firstId: number): number {
  let id = firstId;
  const stack = new Int32Array(w * h);
  for (let start = 0; start < w * h; start++) {
    if (!mask[start] || labels[start] !== 0) continue;
    let top = 0;
    stack[top++] = start;
    labels[start] = id;
    while (top > 0) {
      const p = stack[--top]!;
      const i = (p / w) | 0;
      const j = p - i * w;
      for (let di = -1; di <= 1; di++) {
        const ii = i + di;
        if (ii < 0 || ii >= h) continue;
        for (let dj = -1; dj <= 1; dj++) {
          const jj = j + dj;
          if (jj < 0 || jj >= w) continue;
          const q = ii * w + jj;
          if (mask[q] && labels[q] === 0) {
            labels[q] = id;
            stack[top++] = q;
          }
        }
      }
    }
    id++;
  }
  return id;
}
