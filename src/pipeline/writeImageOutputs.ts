// Per-image outputs of `photosieve segment`, written from the worker that segmented the image (so the big
// arrays never cross threads): instance PNG, overlay, particle table, and the image's size distribution.
import { join } from 'node:path';
import sharp from 'sharp';
import type { InstanceMap, Raster } from '../core/index.js';
import { collectGarbage } from '../core/index.js';
import type { BinSpec, HistogramEntry, SizeDistribution } from '../aggregate/index.js';
import { histogramEntry, measureParticles, particleTable, sizeDistribution } from '../aggregate/index.js';
import { writeCsvAtomic, writeInstancePng, writeViaTemp } from '../io/index.js';

import { drawOverlay, drawOverlayOn } from './overlay.js';
import type { OverlayKind } from './types.js';
import { DEFAULT_OVERLAYS, OVERLAY_JPEG_QUALITY, OVERLAY_KINDS } from './types.js';

/** overlays/NAME.png or .jpg; undefined for 'none'. */
export function overlayPath(out: string, name: string, kind: OverlayKind): string | undefined {
  return kind === 'none' ? undefined : join(out, 'overlays', `${name}.${kind}`);
}

/**
 * Every file one image produces with this overlay kind; an image whose files all exist is skipped on resume
 * (unless --force), so asking for another overlay kind redoes the images that lack it.
 */
export function expectedOutputs(out: string, name: string, overlays: OverlayKind = DEFAULT_OVERLAYS): string[] {
  const overlay = overlayPath(out, name, overlays);
  return [join(out, 'instances', `${name}.png`), ...(overlay ? [overlay] : []), join(out, 'particles', `${name}.csv`)];
}

/** Every file an image may have in DIR, whatever overlay kind made it (for stale-output checks). */
export function possibleOutputs(out: string, name: string): string[] {
  const overlays = OVERLAY_KINDS.flatMap((k) => overlayPath(out, name, k) ?? []);
  return [join(out, 'instances', `${name}.png`), join(out, 'particles', `${name}.csv`), ...overlays];
}

export interface ImageOutputInput {
  out: string;
  name: string;
  path: string;
  /** The photo, for the overlay; or, in strip mode, photoRgb. */
  raster?: Raster | undefined;
  /** The photo as 8-bit RGB (the instance map's size), drawn on in place: strip mode's copy, filled strip by strip. */
  photoRgb?: Uint8Array | undefined;
  instances: InstanceMap;
  /** Particle area the segmenter took out as unresolved clusters of fines (SegmentResult.unresolved), px. @default 0 */
  unresolvedAreaPx?: number | undefined;
  /** mm per pixel of this image, and the bin spec (--bins, --weight, …). */
  measure: { scale?: number | undefined; spec?: BinSpec | undefined };
  /** 1 inside the region of interest: particles next to its outside touch the edge. */
  roi?: Uint8Array | undefined;
  /** @default 'jpg' */
  overlays?: OverlayKind;
  /**
   * The largest b-axis (px) the segmenter measured whole (a scale-band model's band at its coarsest pyramid level):
   * particles above it are counted in a warning, since they may be fragments of larger stones.
   */
  largestPx?: number | undefined;
  /**
   * Write the instance PNG, then draw and write the overlay, instead of both at once: the 16-bit copy and the
   * overlay's slot map are never held together (strip mode, for photos too large for that). @default false
   */
  oneAtATime?: boolean;
}

/**
 * What one image contributes to histograms.csv (plain data, back from the worker, kept in its record): its row (the
 * vector, the count, every percentile, Cu and Cc) and its notes, so a resumed batch writes the same rows.
 */
export type ImageMeasure = HistogramEntry & {
  warnings: string[];
  /** Share of the particle area not in the vector: below the detection limit, or in unresolved clusters. */
  unmeasuredAreaFraction: number;
  /** The part of it in clusters of grains too small to resolve (absent in records of runs before 0.5). */
  unresolvedAreaFraction?: number;
};

export function imageMeasureOf(d: SizeDistribution): ImageMeasure {
  return { ...histogramEntry(d), warnings: d.warnings, unmeasuredAreaFraction: d.unmeasured.areaFraction, unresolvedAreaFraction: d.unmeasured.unresolvedAreaFraction };
}

export interface ImageOutputResult {
  particles: number;
  /** The image's size distribution, when a bin spec was given. */
  measure?: ImageMeasure;
  /** Milliseconds spent measuring particles and binning them (the rest of the call is drawing and writing). */
  measureMs: number;
}

export async function writeImageOutputs(input: ImageOutputInput): Promise<ImageOutputResult> {
  const { out, name, instances } = input;
  const overlays = input.overlays ?? DEFAULT_OVERLAYS;
  const instancesPath = join(out, 'instances', `${name}.png`);
  const particlesPath = join(out, 'particles', `${name}.csv`);
  const overlayFile = overlayPath(out, name, overlays);
  const { scale, spec } = input.measure;
  const t0 = performance.now();
  const particles = measureParticles(instances, { scale, roi: input.roi });
  const table = particleTable(particles, scale);
  let measure: ImageMeasure | undefined;
  if (spec) {
    measure = imageMeasureOf(sizeDistribution(particles, spec, scale, input.unresolvedAreaPx ?? 0));
    const over = input.largestPx === undefined ? [] : particles.filter((p) => !p.touchesEdge && p.minorPx > input.largestPx!);
    if (over.length > 0) {
      const at = scale === undefined ? `${Math.round(input.largestPx!)} px` : `${(input.largestPx! * scale).toPrecision(3)} mm (${Math.round(input.largestPx!)} px)`;
      measure.warnings = [...measure.warnings, `${over.length} particle(s) have a b-axis above ${at}, the largest this model's pyramid measures whole: pass a larger --max-size`];
    }
  }
  const measureMs = performance.now() - t0;
  const writes = [writeInstancePng(instancesPath, instances), writeCsvAtomic(particlesPath, table.header, table.rows)];
  const writeOverlay = (): Promise<void> | undefined => {
    if (overlayFile === undefined) return undefined;
    const { width, height } = instances;
    const rgb = input.photoRgb ? drawOverlayOn(input.photoRgb, instances) : input.raster ? drawOverlay(input.raster, instances) : undefined;
    if (!rgb) throw new Error('writeImageOutputs: an overlay needs the raster or photoRgb');
    const overlay = sharp(rgb, { raw: { width, height, channels: 3 } });
    return writeViaTemp(overlayFile, (tmp) =>
      (overlays === 'png' ? overlay.png({ compressionLevel: 4 }) : overlay.jpeg({ quality: OVERLAY_JPEG_QUALITY, chromaSubsampling: '4:4:4' })).toFile(tmp),
    );
  };
  if (input.oneAtATime) {
    // The measures' slot map, then the 16-bit copy, go before the overlay draws (strip mode's photos are large).
    collectGarbage();
    const first = await Promise.allSettled(writes);
    collectGarbage();
    const next = first.some((r) => r.status === 'rejected') ? undefined : writeOverlay();
    if (next) writes.push(next);
  } else {
    const next = writeOverlay();
    if (next) writes.push(next);
  }
  // Every write settles before a failure is reported: the caller decides from the files on disk whether the
  // image's record goes, so no write may still land after it looked.
  const settled = await Promise.allSettled(writes);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { particles: particles.length, measureMs, ...(measure ? { measure } : {}) };
}
