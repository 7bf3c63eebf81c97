// `photosieve synth` as a library call: draws the group vectors, generates every image, and writes the run's
// tables. Files of one run, in the layout `annotate` writes:
//   images/NAME.(png|jpg), instances/NAME.png, masks/NAME.png, labels/NAME.json, annotations.json (COCO),
//   truth.csv (image,group,<bins>: the prescribed mass vector, what a sieve reports),
//   visible.csv (image,group,weight,n_visible,<bins>: count/area/mass-weighted vectors of the visible stones),
//   groups.json (bins, the distance rule, each group's vector and each image's realized fractions).
// Nothing written depends on the clock or the machine, so a seed and the options fix every byte.
import { join } from 'node:path';
import { writeCocoIndex } from '../annotate/index.js';
import { binColumnNames } from '../core/index.js';
import { writeCsvAtomic, writeJsonAtomic } from '../io/index.js';
import { makeGroupVectors } from './groupVectors.js';
import type { SynthOptions } from './options.js';
import { LOOKS } from './looks.js';
import { validateSynthOptions } from './options.js';
import { createRandom } from './random.js';
import type { SynthImageRecord } from './synthImage.js';
import { synthImage } from './synthImage.js';

export type GroupSplit = 'train' | 'holdout';

export interface SynthGroup {
  name: string;
  split: GroupSplit;
  /** Prescribed mass fractions, one per bin. */
  vector: number[];
}

export interface SynthSummary {
  outDir: string;
  columns: string[];
  groups: SynthGroup[];
  images: number;
  /** Particles generated over all images (hidden ones included). */
  particles: number;
  visibleParticles: number;
  /** Largest |realized − prescribed| mass fraction over images with no bin too coarse for the frame. */
  maxRealizedError: number;
  /** Images where some bin was too coarse for the frame (its share is below one particle). */
  imagesWithCoarseBins: number;
}

const GROUPS_KEY = 1;
const IMAGE_KEY_BASE = 1000;

function groupNames(prefix: string, count: number): string[] {
  const digits = Math.max(2, String(count).length);
  return Array.from({ length: count }, (_, k) => `${prefix}${String(k + 1).padStart(digits, '0')}`);
}

export async function runSynth(options: SynthOptions): Promise<SynthSummary> {
  const o = validateSynthOptions(options);
  const columns = binColumnNames(o.binEdgesMm, 'mm');
  const root = createRandom(o.seed);
  const vectors = makeGroupVectors(root.split(GROUPS_KEY), {
    bins: columns.length,
    groups: o.groups,
    training: o.vector ? [o.vector] : undefined,
    holdout: o.holdout,
    holdoutDistance: o.holdoutDistance,
    alpha: o.dirichletAlpha,
  });
  const groups: SynthGroup[] = [
    ...groupNames('g', vectors.training.length).map((name, k) => ({ name, split: 'train' as const, vector: vectors.training[k]! })),
    ...groupNames('h', vectors.holdout.length).map((name, k) => ({ name, split: 'holdout' as const, vector: vectors.holdout[k]! })),
  ];

  const total = groups.length * o.perGroup;
  const digits = Math.max(3, String(o.perGroup).length);
  const records: SynthImageRecord[] = [];
  let index = 0;
  for (const group of groups) {
    for (let k = 0; k < o.perGroup; k++) {
      const name = `${group.name}_${String(k + 1).padStart(digits, '0')}`;
      records.push(await synthImage(root.split(IMAGE_KEY_BASE + index), group.vector, name, group.name, o));
      index += 1;
      o.onProgress?.(index, total, name);
    }
  }

  const vectorOf = new Map(groups.map((g) => [g.name, g.vector]));
  await writeCocoIndex(o.outDir, records.map((r) => r.exportImage));
  await writeCsvAtomic(
    join(o.outDir, 'truth.csv'),
    ['image', 'group', ...columns],
    records.map((r) => [r.name, r.group, ...vectorOf.get(r.group)!]),
  );
  await writeCsvAtomic(
    join(o.outDir, 'visible.csv'),
    ['image', 'group', 'weight', 'n_visible', ...columns],
    records.flatMap((r) =>
      (['count', 'area', 'mass'] as const).map((w) => [r.name, r.group, w, r.visible.visibleParticles, ...r.visible[w]]),
    ),
  );
  let maxRealizedError = 0;
  let imagesWithCoarseBins = 0;
  for (const r of records) {
    if (r.coarseBins.length > 0) {
      imagesWithCoarseBins += 1;
      continue;
    }
    const v = vectorOf.get(r.group)!;
    r.realizedFractions.forEach((f, k) => (maxRealizedError = Math.max(maxRealizedError, Math.abs(f - v[k]!))));
  }
  await writeJsonAtomic(join(o.outDir, 'groups.json'), {
    generator: 'photosieve synth',
    seed: o.seed,
    bins: {
      unit: 'mm',
      edges: o.binEdgesMm,
      columns,
      size_range: [o.minSizeMm, o.maxSizeMm],
      scale_mm_per_px: o.scaleMmPerPx,
      size_measure: 'b-axis (intermediate axis; the moment-ellipse minor axis of the outline)',
    },
    mass_model: 'mass ∝ a·b·c, a = e·b, c = f·b; e uniform in [1, 2·elongation − 1], f = flatness ± 0.15',
    holdout_rule: {
      metric: 'euclidean',
      min_distance: o.holdoutDistance,
      rule: 'every held-out vector is at least min_distance from every training vector',
    },
    options: {
      width: o.width,
      height: o.height,
      per_group: o.perGroup,
      dirichlet_alpha: o.dirichletAlpha,
      coverage: o.coverage,
      order: o.order,
      roundness: o.roundness,
      elongation: o.elongation,
      flatness: o.flatness,
      roughness: o.roughness,
      min_particle_px: o.minParticlePx,
      circle: o.circle,
      gray: o.gray,
      format: o.format,
      jpeg_quality: o.jpegQuality,
      boundary_px: o.boundaryPx,
      blur_px: o.blurPx,
      noise: o.noise,
      vignette: o.vignette,
      light_azimuth_deg: o.lightAzimuthDeg,
      light_elevation_deg: o.lightElevationDeg,
      // Only when a look is chosen, so the default run's files stay what they were; absent means dry.
      ...(o.look.length === 1 && o.look[0] === 'dry'
        ? {}
        : { look: o.look, look_for_training: o.look.every((n) => LOOKS[n].forTraining) }),
    },
    groups: groups.map((g) => ({
      name: g.name,
      split: g.split,
      vector: g.vector,
      images: records
        .filter((r) => r.group === g.name)
        .map((r) => ({
          name: r.name,
          particles: r.particles,
          visible_particles: r.visible.visibleParticles,
          realized_mass_fractions: r.realizedFractions,
          coarse_bins: r.coarseBins.map((k) => columns[k]!),
        })),
    })),
  });
  return {
    outDir: o.outDir,
    columns,
    groups,
    images: records.length,
    particles: records.reduce((s, r) => s + r.particles, 0),
    visibleParticles: records.reduce((s, r) => s + r.visible.visibleParticles, 0),
    maxRealizedError,
    imagesWithCoarseBins,
  };
}
