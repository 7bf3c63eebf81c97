// Chooses instance-stage knobs on photos the benchmarks do not score: the two real validation photos the training
// picks its epoch on and synthetic trays of two training looks, plus the disc scene at 0.5×, 1× and 2×. The U-Net
// runs once per photo; each variant of the instance stage then runs on the same probabilities.
//   npx tsx scripts/tune-sand.ts MODEL [SEGMENTER_OPTIONS_JSON] [VARIANTS_JSON]
//     SEGMENTER_OPTIONS_JSON e.g. '{"boundaryOwnership":0}'; VARIANTS_JSON replaces the variants below, e.g.
//     '{"body 0.6":{"bodyThreshold":0.6}}' (each still on top of the model's own instance settings)
// Each variant is applied on top of the model's own instance settings (meta.json `instance`), as segment runs it.
import { join } from 'node:path';
import { SegmentationScorer } from '../src/aggregate/index.js';
import type { InstanceOptions, SegmenterOptions } from '../src/segment/index.js';
import { createSegmenter, probabilitiesToInstances } from '../src/segment/index.js';
import { loadTrainingFolder } from '../src/train/index.js';
import { DISC_PX_PER_MM, discDrifts, discSizesMm, renderDiscs } from './discPhoto.js';

const model = process.argv[2] ?? 'default';
const CACHE = join(import.meta.dirname, '..', '.cache', 'train-scale');
const builtIn: Record<string, Partial<InstanceOptions>> = {
  before: { growthLimit: Infinity, keepCoreless: true },
  coreless: { growthLimit: Infinity, keepCoreless: false },
  'growth 2': { growthLimit: 2, keepCoreless: false },
  'growth 1': { growthLimit: 1, keepCoreless: false },
  'growth 0.5': { growthLimit: 0.5, keepCoreless: false },
};
const variants: Record<string, Partial<InstanceOptions>> = process.argv[4] ? (JSON.parse(process.argv[4]) as Record<string, Partial<InstanceOptions>>) : builtIn;
const seg = await createSegmenter({ model, threads: 2, ...(JSON.parse(process.argv[3] ?? '{}') as Partial<SegmenterOptions>) });
const own = (seg.meta?.instance ?? {}) as Partial<InstanceOptions>;
const photos: { set: string; probs: Awaited<ReturnType<typeof seg.segment>>['probabilities']; peakScale: Float32Array | undefined; truth: Int32Array; valid: Uint8Array | undefined; w: number; h: number }[] = [];
for (const [set, dir, names] of [
  ['real validation', join(CACHE, 'real'), ['IMG_5217', 'california_gravel_2']],
  ['synth matrix', join(CACHE, 'matrix'), undefined],
  ['synth textured', join(CACHE, 'textured'), undefined],
] as const) {
  const ims = (await loadTrainingFolder(dir, 3)).filter((im, k) => (names ? names.some((n) => im.key.includes(n)) : k < 2));
  for (const im of ims) {
    const raster = { width: im.width, height: im.height, channels: im.channels, depth: 8 as const, data: im.pixels };
    const r = await seg.segment(raster, { keepProbabilities: true });
    photos.push({ set, probs: r.probabilities, peakScale: r.peakScale, truth: im.instances, valid: im.valid, w: im.width, h: im.height });
  }
}
const discs = [];
for (const ppm of DISC_PX_PER_MM) {
  const d = renderDiscs(ppm);
  const r = await seg.segment(d.raster, { keepProbabilities: true });
  discs.push({ ppm, ...d, probs: r.probabilities!, peakScale: r.peakScale });
}
await seg.dispose();
for (const [name, opts] of Object.entries(variants)) {
  const line: string[] = [];
  for (const set of [...new Set(photos.map((p) => p.set))]) {
    const scorer = new SegmentationScorer();
    for (const p of photos.filter((q) => q.set === set)) {
      const pred = await probabilitiesToInstances(p.probs!, { ...own, ...opts }, p.valid, p.peakScale);
      scorer.add({ truth: { width: p.w, height: p.h, data: p.truth }, pred, valid: p.valid });
    }
    const r = scorer.result();
    line.push(`${set} F1 ${r.f1.toFixed(3)} (labelled ${r.f1Labelled.toFixed(3)})`);
  }
  const sizes: number[][] = [];
  const counts: number[] = [];
  for (const d of discs) {
    const { mm, particles } = discSizesMm(await probabilitiesToInstances(d.probs, { ...own, ...opts }, undefined, d.peakScale), d.discs, d.ppm);
    counts.push(particles);
    sizes.push(mm);
  }
  const drifts = discDrifts(sizes);
  const fails = drifts.filter((r) => !r.ok).length;
  const worst = Math.max(...drifts.map((r) => (Number.isFinite(r.drift) ? r.drift : 9)));
  process.stdout.write(`${name}: ${line.join('; ')}; discs: ${fails} drift > 5 % (worst ${(100 * worst).toFixed(1)} %), particles ${counts.join('/')}\n`);
}
