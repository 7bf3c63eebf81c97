// Scores models on train:scale's six validation photos as the training picks its epoch (octave F1: the mean over
// b-axis octaves of each octave's F1), through the segmenter as `segment` runs it, so fusion settings can be
// compared without touching a benchmark: the two real validation photos at 1× and at 2× (val-real-x2) and the two
// fully labelled synthetic trays (val-varied, every prediction counted); and apart, the two boulder trays at 2×
// (val-boulders-x2, fully labelled, stones up to ~650 px) and the two packed-gravel trays in the default look
// (val-packed, fully labelled). Needs the folders train:scale writes.
//   npx tsx scripts/score-validation.ts MODEL [SEGMENTER_OPTIONS_JSON ...]
//     e.g. npx tsx scripts/score-validation.ts models/scale-band '{}' '{"backgroundOwnership":0}'
//   SCORE_SETS=packed,boulders npx tsx scripts/score-validation.ts ...   only the sets whose names hold those words
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentationScorer } from '../src/aggregate/index.js';
import type { SegmenterOptions } from '../src/segment/index.js';
import { createSegmenter } from '../src/segment/index.js';
import { loadTrainingFolder } from '../src/train/index.js';

const [model, ...variants] = process.argv.slice(2);
if (!model) throw new Error('usage: npx tsx scripts/score-validation.ts MODEL [SEGMENTER_OPTIONS_JSON ...]');
const CACHE = join(import.meta.dirname, '..', '.cache', 'train-scale');
for (const sub of ['real', 'val-real-x2', 'val-varied']) {
  if (!existsSync(join(CACHE, sub))) throw new Error(`${join(CACHE, sub)} is missing: run npm run train:scale once (TRAIN_MINUTES=0 writes the data only)`);
}
const complete = new Set([join(CACHE, 'val-varied'), join(CACHE, 'val-boulders-x2'), join(CACHE, 'val-packed')]);
const sets: { name: string; images: Awaited<ReturnType<typeof loadTrainingFolder>> }[] = [
  {
    name: 'validation (6 photos)',
    images: [
      ...(await loadTrainingFolder(join(CACHE, 'real'), 3)).filter((im) => ['real/IMG_5217', 'real/california_gravel_2'].includes(im.key)),
      ...(await loadTrainingFolder(join(CACHE, 'val-real-x2'), 3)),
      ...(await loadTrainingFolder(join(CACHE, 'val-varied'), 3)),
    ],
  },
];
if (existsSync(join(CACHE, 'val-boulders-x2'))) sets.push({ name: 'boulders (val-boulders-x2)', images: await loadTrainingFolder(join(CACHE, 'val-boulders-x2'), 3) });
else process.stderr.write('val-boulders-x2 is missing (TRAIN_PREPARE_ONLY=1 npm run train:scale writes it): scoring the six validation photos only\n');
if (existsSync(join(CACHE, 'val-packed'))) sets.push({ name: 'packed gravel (val-packed)', images: await loadTrainingFolder(join(CACHE, 'val-packed'), 3) });
else process.stderr.write('val-packed is missing (TRAIN_PREPARE_ONLY=1 npm run train:scale writes it): not scoring packed gravel\n');
// SCORE_SETS=packed,boulders scores only the sets whose name holds one of those words.
const only = process.env.SCORE_SETS?.split(',').filter(Boolean);
const scored = only ? sets.filter((s) => only.some((w) => s.name.includes(w))) : sets;
const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '–');
for (const json of variants.length ? variants : ['{}']) {
  const seg = await createSegmenter({ ...(JSON.parse(json) as Partial<SegmenterOptions>), model, threads: 2 });
  try {
    for (const set of scored) {
      const scorer = new SegmentationScorer();
      // The traced (incomplete) photos apart: their false particles on unlabelled ground (dark gaps, shadow, and the
      // fines the labels leave blank) are invisible to both F1s, so their off-label area is printed on its own.
      const traced = new SegmentationScorer();
      for (const im of set.images) {
        const raster = { width: im.width, height: im.height, channels: im.channels, depth: 8 as const, data: im.pixels };
        const { instances } = await seg.segment(raster, { roi: im.valid });
        const pair = { truth: { width: im.width, height: im.height, data: im.instances }, pred: instances, valid: im.valid, complete: complete.has(im.source) };
        scorer.add(pair);
        if (!pair.complete) traced.add(pair);
      }
      const r = scorer.result();
      const t = traced.result();
      const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '–');
      const off = `off-label particle area ${pct(r.offLabelArea)}${t.images > 0 ? ` (traced photos ${pct(t.offLabelArea)})` : ''}`;
      process.stdout.write(`${model} ${json}, ${set.name}: octave F1 ${r.octaveF1.toFixed(3)}, F1 on labelled ground ${r.f1Labelled.toFixed(3)}, ${off}\n`);
      for (const o of r.octaves) process.stdout.write(`  ${o.lo}-${o.hi} px: F1 ${fmt(o.f1)} (n ${o.n}, recall ${fmt(o.recall)}, precision ${fmt(o.precision)})\n`);
    }
  } finally {
    await seg.dispose();
  }
}
