// One synthetic photo end to end: particle set → layout → visible outlines → label files (through annotate's
// writer, the same one `photosieve annotate` uses) → rendered and encoded image.
import { join } from 'node:path';
import type { ExportImage, ExportInstance } from '../annotate/index.js';
import { roiMask, writeAnnotatedImage } from '../annotate/index.js';
import { writeImage8 } from '../io/index.js';
import { applyCamera } from './applyCamera.js';
import { layoutParticles } from './layoutParticles.js';
import type { ResolvedSynthOptions } from './options.js';
import type { Random } from './random.js';
import { renderScene } from './renderScene.js';
import { sampleParticleSizes } from './sampleSizes.js';
import { visibleGeometry } from './visibleGeometry.js';
import type { VisibleVectors } from './visibleVectors.js';
import { visibleVectors } from './visibleVectors.js';

export interface SynthImageRecord {
  name: string;
  group: string;
  /** For the COCO index. */
  exportImage: ExportImage;
  /** Particles generated (hidden ones included). */
  particles: number;
  /** Mass fractions of the generated particle set. */
  realizedFractions: number[];
  /** Bins too coarse for the frame (indices). */
  coarseBins: number[];
  visible: VisibleVectors;
}

export const PARTICLE_LABEL = 'particle';

export async function synthImage(
  rng: Random,
  vector: readonly number[],
  name: string,
  group: string,
  o: ResolvedSynthOptions,
): Promise<SynthImageRecord> {
  const { width, height } = o;
  const sizes = sampleParticleSizes(rng.split(1), vector, {
    boundsPx: o.boundsPx,
    frameAreaPx: width * height,
    coverage: o.coverage,
    elongation: o.elongation,
    flatness: o.flatness,
  });
  const placed = layoutParticles(rng.split(2), sizes.particles, {
    width,
    height,
    order: o.order,
    roundness: o.roundness,
    roughness: o.roughness,
    fractures: o.style.fractures,
    burial: o.style.burial,
  });
  const roi = o.circle ? roiMask({ kind: 'circle' }, width, height) : undefined;
  const { visible, bottomUp } = visibleGeometry(placed, width, height, roi);

  // Ids from the bottom up: id k + 1 is stones[k].
  const stones = bottomUp.filter((k) => visible[k]!.length > 0).map((k) => placed[k]!);
  const instances: ExportInstance[] = [];
  bottomUp
    .filter((k) => visible[k]!.length > 0)
    .forEach((k, s) => instances.push({ id: s + 1, label: PARTICLE_LABEL, geometry: visible[k]! }));
  const fileName = `images/${name}.${o.format}`;
  const exportImage: ExportImage = { name, fileName, width, height, instances };
  const written = await writeAnnotatedImage(o.outDir, exportImage, { boundaryPx: o.boundaryPx, roi });

  const scene = renderScene(rng.split(3), written.instances.data, stones.map((p) => ({ shape: p.shape, bPx: p.bPx, cPx: p.cPx })), {
    width,
    height,
    lightAzimuthDeg: o.lightAzimuthDeg,
    lightElevationDeg: o.lightElevationDeg,
    style: o.style,
    // Matrix grains stay well below the smallest labelled stone, so they are texture, not particles.
    grainPx: Math.max(1.5, Math.min(3, o.minParticlePx / 2)),
  });
  const photo = applyCamera(rng.split(4), scene, {
    blurPx: o.blurPx,
    noise: o.noise,
    vignette: o.vignette,
    gray: o.gray,
    roi,
  });
  await writeImage8(join(o.outDir, fileName), width, height, photo.channels, photo.data, {
    format: o.format,
    jpegQuality: o.jpegQuality,
  });
  return {
    name,
    group,
    exportImage,
    particles: sizes.particles.length,
    realizedFractions: sizes.realizedFractions,
    coarseBins: sizes.coarseBins,
    visible: visibleVectors(written.instances.data, stones, vector.length),
  };
}
