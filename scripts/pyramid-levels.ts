// Where in the image pyramid a scale-band model loses large stones: inside every true particle of at least 32 px
// b-axis on train:scale's validation photos (default: the real ones at 2×, val-real-x2, and the synthetic trays
// val-varied; or the folders of .cache/train-scale named after the options, such as val-boulders-x2),
// the mean class probabilities of each pyramid level (background / body / boundary / large) and of the fused map
// (background / body / boundary), by octave, with how the pipeline did on them (found, split, merged, missed).
//   npx tsx scripts/pyramid-levels.ts MODEL [SEGMENTER_OPTIONS_JSON [FOLDER ...]]
import { join } from 'node:path';
import { sizeRecall } from '../src/aggregate/index.js';
import type { ClassProbabilities, SegmenterOptions } from '../src/segment/index.js';
import { initBackend, loadModelFolder, predictMultiscale, probabilitiesToInstances, tfjsEngine } from '../src/segment/index.js';
import { loadTrainingFolder } from '../src/train/index.js';

const [dir, json, ...folders] = process.argv.slice(2);
if (!dir) throw new Error('usage: npx tsx scripts/pyramid-levels.ts MODEL [SEGMENTER_OPTIONS_JSON [FOLDER ...]]');
const extra = JSON.parse(json ?? '{}') as Partial<SegmenterOptions>;
const CACHE = join(import.meta.dirname, '..', '.cache', 'train-scale');
const images = [];
for (const f of folders.length ? folders : ['val-real-x2', 'val-varied']) images.push(...(await loadTrainingFolder(join(CACHE, f), 3)));
const { model, meta } = await loadModelFolder(dir);
if (!meta.sizeBand) throw new Error(`${dir} has no size band (meta.json sizeBand): it runs at one scale`);
const engine = tfjsEngine(model, await initBackend(), meta.inputChannels, false);
interface Row { n: number; outcomes: Record<string, number>; levels: number[][]; fused: number[] }
const rows = new Map<string, Row>();
try {
  for (const im of images) {
    const raster = { width: im.width, height: im.height, channels: im.channels, depth: 8 as const, data: im.pixels };
    const levels: ClassProbabilities[] = [];
    const { probabilities, scale } = await predictMultiscale(engine, meta, raster, {
      ...(extra.boundaryOwnership !== undefined ? { ownershipRadius: extra.boundaryOwnership } : {}),
      ...(extra.backgroundOwnership !== undefined ? { backgroundOwnershipRadius: extra.backgroundOwnership } : {}),
      onLevel: (k, p) => (levels[k] = p),
    });
    const pred = await probabilitiesToInstances(probabilities, {}, im.valid, extra.levelPeaks === false ? undefined : scale);
    const truth = { width: im.width, height: im.height, data: im.instances };
    const large = new Map(sizeRecall(truth, pred).particles.filter((p) => p.minorPx >= 32).map((p) => [p.id, p]));
    const sums = new Map<number, { pixels: number; levels: number[][]; fused: number[] }>();
    for (let i = 0; i < im.height; i++) {
      for (let j = 0; j < im.width; j++) {
        const id = im.instances[i * im.width + j]!;
        if (!large.has(id)) continue;
        let s = sums.get(id);
        if (!s) sums.set(id, (s = { pixels: 0, levels: levels.map(() => [0, 0, 0, 0]), fused: [0, 0, 0] }));
        s.pixels++;
        levels.forEach((p, k) => {
          const at = 4 * (Math.min(p.height - 1, i >> k) * p.width + Math.min(p.width - 1, j >> k));
          for (let c = 0; c < 4; c++) s.levels[k]![c]! += p.data[at + c]!;
        });
        for (let c = 0; c < 3; c++) s.fused[c]! += probabilities.data[3 * (i * im.width + j) + c]!;
      }
    }
    for (const [id, s] of sums) {
      const p = large.get(id)!;
      const lo = 2 ** Math.floor(Math.log2(p.minorPx));
      const key = `${im.source.split('/').pop()!} ${lo}-${2 * lo} px`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { n: 0, outcomes: {}, levels: [], fused: [0, 0, 0] }));
      row.n++;
      row.outcomes[p.outcome] = (row.outcomes[p.outcome] ?? 0) + 1;
      s.levels.forEach((v, k) => {
        row.levels[k] ??= [0, 0, 0, 0];
        for (let c = 0; c < 4; c++) row.levels[k][c]! += v[c]! / s.pixels;
      });
      for (let c = 0; c < 3; c++) row.fused[c]! += s.fused[c]! / s.pixels;
    }
  }
} finally {
  model.dispose();
}
process.stdout.write(`${dir}: mean P inside true particles, per level (1/2^k) bg/body/boundary/large, then fused bg/body/boundary\n`);
for (const key of [...rows.keys()].sort()) {
  const r = rows.get(key)!;
  const f = (v: number[]): string => v.map((x) => (x / r.n).toFixed(2)).join('/');
  process.stdout.write(`${key.padEnd(26)} n ${String(r.n).padStart(4)} ${JSON.stringify(r.outcomes)}\n    ${r.levels.map((v, k) => `L${k} ${f(v)}`).join('  ')}  fused ${f(r.fused)}\n`);
}
