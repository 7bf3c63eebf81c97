// Instance stage: class probabilities (or, in classical mode, a thresholded photo) to an instance-id map.
// Cores → distance transform → one marker per stone (h-maxima) → flooding over the relief inside the particle
// mask → unreached blobs, holes, ROI, minimum area. OpenCV.js does the dense image work; Mats stay in here.
import type { InstanceMap } from '../core/index.js';
import { PixelClass, invalidParameter } from '../core/index.js';
import type { OpenCV } from '../cv/index.js';
import { loadOpenCV, withMats } from '../cv/index.js';
import { fillHoles, floodFromMarkers, hMaxima, labelRemaining, relabelBySize } from './morphology.js';
import type { Probabilities } from './semantic.js';
import { PROBABILITY_CHANNELS, PROBABILITY_CLASSES } from './semantic.js';

export const RELIEF_KINDS = ['probability', 'distance'] as const;
export type ReliefKind = (typeof RELIEF_KINDS)[number];

export interface InstanceOptions {
  /** A pixel is particle when P(body) + P(boundary) reaches this. @default 0.5 */
  foregroundThreshold: number;
  /** A pixel is core (seeds markers) when P(body) reaches this. @default 0.5 */
  bodyThreshold: number;
  /** Radius of the opening applied to the cores before the distance transform, px; cuts thin bridges. @default 1 */
  coreOpening: number;
  /**
   * h of the h-maxima of the core distance transform, px: a peak must rise this much above the saddle to a
   * higher one to get its own marker. Larger merges more (fewer split stones, more merged neighbours). @default 2
   */
  peakHeight: number;
  /** What the flooding climbs: 1 − P(body) ('probability'), or the inverted core distance ('distance'). @default 'probability' */
  relief: ReliefKind;
  /** Particles smaller than this many pixels are dropped. @default 20 */
  minArea: number;
  /** Fill holes enclosed by a single particle. @default true */
  fillHoles: boolean;
  /**
   * How far a particle may extend beyond its core, as a multiple of the core's inscribed radius (at least 2 px):
   * a stone's outline lies a boundary-band's width outside its body, so anything farther out is sand or texture
   * the flooding crept into. On photos the benchmarks do not score (scripts/tune-sand.ts) 1 helped sand-matrix
   * trays a little and cost the scale-band model a little on textured stones; measured on six photos only, it is
   * off by default. @default Infinity (no limit)
   */
  growthLimit: number;
  /**
   * Keep particle-class blobs with no core pixel at all as particles. Off: a patch of boundary probability with no
   * body inside (sand texture, shadows between stones) is background, not a particle. @default false
   */
  keepCoreless: boolean;
  /**
   * A particle whose interior (pixels 2 px or more inside its outline) has a mean P(boundary) above this is a
   * cluster of unresolved fines, not a stone: a stone's interior is body, a blob of grains too small to resolve is
   * full of their outlines. The stones of a cluster (the connected pieces of its core, grown by the boundary band)
   * stay particles; the rest is background and reported as unresolved (InstanceMapWithFines, resolveClusters), never
   * measured as one particle. @default Infinity (off; models/scale-band's meta.json sets 0.4)
   */
  clusterBoundary: number;
  /**
   * How far each stone of a cluster (a connected piece of its core) grows into the cluster, as a multiple of the
   * piece's inscribed radius, and never less than the 2 px boundary band: the model's boundary band around a small
   * stone is wider than the labels' 2 px once the photo is magnified (at 2× a 15 px stone's core reaches only about
   * half its radius), and a fixed band left such stones at IoU < 0.5. Chosen on validation photos at 0.5×, 1× and
   * 2× (docs/multiscale.md): 1–1.5 alike, 2 and more start to attach fines to the stones. @default 1.25
   */
  clusterGrowth: number;
}

export const DEFAULT_INSTANCE_OPTIONS: Readonly<InstanceOptions> = Object.freeze({
  foregroundThreshold: 0.5,
  bodyThreshold: 0.5,
  coreOpening: 1,
  peakHeight: 2,
  relief: 'probability',
  minArea: 20,
  fillHoles: true,
  growthLimit: Infinity,
  keepCoreless: false,
  clusterBoundary: Infinity,
  clusterGrowth: 1.25,
});

function checkRange(name: string, v: number, min: number, max: number, integer = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw invalidParameter(`instance option ${name}`, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, v);
  }
}

/** Fills defaults and validates: every field named in errors, with its range. */
export function resolveInstanceOptions(options: Partial<InstanceOptions> = {}): InstanceOptions {
  const o = { ...DEFAULT_INSTANCE_OPTIONS, ...options };
  checkRange('foregroundThreshold', o.foregroundThreshold, 0, 1);
  checkRange('bodyThreshold', o.bodyThreshold, 0, 1);
  checkRange('coreOpening', o.coreOpening, 0, 50, true);
  checkRange('peakHeight', o.peakHeight, 0, 1000);
  checkRange('minArea', o.minArea, 0, 1e9, true);
  if (!(o.growthLimit >= 0)) throw invalidParameter('instance option growthLimit', 'a number ≥ 0 (Infinity: no limit)', o.growthLimit);
  if (!(o.clusterBoundary >= 0)) throw invalidParameter('instance option clusterBoundary', 'a number ≥ 0 (Infinity: off)', o.clusterBoundary);
  checkRange('clusterGrowth', o.clusterGrowth, 0, 100);
  if (typeof o.keepCoreless !== 'boolean') throw invalidParameter('instance option keepCoreless', 'true or false', o.keepCoreless);
  if (!RELIEF_KINDS.includes(o.relief)) throw invalidParameter('instance option relief', RELIEF_KINDS.join(' or '), o.relief);
  return o;
}

/** What the shared marker + flooding core works on; masks hold 0/1 per pixel. */
export interface MaskedInput {
  width: number;
  height: number;
  /** Pixels that may belong to a particle. */
  foreground: Uint8Array;
  /** Pixels surely inside one particle; their distance transform places the markers. */
  core: Uint8Array;
  /** Flooding relief 0..255, or undefined to flood the inverted core distance. */
  relief?: Uint8Array;
  /** 1 inside the region of interest; undefined = whole image. */
  roi?: Uint8Array | undefined;
  /** Per pixel, the factor peakHeight is multiplied by (a pyramid's MultiscaleResult.scale); undefined = 1. */
  peakScale?: Float32Array | undefined;
}

export interface MarkerStageOptions {
  coreOpening: number;
  peakHeight: number;
  minArea: number;
  fillHoles: boolean;
  /** See InstanceOptions. @default Infinity (classical mode, whose core is its foreground) */
  growthLimit?: number;
  /** See InstanceOptions. @default true */
  keepCoreless?: boolean;
}

/** Opening (optional) and exact Euclidean distance transform of a 0/1 mask, via OpenCV. */
export function coreDistance(cv: OpenCV, mask: Uint8Array, w: number, h: number, openingRadius: number): Float32Array {
  return withMats(cv, (s) => {
    const src = s.track(cv.matFromArray(h, w, cv.CV_8UC1, mask));
    let core = src;
    if (openingRadius > 0) {
      const k = 2 * openingRadius + 1;
      const kernel = s.track(cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(k, k)));
      core = s.track(new cv.Mat());
      cv.morphologyEx(src, core, cv.MORPH_OPEN, kernel);
    }
    const dist = s.track(new cv.Mat());
    cv.distanceTransform(core, dist, cv.DIST_L2, cv.DIST_MASK_PRECISE);
    return dist.data32F.slice();
  });
}

/** 8-connected components of a 0/1 mask as labels 1..N (0 elsewhere), via OpenCV. */
export function connectedLabels(cv: OpenCV, mask: Uint8Array, w: number, h: number): Int32Array {
  return withMats(cv, (s) => {
    const src = s.track(cv.matFromArray(h, w, cv.CV_8UC1, mask));
    const labels = s.track(new cv.Mat());
    cv.connectedComponents(src, labels, 8, cv.CV_32SC1);
    return labels.data32S.slice();
  });
}

/** The shared instance core: markers from the core distance, flooding, leftovers, holes, ROI, minimum area. */
export function instancesFromMasks(cv: OpenCV, input: MaskedInput, options: MarkerStageOptions): InstanceMap {
  const { width: w, height: h, foreground, roi } = input;
  const n = w * h;
  const dist = coreDistance(cv, input.core, w, h, options.coreOpening);
  const peaks = hMaxima(dist, w, h, options.peakHeight, input.peakScale);
  const labels = connectedLabels(cv, peaks, w, h);
  let maxId = 0;
  for (let p = 0; p < n; p++) if (labels[p]! > maxId) maxId = labels[p]!;
  // Neither the flooding nor labelRemaining writes `allowed`, so without an ROI the foreground serves as is.
  let allowed = foreground;
  if (roi !== undefined) {
    allowed = new Uint8Array(n);
    for (let p = 0; p < n; p++) allowed[p] = foreground[p]! && roi[p]! ? 1 : 0;
  }
  let relief = input.relief;
  if (relief === undefined) {
    let maxDist = 0;
    for (let p = 0; p < n; p++) if (dist[p]! > maxDist) maxDist = dist[p]!;
    relief = new Uint8Array(n);
    const scale = maxDist > 0 ? 255 / maxDist : 0;
    for (let p = 0; p < n; p++) relief[p] = 255 - Math.round(dist[p]! * scale);
  }
  floodFromMarkers(labels, relief, allowed, w, h);
  const growthLimit = options.growthLimit ?? Infinity;
  if (growthLimit < Infinity && maxId > 0) limitGrowth(cv, labels, input.core, dist, w, h, maxId, growthLimit);
  // Particle pixels no marker reached (a stone whose core was too thin to survive the opening) are their own
  // particles, if they hold core pixels (or keepCoreless says every blob counts).
  const end = labelRemaining(labels, allowed, w, h, maxId + 1);
  if (!(options.keepCoreless ?? true) && end > maxId + 1) {
    const hasCore = new Uint8Array(end);
    for (let p = 0; p < n; p++) if (input.core[p] && labels[p]! > maxId) hasCore[labels[p]!] = 1;
    for (let p = 0; p < n; p++) if (labels[p]! > maxId && !hasCore[labels[p]!]) labels[p] = 0;
  }
  if (options.fillHoles) {
    fillHoles(labels, w, h);
    if (roi !== undefined) for (let p = 0; p < n; p++) if (!roi[p]) labels[p] = 0;
  }
  relabelBySize(labels, options.minArea);
  return { width: w, height: h, data: labels };
}

/**
 * Unassigns flooded pixels farther from the core mask than max(2, limit × R) px, R being the largest core distance
 * inside the pixel's particle (its core's inscribed radius). Core pixels themselves are never cut.
 */
function limitGrowth(cv: OpenCV, labels: Int32Array, core: Uint8Array, dist: Float32Array, w: number, h: number, maxId: number, limit: number): void {
  const n = w * h;
  const radius = new Float32Array(maxId + 1);
  for (let p = 0; p < n; p++) {
    const id = labels[p]!;
    if (id > 0 && dist[p]! > radius[id]!) radius[id] = dist[p]!;
  }
  const outside = new Uint8Array(n);
  for (let p = 0; p < n; p++) outside[p] = core[p] ? 0 : 1;
  const fromCore = coreDistance(cv, outside, w, h, 0);
  for (let p = 0; p < n; p++) {
    const id = labels[p]!;
    if (id > 0 && fromCore[p]! > Math.max(2, limit * radius[id]!)) labels[p] = 0;
  }
}

/** Particles taken out of an instance map as clusters of unresolved fines (InstanceOptions.clusterBoundary). */
export interface UnresolvedFines {
  count: number;
  /** Their pixels, px at the map's resolution. */
  areaPx: number;
  /** Their pixels per row of the map (strips count the rows they own only); absent when there are none. */
  perRow?: Float64Array;
}

/** An instance map with what its instance stage took out as unresolved fines. */
export type InstanceMapWithFines = InstanceMap & { unresolved: UnresolvedFines };

/** Offsets of the interior test: a pixel whose 8 neighbours at distance 2 share its id lies 2 px inside its outline. */
const INTERIOR_OFFSETS = [
  [-2, -2],
  [-2, 0],
  [-2, 2],
  [0, -2],
  [0, 2],
  [2, -2],
  [2, 0],
  [2, 2],
] as const;

/** The least a stone of a cluster reaches beyond its core, px: the boundary band the labels draw (annotate's 2 px). */
const CLUSTER_STONE_RIM_PX = 2;

/**
 * How far each core piece of a cluster grows, px, indexed by piece (1..pieceCount): `growth` × its inscribed radius
 * (the core's largest distance to a non-core pixel), at least the boundary band. The mask is padded by a pixel so a
 * piece on the box's edge is measured to it.
 */
function clusterStoneReach(cv: OpenCV, coreMask: Uint8Array, pieces: Int32Array, cw: number, ch: number, pieceCount: number, growth: number): Int32Array {
  const reach = new Int32Array(pieceCount + 1).fill(CLUSTER_STONE_RIM_PX);
  if (!(growth > 0) || pieceCount === 0) return reach;
  const pw = cw + 2;
  const padded = new Uint8Array(pw * (ch + 2));
  for (let i = 0; i < ch; i++) padded.set(coreMask.subarray(i * cw, (i + 1) * cw), (i + 1) * pw + 1);
  const dist = coreDistance(cv, padded, pw, ch + 2, 0);
  const radius = new Float64Array(pieceCount + 1);
  for (let i = 0; i < ch; i++) {
    for (let j = 0; j < cw; j++) {
      const k = pieces[i * cw + j]!;
      const d = dist[(i + 1) * pw + j + 1]!;
      if (k > 0 && d > radius[k]!) radius[k] = d;
    }
  }
  for (let k = 1; k <= pieceCount; k++) reach[k] = Math.max(CLUSTER_STONE_RIM_PX, Math.round(growth * radius[k]!));
  return reach;
}

/**
 * Resolves the clusters of `labels` (in place): a particle whose interior's mean P(boundary) exceeds
 * `o.clusterBoundary` (InstanceOptions.clusterBoundary) is not one stone. Each connected piece of its core (P(body)
 * ≥ bodyThreshold), grown by `o.clusterGrowth` × its inscribed radius (at least the boundary band), becomes a
 * particle of its own when it has minArea pixels; the rest of the cluster (grains too small to resolve, and the
 * outlines between them) becomes background and is counted as unresolved. A particle with no interior pixel (under
 * ~5 px across) is never a cluster. Ids are not renumbered.
 */
export function resolveClusters(cv: OpenCV, labels: Int32Array, w: number, h: number, probs: Float32Array, o: Pick<InstanceOptions, 'clusterBoundary' | 'clusterGrowth' | 'bodyThreshold' | 'minArea'>): UnresolvedFines {
  if (!(o.clusterBoundary < Infinity)) return { count: 0, areaPx: 0 };
  let maxId = 0;
  for (let p = 0; p < labels.length; p++) if (labels[p]! > maxId) maxId = labels[p]!;
  const inner = new Float64Array(maxId + 1);
  const innerBoundary = new Float64Array(maxId + 1);
  const K = PROBABILITY_CHANNELS;
  const body = PROBABILITY_CLASSES.indexOf(PixelClass.body);
  const boundary = PROBABILITY_CLASSES.indexOf(PixelClass.boundary);
  const deltas = Int32Array.from(INTERIOR_OFFSETS, ([di, dj]) => di * w + dj);
  const D = deltas.length;
  for (let i = 2; i < h - 2; i++) {
    for (let j = 2; j < w - 2; j++) {
      const p = i * w + j;
      const id = labels[p]!;
      if (id <= 0) continue;
      let d = 0;
      while (d < D && labels[p + deltas[d]!] === id) d++;
      if (d < D) continue;
      inner[id]!++;
      innerBoundary[id]! += probs[p * K + boundary]!;
    }
  }
  const cluster = new Uint8Array(maxId + 1);
  let count = 0;
  for (let id = 1; id <= maxId; id++) {
    if (inner[id]! > 0 && innerBoundary[id]! / inner[id]! > o.clusterBoundary) {
      cluster[id] = 1;
      count++;
    }
  }
  if (count === 0) return { count: 0, areaPx: 0 };
  const n = w * h;
  // Each cluster is resolved within its bounding box, so the cost follows the clusters' area, not the photo's.
  const box = new Int32Array(4 * (maxId + 1));
  for (let id = 1; id <= maxId; id++) if (cluster[id]) box.set([w, h, -1, -1], 4 * id);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const id = labels[i * w + j]!;
      if (id <= 0 || !cluster[id]) continue;
      const b = 4 * id;
      if (j < box[b]!) box[b] = j;
      if (i < box[b + 1]!) box[b + 1] = i;
      if (j > box[b + 2]!) box[b + 2] = j;
      if (i > box[b + 3]!) box[b + 3] = i;
    }
  }
  let nextId = maxId + 1;
  let areaPx = 0;
  const perRow = new Float64Array(h);
  for (let id = 1; id <= maxId; id++) {
    if (!cluster[id]) continue;
    const x0 = box[4 * id]!;
    const y0 = box[4 * id + 1]!;
    const x1 = box[4 * id + 2]!;
    const y1 = box[4 * id + 3]!;
    const cw = x1 - x0 + 1;
    const ch = y1 - y0 + 1;
    // The cluster's pixels become -1 until a stone claims them; its core (P(body) ≥ bodyThreshold) is the seed.
    const coreMask = new Uint8Array(cw * ch);
    for (let i = y0; i <= y1; i++) {
      for (let j = x0; j <= x1; j++) {
        const p = i * w + j;
        if (labels[p] !== id) continue;
        labels[p] = -1;
        if (probs[p * K + body]! >= o.bodyThreshold) coreMask[(i - y0) * cw + (j - x0)] = 1;
      }
    }
    // Core pieces are 8-connected (connectedLabels) and lie on this cluster's pixels only.
    const pieces = connectedLabels(cv, coreMask, cw, ch);
    let front: number[] = [];
    let pieceCount = 0;
    for (let q = 0; q < cw * ch; q++) {
      const k = pieces[q]!;
      if (k === 0) continue;
      if (k > pieceCount) pieceCount = k;
      const p = (y0 + Math.floor(q / cw)) * w + x0 + (q % cw);
      labels[p] = nextId + k - 1;
      front.push(p);
    }
    const reach = clusterStoneReach(cv, coreMask, pieces, cw, ch, pieceCount, o.clusterGrowth);
    let maxReach = 0;
    for (let k = 1; k <= pieceCount; k++) if (reach[k]! > maxReach) maxReach = reach[k]!;
    // Grow every piece into the cluster's unclaimed pixels, one 4-neighbour step at a time up to its own reach, so
    // where two pieces meet the nearer one takes the pixel (-1 pixels are this cluster's and inside its box).
    for (let step = 0; step < maxReach && front.length > 0; step++) {
      const next: number[] = [];
      const claim = (q: number, to: number): void => {
        if (labels[q] !== -1) return;
        labels[q] = to;
        next.push(q);
      };
      for (const p of front) {
        const to = labels[p]!;
        if (reach[to - nextId + 1]! <= step) continue;
        const j = p % w;
        if (j > 0) claim(p - 1, to);
        if (j < w - 1) claim(p + 1, to);
        if (p >= w) claim(p - w, to);
        if (p + w < n) claim(p + w, to);
      }
      front = next;
    }
    // Pieces under minArea are grains too: unresolved with the rest.
    const pieceArea = new Int32Array(pieceCount + 1);
    for (let i = y0; i <= y1; i++) for (let j = x0; j <= x1; j++) {
      const v = labels[i * w + j]!;
      if (v >= nextId && v < nextId + pieceCount) pieceArea[v - nextId + 1]!++;
    }
    for (let i = y0; i <= y1; i++) {
      for (let j = x0; j <= x1; j++) {
        const p = i * w + j;
        const v = labels[p]!;
        if (v === -1 || (v >= nextId && v < nextId + pieceCount && pieceArea[v - nextId + 1]! < o.minArea)) {
          labels[p] = 0;
          areaPx++;
          perRow[i]!++;
        }
      }
    }
    nextId += pieceCount;
  }
  return { count, areaPx, perRow };
}

/** Probabilities → instance map (see InstanceOptions for the knobs). */
export async function probabilitiesToInstances(probs: Probabilities, options: Partial<InstanceOptions> = {}, roi?: Uint8Array, peakScale?: Float32Array): Promise<InstanceMapWithFines> {
  const o = resolveInstanceOptions(options);
  const { cv } = await loadOpenCV();
  const { width: w, height: h, data } = probs;
  const n = w * h;
  if (roi !== undefined && roi.length !== n) throw invalidParameter('roi', `a mask of ${n} px`, roi.length);
  const K = PROBABILITY_CHANNELS;
  const body = PROBABILITY_CLASSES.indexOf(PixelClass.body);
  const boundary = PROBABILITY_CLASSES.indexOf(PixelClass.boundary);
  const foreground = new Uint8Array(n);
  const core = new Uint8Array(n);
  const relief = o.relief === 'probability' ? new Uint8Array(n) : undefined;
  const { foregroundThreshold, bodyThreshold } = o;
  for (let p = 0, q = 0; p < n; p++, q += K) {
    const pb = data[q + body]!;
    const fg = pb + data[q + boundary]! >= foregroundThreshold;
    foreground[p] = fg ? 1 : 0;
    core[p] = fg && pb >= bodyThreshold && (roi === undefined || roi[p] !== 0) ? 1 : 0;
    if (relief) {
      // Same arithmetic as Math.round(255 · clamp(1 − pb, 0, 1)), without the calls.
      const x = 1 - pb;
      relief[p] = Math.round(255 * (x < 0 ? 0 : x > 1 ? 1 : x));
    }
  }
  const map = instancesFromMasks(cv, { width: w, height: h, foreground, core, relief, roi, peakScale }, o);
  const unresolved = resolveClusters(cv, map.data, w, h, data, o);
  if (unresolved.count > 0) relabelBySize(map.data, 0);
  return { ...map, unresolved };
}
