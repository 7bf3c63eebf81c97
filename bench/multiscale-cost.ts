// What the image pyramid costs (issue 12: "time per MP at most 1.5× the single-scale time on the ONNX path"):
// the same photos segmented in one process, on the ONNX engine, by five segmenters taken in turn photo by photo
// (so load on the machine falls on all alike): the default model (single scale), a scale-band model on
// full resolution only (--no-multiscale), the same model on its pyramid, that pyramid without level peaks and
// inherited large (--no-level-peaks --no-inherit-large, the fusion of 0.2.0), and that pyramid as it ran before
// boundary and background ownership, per-level tile sizes, level peaks and inherited large (256² tiles at every
// level, --boundary-ownership 0 --background-ownership 0 --no-level-peaks --no-inherit-large). Reports seconds per MP of the U-Net
// stage (with the pyramid: every level and the fusion) and of the instance stage, and the ratios. Writes
// bench/results/multiscale-cost.json.
//   npm run bench:multiscale-cost                                  models/scale-band, 4 photos of 1500², 2 rounds
//   npm run bench:multiscale-cost -- --band-model DIR --photos 2 --rounds 1 --threads 1
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readImage, writeJsonAtomic } from '../src/io/index.js';
import type { Segmenter, SegmenterOptions } from '../src/segment/index.js';
import { createSegmenter } from '../src/segment/index.js';
import { runSynth } from '../src/synth/index.js';

const ROOT = join(import.meta.dirname, '..');
const WORK = join(ROOT, '.bench-out', 'multiscale-cost');

const { values } = parseArgs({
  options: {
    'band-model': { type: 'string', default: 'models/scale-band' },
    'base-model': { type: 'string', default: 'default' },
    photos: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '2' },
    threads: { type: 'string', default: String(availableParallelism()) },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'multiscale-cost.json') },
  },
});
const photos = Number(values.photos);
const rounds = Number(values.rounds);
const threads = Number(values.threads);

// Photos of the lab's size, 1500² at 0.1 mm/px in the default look (b-axes ~10–120 px): the pyramid's depth
// follows from the photo (half its shorter side), as it does in segment.
const dir = join(WORK, `photos-${photos}`);
if (!existsSync(join(dir, 'truth.csv'))) {
  await rm(dir, { recursive: true, force: true });
  await runSynth({ outDir: dir, groups: 1, perGroup: photos, width: 1500, height: 1500, seed: 515, scaleMmPerPx: 0.1, format: 'jpg' });
}
const files = (await readdir(join(dir, 'images'))).sort().map((f) => join(dir, 'images', f));

interface Variant {
  name: string;
  segmenter: Segmenter;
  semanticMs: number[];
  instancesMs: number[];
  levels: number;
  mp: number;
}
const variants: Variant[] = [];
const open = async (name: string, model: string, multiscale: boolean, extra: Partial<SegmenterOptions> = {}): Promise<void> => {
  const segmenter = await createSegmenter({ model, backend: 'onnxruntime', threads, multiscale, ...extra });
  variants.push({ name, segmenter, semanticMs: [], instancesMs: [], levels: 0, mp: 0 });
};
try {
  await open('default model, single scale', values['base-model'], false);
  await open('scale-band model, full resolution only (--no-multiscale)', values['band-model'], false);
  await open('scale-band model, image pyramid', values['band-model'], true);
  await open('scale-band model, image pyramid without level peaks or inherited large (the fusion of 0.2.0)', values['band-model'], true, { levelPeaks: false, inheritLarge: 'off' });
  // An explicit tile size turns the per-level tile fit off (multiscale.ts levelTileSize).
  await open('scale-band model, image pyramid as before (256² tiles on every level, no ownership, level peaks or inherited large)', values['band-model'], true, { tileSize: 256, boundaryOwnership: 0, backgroundOwnership: 0, levelPeaks: false, inheritLarge: 'off' });
  // A warm-up photo per variant: sessions and OpenCV's heap are set up outside the timed runs.
  const warm = await readImage(files[0]!);
  for (const v of variants) await v.segmenter.segment(warm);
  for (let r = 0; r < rounds; r++) {
    for (const f of files) {
      const raster = await readImage(f);
      // The order rotates per photo so no variant always runs first after a decode.
      const order = variants.map((_, k) => variants[(k + r + files.indexOf(f)) % variants.length]!);
      for (const v of order) {
        const seg = await v.segmenter.segment(raster);
        v.semanticMs.push(seg.timings.semanticMs);
        v.instancesMs.push(seg.timings.instancesMs);
        v.levels = seg.levels;
        v.mp += (raster.width * raster.height) / 1e6;
      }
    }
  }
} finally {
  for (const v of variants) await v.segmenter.dispose();
}
const sum = (xs: number[]): number => xs.reduce((a, x) => a + x, 0);
const rows = variants.map((v) => ({
  variant: v.name,
  levels: v.levels,
  unetSecondsPerMP: Number((sum(v.semanticMs) / 1000 / v.mp).toFixed(3)),
  instancesSecondsPerMP: Number((sum(v.instancesMs) / 1000 / v.mp).toFixed(3)),
  totalSecondsPerMP: Number(((sum(v.semanticMs) + sum(v.instancesMs)) / 1000 / v.mp).toFixed(3)),
}));
const [base, bandFlat, pyramid, pyramid020, before] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
const ratio = (a: number, b: number): number => Number((a / b).toFixed(3));
const result = {
  command: `npm run bench:multiscale-cost${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))) },
  photos: `${photos} synthetic photos of 1500² (photosieve synth, default look, 0.1 mm/px), ${rounds} round(s), ONNX engine, ${threads} thread(s), in one process`,
  bandModel: values['band-model'],
  rows,
  ratios: {
    pyramidOverSingleScaleDefault: { unet: ratio(pyramid.unetSecondsPerMP, base.unetSecondsPerMP), total: ratio(pyramid.totalSecondsPerMP, base.totalSecondsPerMP) },
    pyramidOverSameModelFullResolution: { unet: ratio(pyramid.unetSecondsPerMP, bandFlat.unetSecondsPerMP), total: ratio(pyramid.totalSecondsPerMP, bandFlat.totalSecondsPerMP) },
    pyramidBeforeOverSingleScaleDefault: { unet: ratio(before.unetSecondsPerMP, base.unetSecondsPerMP), total: ratio(before.totalSecondsPerMP, base.totalSecondsPerMP) },
    pyramidOverPyramidWithoutLevelPeaksOrInheritedLarge: { unet: ratio(pyramid.unetSecondsPerMP, pyramid020.unetSecondsPerMP), total: ratio(pyramid.totalSecondsPerMP, pyramid020.totalSecondsPerMP) },
  },
  note: 'segment stages only (U-Net incl. pyramid and fusion; instances); decode, measure and writing are the same for all variants and left out',
};
await writeJsonAtomic(values.out, result);
for (const r of rows) process.stdout.write(`${r.variant}: levels ${r.levels}, U-Net ${r.unetSecondsPerMP} s/MP, instances ${r.instancesSecondsPerMP} s/MP, total ${r.totalSecondsPerMP} s/MP\n`);
process.stdout.write(`pyramid / single-scale default: U-Net ${result.ratios.pyramidOverSingleScaleDefault.unet}×, total ${result.ratios.pyramidOverSingleScaleDefault.total}×; pyramid / same model at full resolution: U-Net ${result.ratios.pyramidOverSameModelFullResolution.unet}×, total ${result.ratios.pyramidOverSameModelFullResolution.total}×; the pyramid as before / single-scale default: U-Net ${result.ratios.pyramidBeforeOverSingleScaleDefault.unet}×, total ${result.ratios.pyramidBeforeOverSingleScaleDefault.total}×; pyramid / pyramid without level peaks or inherited large: U-Net ${result.ratios.pyramidOverPyramidWithoutLevelPeaksOrInheritedLarge.unet}×, total ${result.ratios.pyramidOverPyramidWithoutLevelPeaksOrInheritedLarge.total}×\nwritten ${values.out}\n`);
