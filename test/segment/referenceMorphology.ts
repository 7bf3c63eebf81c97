// The instance stage's morphology as it was before the speed work of issue 11 (commit d788524): the plain,
// obviously-correct loops, kept only so tests can check the fast versions in src/segment/morphology.ts pixel for
// pixel on random inputs. Not used by the library.
import type { InstanceMap } from '../../src/core/index.js';
import { PixelClass } from '../../src/core/index.js';
import { loadOpenCV } from '../../src/cv/index.js';
import type { InstanceOptions, Probabilities } from '../../src/segment/index.js';
import { PROBABILITY_CHANNELS, PROBABILITY_CLASSES, connectedLabels, coreDistance, resolveInstanceOptions } from '../../src/segment/index.js';

/**
 * Morphological reconstruction by dilation of `marker` under `mask` (marker ≤ mask), in place on `marker`;
 * Vincent's hybrid algorithm: one raster scan, one anti-raster scan, then a FIFO for what is left.
 */
export function reconstructByDilation(marker: Float32Array, mask: Float32Array, w: number, h: number): Float32Array {
  const J = marker;
  const I = mask;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const p = i * w + j;
      let m = J[p]!;
      if (j > 0 && J[p - 1]! > m) m = J[p - 1]!;
      if (i > 0) {
        if (J[p - w]! > m) m = J[p - w]!;
        if (j > 0 && J[p - w - 1]! > m) m = J[p - w - 1]!;
        if (j < w - 1 && J[p - w + 1]! > m) m = J[p - w + 1]!;
      }
      const cap = I[p]!;
      J[p] = m < cap ? m : cap;
    }
  }
  const n = w * h;
  const queue = new Int32Array(n);
  let qHead = 0;
  let qTail = 0;
  const queued = new Uint8Array(n);
  // Backward neighbours (right, and the row below) of pixel p that are still below both v and their mask.
  const lags = (q: number, v: number): boolean => J[q]! < v && J[q]! < I[q]!;
  for (let i = h - 1; i >= 0; i--) {
    for (let j = w - 1; j >= 0; j--) {
      const p = i * w + j;
      let m = J[p]!;
      if (j < w - 1 && J[p + 1]! > m) m = J[p + 1]!;
      if (i < h - 1) {
        if (J[p + w]! > m) m = J[p + w]!;
        if (j < w - 1 && J[p + w + 1]! > m) m = J[p + w + 1]!;
        if (j > 0 && J[p + w - 1]! > m) m = J[p + w - 1]!;
      }
      const cap = I[p]!;
      const v = m < cap ? m : cap;
      J[p] = v;
      if ((j < w - 1 && lags(p + 1, v)) || (i < h - 1 && (lags(p + w, v) || (j < w - 1 && lags(p + w + 1, v)) || (j > 0 && lags(p + w - 1, v))))) {
        queue[qTail++] = p;
        queued[p] = 1;
      }
    }
  }
  // The FIFO is circular: a pixel can be queued again after it left, but never twice at once.
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
    for (let di = -1; di <= 1; di++) {
      const ii = i + di;
      if (ii < 0 || ii >= h) continue;
      for (let dj = -1; dj <= 1; dj++) {
        const jj = j + dj;
        if ((di === 0 && dj === 0) || jj < 0 || jj >= w) continue;
        const q = ii * w + jj;
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
  const out = new Uint8Array(w * h);
  const seen = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  const members: number[] = [];
  for (let start = 0; start < w * h; start++) {
    if (seen[start] || f[start]! <= floor) continue;
    const v = f[start]!;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    members.length = 0;
    let isMax = true;
    while (top > 0) {
      const p = stack[--top]!;
      members.push(p);
      const i = (p / w) | 0;
      const j = p - i * w;
      for (let di = -1; di <= 1; di++) {
        const ii = i + di;
        if (ii < 0 || ii >= h) continue;
        for (let dj = -1; dj <= 1; dj++) {
          const jj = j + dj;
          if (jj < 0 || jj >= w) continue;
          const q = ii * w + jj;
          const fq = f[q]!;
          if (fq > v) isMax = false;
          else if (fq === v && !seen[q]) {
            seen[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    if (isMax) for (const p of members) out[p] = 1;
  }
  return out;
}

/**
 * Extended maxima of height h: the peaks of `f` that rise at least `hValue` above the saddle to any higher peak,
 * each as one flat region. One stone's distance transform has one such peak however irregular its outline.
 */
export function hMaxima(f: Float32Array, w: number, h: number, hValue: number): Uint8Array {
  const lowered = new Float32Array(f.length);
  for (let p = 0; p < f.length; p++) lowered[p] = Math.max(0, f[p]! - hValue);
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
  const next = new Int32Array(n).fill(-1);
  const head = new Int32Array(256).fill(-1);
  const tail = new Int32Array(256).fill(-1);
  const push = (p: number, level: number): void => {
    if (tail[level]! === -1) head[level] = p;
    else next[tail[level]!] = p;
    tail[level] = p;
  };
  const spread = (p: number, level: number): void => {
    const i = (p / w) | 0;
    const j = p - i * w;
    const id = labels[p]!;
    for (let di = -1; di <= 1; di++) {
      const ii = i + di;
      if (ii < 0 || ii >= h) continue;
      for (let dj = -1; dj <= 1; dj++) {
        const jj = j + dj;
        if (jj < 0 || jj >= w) continue;
        const q = ii * w + jj;
        if (labels[q] !== 0 || !allowed[q]) continue;
        labels[q] = id;
        const r = relief[q]!;
        push(q, r > level ? r : level);
      }
    }
  };
  // Seeds first, then spread: spreading while scanning would let newly labelled pixels spread in raster order.
  const seeds: number[] = [];
  for (let p = 0; p < n; p++) if (labels[p] !== 0) seeds.push(p);
  for (const p of seeds) spread(p, 0);
  for (let level = 0; level < 256; level++) {
    while (head[level]! !== -1) {
      const p = head[level]!;
      head[level] = next[p]!;
      if (head[level] === -1) tail[level] = -1;
      spread(p, level);
    }
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

/** The instance core as it was (instances.ts before the speed work), built on the reference loops above. */
export async function referenceProbabilitiesToInstances(probs: Probabilities, options: Partial<InstanceOptions> = {}, roi?: Uint8Array): Promise<InstanceMap> {
  const o = resolveInstanceOptions(options);
  const { cv } = await loadOpenCV();
  const { width: w, height: h, data } = probs;
  const n = w * h;
  const K = PROBABILITY_CHANNELS;
  const body = PROBABILITY_CLASSES.indexOf(PixelClass.body);
  const boundary = PROBABILITY_CLASSES.indexOf(PixelClass.boundary);
  const foreground = new Uint8Array(n);
  const core = new Uint8Array(n);
  const relief0 = o.relief === 'probability' ? new Uint8Array(n) : undefined;
  for (let p = 0; p < n; p++) {
    const pb = data[p * K + body]!;
    const pe = data[p * K + boundary]!;
    foreground[p] = pb + pe >= o.foregroundThreshold ? 1 : 0;
    core[p] = pb >= o.bodyThreshold && foreground[p] && (roi === undefined || roi[p]) ? 1 : 0;
    if (relief0) relief0[p] = Math.round(255 * Math.min(1, Math.max(0, 1 - pb)));
  }
  const dist = coreDistance(cv, core, w, h, o.coreOpening);
  const peaks = hMaxima(dist, w, h, o.peakHeight);
  const labels = connectedLabels(cv, peaks, w, h);
  let maxId = 0;
  for (const id of labels) if (id > maxId) maxId = id;
  const allowed = new Uint8Array(n);
  for (let p = 0; p < n; p++) allowed[p] = foreground[p]! && (roi === undefined || roi[p]!) ? 1 : 0;
  let relief = relief0;
  if (relief === undefined) {
    let maxDist = 0;
    for (const d of dist) if (d > maxDist) maxDist = d;
    relief = new Uint8Array(n);
    const scale = maxDist > 0 ? 255 / maxDist : 0;
    for (let p = 0; p < n; p++) relief[p] = 255 - Math.round(dist[p]! * scale);
  }
  floodFromMarkers(labels, relief, allowed, w, h);
  labelRemaining(labels, allowed, w, h, maxId + 1);
  if (o.fillHoles) {
    fillHoles(labels, w, h);
    if (roi !== undefined) for (let p = 0; p < n; p++) if (!roi[p]) labels[p] = 0;
  }
  relabelBySize(labels, o.minArea);
  return { width: w, height: h, data: labels };
}
