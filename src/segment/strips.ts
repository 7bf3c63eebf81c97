// Strip processing: a photo too large to segment whole within the memory budget (or above STRIP_THRESHOLD_PIXELS)
// is segmented in horizontal strips. Each strip segments its core rows plus a margin above and below; a particle
// belongs to the strip whose core holds its first pixel (top row, leftmost), and is copied into the photo's
// instance map with the next id, so ids run in raster order of first pixels like a whole photo's (relabelBySize).
// For a single-scale U-Net at full resolution a strip reads every row its tiles need (Segmenter.rowsFor), so its
// probabilities equal the whole photo's; a particle whose foreground region lies within the strip's rows, off its
// cut rows, then comes out exactly as in the whole photo. A particle that reaches a cut row (taller than the
// margin) may be cut short, and one that lands on pixels an earlier strip's particle took is drawn only where they
// are free: both are counted, for a warning on the photo.
import type { InstanceMap, Raster } from '../core/index.js';
import { collectGarbage, invalidParameter } from '../core/index.js';
import type { SegmentCallOptions, Segmenter } from './createSegmenter.js';
import type { UnresolvedFines } from './instances.js';

/**
 * Photos above this many pixels are always segmented in strips. A whole photo needs ~46 bytes per pixel
 * (core/memory.ts), 1.8 GB per worker at 40 MP; strips hold ~11 bytes per pixel of the photo plus one strip.
 * Camera frames up to 36 MP (and the 24 MP most take) stay whole, their outputs as before.
 */
export const STRIP_THRESHOLD_PIXELS = 40_000_000;

/**
 * Pixels a strip segments at most, margins included (its width × rows): 16 MP keep a strip's working set near
 * 740 MB (46 B/px) while the margins of a 10000 px wide photo (2 × 256 rows on cores of 1088) add 47 % to the rows
 * segmented; 12 MP would save 180 MB a worker and cost 74 %.
 */
export const STRIP_PIXELS = 16_000_000;

/**
 * Rows above and below a strip's core that it segments too, without --max-size: 256 px, where the default model's
 * recall by b-axis falls below half (README "Measuring at any resolution"). A particle taller than the margin that
 * meets a strip's cut is counted in a warning.
 */
export const DEFAULT_STRIP_MARGIN = 256;

/** Strip cores start on multiples of this (the default U-Net's total downsampling; any value keeps results exact). */
export const STRIP_ALIGN = 16;

/** When photos are segmented in strips (library and tests; the CLI has a hidden --strip-threshold). */
export interface StripSettings {
  /** Photos above this many pixels always go in strips. @default STRIP_THRESHOLD_PIXELS */
  thresholdPixels?: number;
  /** Pixels a strip segments at most, margins included. @default STRIP_PIXELS */
  stripPixels?: number;
}

export interface Strip {
  /** Rows [from, to) whose particles (by first pixel) this strip owns. */
  core: [number, number];
  /** Rows [from, to) it segments: the core and the margins, within the photo. */
  rows: [number, number];
}

export interface StripPlan {
  width: number;
  height: number;
  margin: number;
  strips: Strip[];
}

export interface StripPlanOptions {
  /** Rows above and below each core. @default DEFAULT_STRIP_MARGIN */
  margin?: number;
  /** Pixels a strip segments at most (rows × width), margins included. @default STRIP_PIXELS */
  stripPixels?: number;
}

/**
 * Cores of equal height (a multiple of STRIP_ALIGN, at least twice the margin so margins never cost more than the
 * cores) tiling the photo top to bottom; the last core is what is left.
 */
export function planStrips(width: number, height: number, options: StripPlanOptions = {}): StripPlan {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) throw invalidParameter('image size', 'at least 1×1 px', `${width}×${height}`);
  const margin = options.margin ?? DEFAULT_STRIP_MARGIN;
  if (!Number.isInteger(margin) || margin < 0) throw invalidParameter('strip margin', 'an integer ≥ 0 (px)', margin);
  const stripPixels = options.stripPixels ?? STRIP_PIXELS;
  if (!(stripPixels > 0)) throw invalidParameter('strip pixels', 'a positive number', stripPixels);
  const fit = Math.floor(stripPixels / width) - 2 * margin;
  const core = Math.max(STRIP_ALIGN, STRIP_ALIGN * Math.floor(Math.max(fit, 2 * margin) / STRIP_ALIGN));
  const strips: Strip[] = [];
  for (let from = 0; from < height; from += core) {
    const to = Math.min(height, from + core);
    strips.push({ core: [from, to], rows: [Math.max(0, from - margin), Math.min(height, to + margin)] });
  }
  return { width, height, margin, strips };
}

/** Rows a strip plan segments at most in one strip (margins included). */
export function largestStripRows(plan: StripPlan): number {
  return Math.max(...plan.strips.map((s) => s.rows[1] - s.rows[0]));
}

export interface StitchCounts {
  /** Particles copied into the photo's map. */
  particles: number;
  /** Of those, particles that reach a cut row of their strip (they may extend beyond what the strip saw). */
  cut: number;
  /** Of those, particles some of whose pixels an earlier strip's particle had taken (drawn only where free). */
  clashes: number;
  /** The next free id of the photo's map. */
  nextId: number;
}

/**
 * Copies the particles a strip owns into the photo's instance map: those whose first pixel (raster order) lies in
 * the strip's core. `map` covers the strip's rows (strip.rows); `full` is the photo's map (width × height), 0 where
 * no particle was copied yet. New ids start at nextId in order of first pixels.
 */
export function stitchStrip(full: InstanceMap, map: InstanceMap, strip: Strip, nextId: number): StitchCounts {
  const w = full.width;
  const [r0, r1] = strip.rows;
  if (map.width !== w || map.height !== r1 - r0) throw invalidParameter('strip map', `${w}×${r1 - r0} px`, `${map.width}×${map.height}`);
  const [c0, c1] = strip.core;
  const cutTop = r0 > 0;
  const cutBottom = r1 < full.height;
  const src = map.data;
  const n = src.length;
  let maxId = 0;
  for (let p = 0; p < n; p++) if (src[p]! > maxId) maxId = src[p]!;
  // to[id]: the photo id of an owned particle, 0 for not seen yet, -1 for owned by another strip.
  const to = new Int32Array(maxId + 1);
  const owned: number[] = [];
  let id = nextId;
  for (let p = 0; p < n; p++) {
    const s = src[p]!;
    if (s === 0 || to[s] !== 0) continue;
    const row = r0 + Math.floor(p / w);
    if (row >= c0 && row < c1) {
      to[s] = id++;
      owned.push(s);
    } else to[s] = -1;
  }
  const cut = new Uint8Array(maxId + 1);
  const clash = new Uint8Array(maxId + 1);
  if (cutTop) for (let p = 0; p < w; p++) if (src[p]! > 0) cut[src[p]!] = 1;
  if (cutBottom) for (let p = n - w; p < n; p++) if (src[p]! > 0) cut[src[p]!] = 1;
  const dst = full.data;
  const offset = r0 * w;
  for (let p = 0; p < n; p++) {
    const s = src[p]!;
    if (s === 0) continue;
    const t = to[s]!;
    if (t <= 0) continue;
    if (dst[offset + p] === 0) dst[offset + p] = t;
    else clash[s] = 1;
  }
  let cutCount = 0;
  let clashCount = 0;
  for (const s of owned) {
    cutCount += cut[s]!;
    clashCount += clash[s]!;
  }
  return { particles: owned.length, cut: cutCount, clashes: clashCount, nextId: id };
}

export interface StripSegmentOptions extends Pick<SegmentCallOptions, 'onTile'> {
  /** 1 inside the region of interest, for the whole photo (width × height). */
  roi?: Uint8Array | undefined;
  /** Called with each strip's decoded rows (the raster holds photo rows from `top`), e.g. to keep its core rows. */
  onRows?: (raster: Raster, top: number, strip: Strip) => void;
}

export interface StripSegmentResult {
  instances: InstanceMap;
  tiles: number;
  levels: number;
  strips: number;
  cut: number;
  clashes: number;
  timings: { decodeMs: number; semanticMs: number; instancesMs: number };
  /** The strips' unresolved clusters, summed (SegmentResult.unresolved); absent when no strip looked for them. */
  unresolved?: UnresolvedFines;
}

/**
 * Segments a photo strip by strip. `read(from, to)` decodes photo rows [from, to) (sharp's extract: only those rows
 * are held). Strips run one after another; only the photo's instance map stays between them.
 */
export async function segmentInStrips(segmenter: Segmenter, read: (from: number, to: number) => Promise<Raster>, plan: StripPlan, options: StripSegmentOptions = {}): Promise<StripSegmentResult> {
  const { width: w, height: h } = plan;
  if (options.roi !== undefined && options.roi.length !== w * h) throw invalidParameter('roi', `a mask of ${w * h} px`, options.roi.length);
  const full: InstanceMap = { width: w, height: h, data: new Int32Array(w * h) };
  const timings = { decodeMs: 0, semanticMs: 0, instancesMs: 0 };
  let nextId = 1;
  let tiles = 0;
  let levels = 0;
  let cut = 0;
  let clashes = 0;
  let unresolved: UnresolvedFines | undefined;
  // Progress counts tiles over all strips; the total is known once each strip has started.
  const tilesBefore = { done: 0 };
  for (const strip of plan.strips) {
    const [from, to] = strip.rows;
    const [top, bottom] = segmenter.rowsFor(w, h, from, to);
    const t0 = performance.now();
    const raster = await read(top, bottom);
    timings.decodeMs += performance.now() - t0;
    const roi = options.roi?.subarray(from * w, to * w);
    const onTile = options.onTile ? (d: number, t: number): void => options.onTile!(tilesBefore.done + d, tilesBefore.done + t) : undefined;
    const seg = await segmenter.segmentRows(raster, { top, height: h, from, to }, { ...(roi ? { roi } : {}), ...(onTile ? { onTile } : {}) });
    timings.semanticMs += seg.timings.semanticMs;
    timings.instancesMs += seg.timings.instancesMs;
    tiles += seg.tiles;
    tilesBefore.done = tiles;
    levels = Math.max(levels, seg.levels);
    // A strip's map covers its margins too: only the unresolved pixels of its core rows are its own.
    if (seg.unresolved) {
      const core = stripCoreUnresolved(seg.unresolved, strip);
      unresolved = { count: (unresolved?.count ?? 0) + core.count, areaPx: (unresolved?.areaPx ?? 0) + core.areaPx };
    }
    const counts = stitchStrip(full, seg.instances, strip, nextId);
    nextId = counts.nextId;
    cut += counts.cut;
    clashes += counts.clashes;
    options.onRows?.(raster, top, strip);
    collectGarbage();
  }
  return { instances: full, tiles, levels, strips: plan.strips.length, cut, clashes, timings, ...(unresolved ? { unresolved } : {}) };
}

/**
 * The unresolved pixels of a strip's core rows, from its map's per-row counts (the map starts at strip.rows[0]); a
 * strip that found clusters counts once. Without per-row counts, the core's share of the rows.
 */
function stripCoreUnresolved(u: UnresolvedFines, strip: Strip): UnresolvedFines {
  const [from, to] = strip.rows;
  const [c0, c1] = strip.core;
  if (!u.perRow) return { count: u.count, areaPx: (u.areaPx * (c1 - c0)) / Math.max(1, to - from) };
  let areaPx = 0;
  for (let r = c0; r < c1; r++) areaPx += u.perRow[r - from] ?? 0;
  return { count: u.count, areaPx };
}

/** The warning for a photo whose strips cut or overlapped particles; undefined when none did. */
export function stripWarning(result: Pick<StripSegmentResult, 'strips' | 'cut' | 'clashes'>, margin: number): string | undefined {
  const parts: string[] = [];
  if (result.cut > 0) parts.push(`${result.cut} particle(s) reach the edge of the rows their strip segmented (taller than the strip margin of ${margin} px) and may be cut short`);
  if (result.clashes > 0) parts.push(`${result.clashes} particle(s) overlap a particle of the strip above and were drawn only where it was not`);
  if (parts.length === 0) return undefined;
  return `segmented in ${result.strips} strips: ${parts.join('; ')}: pass --max-size with the largest particle (a wider margin), or --max-memory with room to segment it whole`;
}
