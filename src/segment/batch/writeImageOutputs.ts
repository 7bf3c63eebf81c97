// Per-image outputs of `photosieve segment`, written from the worker that segmented the image (so the big
// arrays never cross threads). The lead's measure stage plugs in here; see TODO(lead).
import { join } from 'node:path';
import sharp from 'sharp';
import type { InstanceMap, Raster } from '../../core/index.js';
import { writeInstancePng, writeViaTemp } from '../../io/index.js';
import { drawOverlay } from './overlay.js';
import type { MeasureOptions } from './types.js';

/** Every file one image produces; an image whose files all exist is skipped on resume (unless --force). */
export function expectedOutputs(out: string, name: string): string[] {
  return [
    join(out, 'instances', `${name}.png`),
    join(out, 'overlays', `${name}.png`),
    // TODO(lead): add join(out, 'particles', `${name}.csv`) once measureParticles writes it, so resume checks it too.
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
}

export interface ImageOutputResult {
  particles: number;
  /** What the measure stage wants carried to the batch (e.g. the image's size distribution); opaque here. */
  measure?: Record<string, unknown>;
}

export async function writeImageOutputs(input: ImageOutputInput): Promise<ImageOutputResult> {
  const { out, name, raster, instances } = input;
  const [instancesPath, overlayPath] = expectedOutputs(out, name) as [string, string];
  let particles = 0;
  for (const id of instances.data) if (id > particles) particles = id;
  const overlay = drawOverlay(raster, instances);
  // TODO(lead): particles CSV + per-image distribution via src/aggregate, e.g.
  //   const rows = measureParticles(instances, { scale: input.measure.scale, roi });
  //   await writeParticlesCsv(join(out, 'particles', `${name}.csv`), rows);
  //   return { particles, measure: { distribution: histogram(rows, input.measure) } };
  await Promise.all([
    writeInstancePng(instancesPath, instances),
    writeViaTemp(overlayPath, (tmp) =>
      sharp(overlay, { raw: { width: raster.width, height: raster.height, channels: 3 } }).png({ compressionLevel: 4 }).toFile(tmp),
    ),
  ]);
  return { particles };
}
