// Per-image outputs of `photosieve segment`, written from the worker that segmented the image (so the big
// arrays never cross threads): instance PNG, overlay, particle table, and the image's size distribution.
import { join } from 'node:path';
import sharp from 'sharp';
import type { InstanceMap, Raster } from '../../core/index.js';
import type { SizeDistribution } from '../../aggregate/index.js';
import { measureParticles, particleTable, sizeDistribution } from '../../aggregate/index.js';
import { writeCsvAtomic, writeInstancePng, writeViaTemp } from '../../io/index.js';
import { drawOverlay } from './overlay.js';
import type { MeasureOptions } from './types.js';

/** Every file one image produces; an image whose files all exist is skipped on resume (unless --force). */
export function expectedOutputs(out: string, name: string): string[] {
  return [
    join(out, 'instances', `${name}.png`),
    join(out, 'overlays', `${name}.png`),
    join(out, 'particles', `${name}.csv`),
  ];
}

export interface ImageOutputInput {
  out: string;
  name: string;
  path: string;
  raster: Raster;
  instances: InstanceMap;
  /** --scale, --bins, --weight, --truth: used by the measure stage. */
  measure: MeasureOptions;
  /** 1 inside the region of interest: particles next to its outside touch the edge. */
  roi?: Uint8Array | undefined;
}

/** What one image contributes to histograms.csv (plain data, back from the worker). */
export interface ImageMeasure {
  fractions: number[];
  n: number;
  d10: number;
  d50: number;
  d90: number;
  warnings: string[];
  unmeasuredAreaFraction: number;
}

export function imageMeasureOf(d: SizeDistribution): ImageMeasure {
  return { fractions: d.fractions, n: d.n, d10: d.d.d10, d50: d.d.d50, d90: d.d.d90, warnings: d.warnings, unmeasuredAreaFraction: d.unmeasured.areaFraction };
}

export interface ImageOutputResult {
  particles: number;
  /** The image's size distribution, when a bin spec was given. */
  measure?: ImageMeasure;
  /** Milliseconds spent measuring particles and binning them (the rest of the call is drawing and writing). */
  measureMs: number;
}

export async function writeImageOutputs(input: ImageOutputInput): Promise<ImageOutputResult> {
  const { out, name, raster, instances } = input;
  const [instancesPath, overlayPath, particlesPath] = expectedOutputs(out, name) as [string, string, string];
  const { scale, spec } = input.measure;
  const t0 = performance.now();
  const particles = measureParticles(instances, { scale, roi: input.roi });
  const table = particleTable(particles, scale);
  let measure: ImageMeasure | undefined;
  if (spec) measure = imageMeasureOf(sizeDistribution(particles, spec, scale));
  const measureMs = performance.now() - t0;
  const overlay = drawOverlay(raster, instances);
  await Promise.all([
    writeInstancePng(instancesPath, instances),
    writeCsvAtomic(particlesPath, table.header, table.rows),
    writeViaTemp(overlayPath, (tmp) =>
      sharp(overlay, { raw: { width: raster.width, height: raster.height, channels: 3 } }).png({ compressionLevel: 4 }).toFile(tmp),
    ),
  ]);
  return { particles: particles.length, measureMs, ...(measure ? { measure } : {}) };
}
