// Timing of the measure stage (measureParticles, particleTable, sizeDistribution) and the write stage
// (writeImageOutputs without its measuring; drawOverlay also on its own) on the instance maps of cached U-Net
// probabilities (bench/instances.ts --capture makes the cache). Several source trees run in one process, their
// repeats interleaved, because this shared 2-core box drifts by ±30 % within minutes: only numbers measured side by
// side compare. Every tree's particle table, size vector and overlay are hashed, and a difference fails the run.
//   npx tsx bench/measure.ts --cache /tmp/ps/probs                           this tree only
//   npx tsx bench/measure.ts --cache /tmp/ps/probs --src /tmp/old/src        old (first) vs this tree
// (an old checkout outside the repository needs a node_modules link next to its src/ to find sharp)
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cachedNames, hash, median, readCached } from './probabilityCache.js';

type Aggregate = typeof import('../src/aggregate/index.js');
type Batch = typeof import('../src/pipeline/index.js');

const { values } = parseArgs({
  options: {
    cache: { type: 'string' },
    src: { type: 'string', multiple: true, default: [] },
    repeats: { type: 'string', default: '7' },
    overlays: { type: 'string', default: 'jpg' },
    roi: { type: 'string', default: 'none' },
    scale: { type: 'string', default: '0.1' },
  },
});
if (values.cache === undefined) throw new Error('--cache DIR is required (probabilities from bench/instances.ts --capture). Fix: pass --cache /tmp/probs');
const cache = resolve(values.cache);
const repeats = Number(values.repeats);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got ${values.repeats}. Fix: pass --repeats 7`);
if (values.roi !== 'none' && values.roi !== 'circle') throw new Error(`--roi must be none or circle, got ${values.roi}. Fix: pass --roi circle`);
const scale = values.scale === 'none' ? undefined : Number(values.scale);
if (scale !== undefined && !(scale > 0)) throw new Error(`--scale must be a positive number or none, got ${values.scale}. Fix: pass --scale 0.1`);

interface Tree {
  label: string;
  aggregate: Aggregate;
  batch: Batch;
}

async function loadTree(dir: string, label: string): Promise<Tree> {
  const base = pathToFileURL(`${resolve(dir)}/`);
  const load = <T>(path: string): Promise<T> => import(new URL(path, base).href) as Promise<T>;
  return { label, aggregate: await load<Aggregate>('aggregate/index.ts'), batch: await load<Batch>('pipeline/index.ts').catch(() => load<Batch>('segment/batch/index.ts')) };
}

const here = join(import.meta.dirname, '..', 'src');
const trees = [...values.src.map((s, k) => loadTree(s, values.src.length === 1 ? 'old' : `src${k + 1}`)), loadTree(here, 'this')];
const loaded = await Promise.all(trees);
const { probabilitiesToInstances } = await import('../src/segment/instances.js');
const { readImage } = await import('../src/io/index.js');
const { roiMask } = await import('../src/annotate/index.js');
const { DEFAULT_BIN_SPEC } = await import('../src/aggregate/index.js');
// The default bins of `photosieve segment --scale` (mm), or the same numbers in px without a scale.
const spec = { ...DEFAULT_BIN_SPEC, edges: [4, 5.6, 8, 11.2], unit: scale === undefined ? ('px' as const) : ('mm' as const) };

const STEPS = ['particles', 'table', 'distribution', 'measure', 'draw', 'write'] as const;
type Step = (typeof STEPS)[number];
const out = join(tmpdir(), `photosieve-bench-measure-${process.pid}`);
const totals = new Map<string, Record<Step, number>>(loaded.map((t) => [t.label, Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number>]));
let totalMp = 0;
let mismatch = false;

try {
  for (const name of await cachedNames(cache)) {
    const { saved, probs } = await readCached(cache, name);
    const map = await probabilitiesToInstances(probs);
    const raster = await readImage(saved.photo);
    const roi = values.roi === 'circle' ? roiMask({ kind: 'circle' }, map.width, map.height) : undefined;
    const mp = (map.width * map.height) / 1e6;
    totalMp += mp;
    const times = new Map(loaded.map((t) => [t.label, Object.fromEntries(STEPS.map((s) => [s, [] as number[]])) as Record<Step, number[]>]));
    const hashes = new Map<string, string>();
    for (let k = 0; k < repeats; k++) {
      // Alternate the order so neither tree always runs on a warmer (or busier) machine.
      const order = k % 2 ? [...loaded].reverse() : loaded;
      for (const tree of order) {
        const t = times.get(tree.label)!;
        const { measureParticles, particleTable, sizeDistribution } = tree.aggregate;
        const t0 = performance.now();
        const particles = measureParticles(map, { scale, roi });
        const t1 = performance.now();
        const table = particleTable(particles, scale);
        const t2 = performance.now();
        const dist = sizeDistribution(particles, spec, scale);
        const t3 = performance.now();
        const overlay = tree.batch.drawOverlay(raster, map);
        const t4 = performance.now();
        const job = { out, name: `${name}-${tree.label}`, path: saved.photo, raster, instances: map, measure: { scale, spec }, roi, overlays: values.overlays };
        const t5 = performance.now();
        const written = await tree.batch.writeImageOutputs(job as Parameters<Batch['writeImageOutputs']>[0]);
        const t6 = performance.now();
        t.particles.push(t1 - t0);
        t.table.push(t2 - t1);
        t.distribution.push(t3 - t2);
        t.measure.push(t3 - t0);
        t.draw.push(t4 - t3);
        t.write.push(t6 - t5 - written.measureMs);
        if (k === 0) hashes.set(tree.label, `table ${hash(JSON.stringify(table))} dist ${hash(JSON.stringify([dist, written.measure]))} overlay ${hash(overlay)}`);
      }
    }
    const ref = hashes.get(loaded[0]!.label);
    for (const tree of loaded) {
      const m = Object.fromEntries(STEPS.map((s) => [s, median(times.get(tree.label)![s])])) as Record<Step, number>;
      const sum = totals.get(tree.label)!;
      for (const s of STEPS) sum[s] += m[s];
      const same = hashes.get(tree.label) === ref;
      if (!same) mismatch = true;
      const cells = STEPS.map((s) => `${s} ${(m[s] / mp).toFixed(1).padStart(6)}`).join('  ');
      process.stdout.write(`${name.padEnd(8)} ${tree.label.padEnd(5)} ${map.width}×${map.height}  ms/MP: ${cells}  ${hashes.get(tree.label)}${same ? '' : '  DIFFERS'}\n`);
    }
  }
} finally {
  await rm(out, { recursive: true, force: true });
}
process.stdout.write(`\nall ${totalMp.toFixed(2)} MP, medians of ${repeats}, ms/MP (roi ${values.roi}, scale ${values.scale}, overlays ${values.overlays}):\n`);
for (const tree of loaded) {
  const sum = totals.get(tree.label)!;
  process.stdout.write(`${tree.label.padEnd(5)} ${STEPS.map((s) => `${s} ${(sum[s] / totalMp).toFixed(1).padStart(6)}`).join('  ')}\n`);
}
const first = totals.get(loaded[0]!.label)!;
const last = totals.get(loaded.at(-1)!.label)!;
if (loaded.length > 1) process.stdout.write(`speed-up ${STEPS.map((s) => `${s} ${(first[s] / last[s]).toFixed(2)}×`).join('  ')}\n`);
if (mismatch) {
  process.stderr.write('outputs DIFFER between trees (see the hashes above)\n');
  process.exitCode = 1;
}
