// Speed benchmark of `photosieve segment` end to end (decode → U-Net → watershed instances → measure → write), both
// inference engines side by side in one run: throughput (MP per wall-clock second), time per stage and peak RSS, on
// synthetic gravel photos of 0.5, 2.25, 9 and 24 MP with one and two workers, the ratio of the engines, the U-Net's
// FLOPs per MP and the share of the machine's peak each engine reaches. Each case runs in its own process, so its
// peak RSS (main thread + workers) is its own; with N workers it segments N photos of that size, one per worker.
// The headline case is the issue's: four different 1500² photos of ~900-1,000 stones with 2 workers, on each engine,
// and how well the two engines' instance maps agree (F1 at IoU 0.5). The photos come from photosieve synth
// (0.1 mm/px), so the watershed and measure stages see realistic particle counts. Writes bench/results/speed.json.
//   npm run bench:speed                                        default model, both engines, all sizes (~20 min, 2 cores)
//   npm run bench:speed -- --engines onnxruntime --sizes 2.25 --no-headline   one engine, one size, no headline case
//   npm run bench:speed -- --model classical --engines none    the model-free mode
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import fg from 'fast-glob';
import { matchInstances } from '../src/aggregate/index.js';
import { readInstancePng, writeJsonAtomic } from '../src/io/index.js';
import type { BackendName } from '../src/segment/index.js';
import { inferenceTileSize, parseBackendName, planTiles, readModelMeta, resolveModelOption, unetFlopsPerPixel, unetSizeMultiple, defaultOverlap } from '../src/segment/index.js';
import { runSegmentBatch } from '../src/pipeline/index.js';
import { runSynth } from '../src/synth/index.js';
import { SIEVE_MASS_SPEC } from './sieveSpec.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const WORK = join(ROOT, '.bench-out', 'speed');
const SCALE = 0.1;
/** Megapixels → width × height: squares up to 9 MP, then a 3:2 camera frame. */
const FRAMES: Record<string, [number, number]> = { '0.5': [707, 707], '2.25': [1500, 1500], '9': [3000, 3000], '24': [6000, 4000] };

/** The headline case of issue 11: four different 1500² photos, two workers. */
const HEADLINE = { width: 1500, height: 1500, photos: 4, workers: 2 };

interface Case {
  model: string;
  /** 'auto' for classical mode (no engine). */
  engine: BackendName | 'auto';
  width: number;
  height: number;
  workers: number;
  /** Distinct photos (the headline case) instead of one photo copied per worker. */
  distinct?: number;
}

const photo = (w: number, h: number, k: number): string => join(WORK, `gravel-${w}x${h}-${k}.jpg`);
const distinctPhoto = (w: number, h: number, k: number): string => join(WORK, `distinct-${w}x${h}-${k}.jpg`);

/** `count` different synthetic photos of one size (seeds 11, 12, …), for the headline case. */
async function makeDistinctPhotos(w: number, h: number, count: number): Promise<void> {
  for (let k = 0; k < count; k++) {
    if (existsSync(distinctPhoto(w, h, k))) continue;
    const dir = join(WORK, `synth-distinct-${k}`);
    await rm(dir, { recursive: true, force: true });
    await runSynth({ outDir: dir, vector: [0.2, 0.2, 0.2, 0.2, 0.2], width: w, height: h, seed: 11 + k, format: 'jpg', scaleMmPerPx: SCALE });
    const [name] = await fg('*.jpg', { cwd: join(dir, 'images') });
    await rename(join(dir, 'images', name!), distinctPhoto(w, h, k));
    await rm(dir, { recursive: true, force: true });
  }
}

/** One synthetic photo per size (seeded), copied for the second worker so both do the same work. */
async function makePhotos(w: number, h: number, count: number): Promise<void> {
  if (!existsSync(photo(w, h, 0))) {
    const dir = join(WORK, `synth-${w}x${h}`);
    await rm(dir, { recursive: true, force: true });
    await runSynth({ outDir: dir, vector: [0.2, 0.2, 0.2, 0.2, 0.2], width: w, height: h, seed: 5, format: 'jpg', scaleMmPerPx: SCALE });
    const [name] = await fg('*.jpg', { cwd: join(dir, 'images') });
    await rename(join(dir, 'images', name!), photo(w, h, 0));
    await rm(dir, { recursive: true, force: true });
  }
  for (let k = 1; k < count; k++) if (!existsSync(photo(w, h, k))) await copyFile(photo(w, h, 0), photo(w, h, k));
}

const outOf = (c: Case): string => join(WORK, `out-${c.engine}-${c.width}x${c.height}-w${c.workers}${c.distinct ? `-distinct${c.distinct}` : ''}`);

async function runCase(c: Case): Promise<Record<string, unknown>> {
  const images = c.distinct
    ? Array.from({ length: c.distinct }, (_, k) => distinctPhoto(c.width, c.height, k))
    : Array.from({ length: c.workers }, (_, k) => photo(c.width, c.height, k));
  const out = outOf(c);
  // Other work on the machine skews the two-worker case most; the 1-minute load average before the case shows it.
  const loadBefore = Number(loadavg()[0]!.toFixed(2));
  await rm(out, { recursive: true, force: true });
  const report = await runSegmentBatch({
    images,
    out,
    segmenter: { model: c.model, ...(c.engine === 'auto' ? {} : { backend: c.engine }) },
    workers: c.workers,
    force: true,
    measure: { scale: SCALE, spec: SIEVE_MASS_SPEC },
  });
  if (report.failed > 0) throw new Error(report.results.map((r) => r.error).join('\n'));
  const mp = (c.width * c.height * images.length) / 1e6;
  const round = (v: number, d = 3): number => Number(v.toFixed(d));
  const s = report.stages;
  return {
    model: c.model,
    engine: report.info?.backend?.name ?? 'none',
    threadsPerWorker: report.info?.backend?.threads ?? 1,
    megapixels: round((c.width * c.height) / 1e6, 2),
    image: `${c.width}×${c.height}`,
    workers: c.workers,
    images: images.length,
    distinctPhotos: c.distinct !== undefined,
    tilesPerImage: report.results[0]!.tiles,
    particlesPerImage: Math.round(report.results.reduce((a, r) => a + (r.particles ?? 0), 0) / images.length),
    wallSeconds: round(report.wallMs / 1000, 2),
    throughputMPperS: round(mp / (report.wallMs / 1000)),
    // Seconds per image of each stage (summed over workers, divided by images): one worker's cost per photo.
    stageSecondsPerImage: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v.ms / 1000 / images.length, 3)])),
    // Megapixels per second of each stage's own (one-worker) time.
    stageMPperS: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v.mpPerS, 2)])),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    loadAverageBefore: loadBefore,
    out,
  };
}

/** Least-squares slope of log(seconds per image) over log(megapixels): 1 = linear in pixels. */
function growthExponent(rows: { megapixels: number; seconds: number }[]): number {
  const xs = rows.map((r) => Math.log(r.megapixels));
  const ys = rows.map((r) => Math.log(r.seconds));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const num = xs.reduce((a, x, k) => a + (x - mx) * (ys[k]! - my), 0);
  const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return Number((num / den).toFixed(3));
}

/** Nominal peak FP32 FLOP/s of one core: Zen 4 (AMD EPYC family 25) issues two 256-bit FMAs per cycle = 32 FLOP. */
export function corePeakFlops(): { flops: number; basis: string } {
  // os.cpus() reports speed 0 in some VMs; /proc/cpuinfo's "cpu MHz" is the nominal clock there.
  let mhz = cpus()[0]?.speed ?? 0;
  if (!(mhz > 0)) {
    try {
      mhz = Math.round(Number(/cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 0));
    } catch {
      mhz = 0;
    }
  }
  return { flops: 32 * mhz * 1e6, basis: `32 FP32 FLOP/cycle/core (2 × 256-bit FMA, AVX2/AVX-512 on Zen 4) × ${mhz} MHz nominal` };
}

/** The U-Net's work per megapixel of photo: FLOPs per pixel × the pixels the tile plan runs (overlaps included). */
async function networkCost(model: string, width: number, height: number): Promise<{ flopsPerPixel: number; tilePixelsPerPhotoPixel: number; gflopPerMP: number; tileSize: number } | null> {
  const dir = resolveModelOption(model);
  if (dir === 'classical') return null;
  const meta = await readModelMeta(dir);
  const t = inferenceTileSize(meta);
  const plan = planTiles(width, height, { tileSize: t, overlap: defaultOverlap(meta, t), align: unetSizeMultiple(meta.architecture) });
  const ratio = (plan.tiles.length * t * t) / (width * height);
  const perPixel = unetFlopsPerPixel(meta.architecture, meta.inputChannels);
  return { flopsPerPixel: Math.round(perPixel), tilePixelsPerPhotoPixel: Number(ratio.toFixed(3)), gflopPerMP: Number(((perPixel * ratio * 1e6) / 1e9).toFixed(2)), tileSize: t };
}

async function instanceF1(a: string, b: string, names: string[]): Promise<number> {
  let tp = 0;
  let n = 0;
  for (const name of names) {
    const m = matchInstances(await readInstancePng(join(a, 'instances', `${name}.png`)), await readInstancePng(join(b, 'instances', `${name}.png`)));
    tp += m.truePositives;
    n += m.truthCount + m.predCount;
  }
  return Number(((2 * tp) / n).toFixed(4));
}

async function runInChild(c: Case): Promise<Record<string, unknown>> {
  const spec = JSON.stringify(c);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'speed.ts'), '--case', spec], { cwd: ROOT, maxBuffer: 1 << 24 });
  const row = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  process.stdout.write(
    `${String(row.engine)} ${c.width}×${c.height}${c.distinct ? ` ×${c.distinct} photos` : ''}, ${c.workers} worker(s): ${String(row.wallSeconds)} s, ${String(row.throughputMPperS)} MP/s, stages ${JSON.stringify(row.stageSecondsPerImage)} s/image, peak RSS ${String(row.peakRssMB)} MB\n`,
  );
  return row;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      case: { type: 'string' },
      model: { type: 'string', default: 'default' },
      engines: { type: 'string', default: 'onnxruntime,wasm' },
      sizes: { type: 'string', default: '0.5,2.25,9,24' },
      workers: { type: 'string', default: '1,2' },
      'no-headline': { type: 'boolean', default: false },
    },
  });
  if (values.case) {
    process.stdout.write(`${JSON.stringify(await runCase(JSON.parse(values.case) as Case))}\n`);
    return;
  }
  await mkdir(WORK, { recursive: true });
  const sizes = values.sizes.split(',').filter((s) => s.trim() !== '').map((s) => {
    const frame = FRAMES[s.trim()];
    if (!frame) throw new Error(`--sizes: ${s} is not one of ${Object.keys(FRAMES).join(', ')} (MP)`);
    return frame;
  });
  const engines: (BackendName | 'auto')[] = values.engines === 'none' ? ['auto'] : values.engines.split(',').map((e) => parseBackendName(e, '--engines') ?? 'auto');
  const workerCounts = values.workers.split(',').map(Number);
  for (const [w, h] of sizes) await makePhotos(w, h, Math.max(...workerCounts));
  const results: Record<string, unknown>[] = [];
  const headline: Record<string, unknown>[] = [];
  if (!values['no-headline']) {
    await makeDistinctPhotos(HEADLINE.width, HEADLINE.height, HEADLINE.photos);
    for (const engine of engines) {
      headline.push(await runInChild({ model: values.model, engine, width: HEADLINE.width, height: HEADLINE.height, workers: HEADLINE.workers, distinct: HEADLINE.photos }));
    }
  }
  // Sizes outermost, engines innermost: the two engines of a size run back to back, under the same machine load.
  for (const [width, height] of sizes) for (const workers of workerCounts) for (const engine of engines) results.push(await runInChild({ model: values.model, engine, width, height, workers }));

  const peak = corePeakFlops();
  const cost = await networkCost(values.model, HEADLINE.width, HEADLINE.height);
  for (const r of [...results, ...headline]) {
    const st = r.stageSecondsPerImage as Record<string, number>;
    const [w, h] = (r.image as string).split('×').map(Number) as [number, number];
    const c = await networkCost(values.model, w, h);
    if (c && st.semantic! > 0) {
      const flops = (c.gflopPerMP * 1e9 * (w * h)) / 1e6 / st.semantic!;
      r.unetGflopPerS = Number((flops / 1e9).toFixed(1));
      // The U-Net stage runs on threadsPerWorker cores of one worker.
      r.unetShareOfPeak = Number((flops / (peak.flops * (r.threadsPerWorker as number))).toFixed(3));
    }
  }
  const ratio = (engineA: string, engineB: string, pick: (r: Record<string, unknown>) => number): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const a of results.filter((r) => r.engine === engineA)) {
      const b = results.find((r) => r.engine === engineB && r.image === a.image && r.workers === a.workers);
      if (b) out[`${a.image as string}, ${a.workers as number} worker(s)`] = Number((pick(a) / pick(b)).toFixed(2));
    }
    return out;
  };
  const stage = (key: string) => (r: Record<string, unknown>): number => (r.stageSecondsPerImage as Record<string, number>)[key]!;
  const wasm = headline.find((r) => r.engine === 'wasm');
  const ort = headline.find((r) => r.engine === 'onnxruntime');
  const names = Array.from({ length: HEADLINE.photos }, (_, k) => `distinct-${HEADLINE.width}x${HEADLINE.height}-${k}`);
  const single = results.filter((r) => r.workers === 1 && r.engine === engines[0]).map((r) => ({ megapixels: r.megapixels as number, seconds: r.wallSeconds as number }));
  const name = values.model === 'default' ? 'speed' : `speed-${values.model.replace(/[^a-z0-9]+/gi, '-')}`;
  await writeJsonAtomic(join(ROOT, 'bench', 'results', `${name}.json`), {
    command: `npm run bench:speed${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, mhz: cpus()[0]?.speed, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.versions.node },
    network: cost ? { ...cost, note: 'gflopPerMP counts the tile plan of a 1500² photo (overlaps included); convolutions only' } : null,
    peak: { coreGflopPerS: Number((peak.flops / 1e9).toFixed(1)), basis: peak.basis },
    headline: {
      case: `${HEADLINE.photos} different ${HEADLINE.width}² photos, ${HEADLINE.workers} workers`,
      results: headline,
      ...(wasm && ort
        ? {
            throughputRatio: Number(((ort.throughputMPperS as number) / (wasm.throughputMPperS as number)).toFixed(2)),
            unetStageRatio: Number((stage('semantic')(wasm) / stage('semantic')(ort)).toFixed(2)),
            instanceF1OrtVsWasm: await instanceF1(ort.out as string, wasm.out as string, names),
          }
        : {}),
    },
    ratios: engines.includes('onnxruntime') && engines.includes('wasm')
      ? { throughputOrtOverWasm: ratio('onnxruntime', 'wasm', (r) => r.throughputMPperS as number), unetSpeedupOrtOverWasm: ratio('wasm', 'onnxruntime', stage('semantic')) }
      : null,
    growthExponent: single.length >= 2 ? growthExponent(single) : null,
    notes: [
      'throughputMPperS: megapixels per wall-clock second of the batch (all workers together), start-up of the workers and model load included',
      'stageSecondsPerImage: decode, semantic (U-Net, tiled), instances (watershed), measure (particle measures + size vector), write (instance PNG, overlay, table); per photo, one worker',
      'unetShareOfPeak: achieved U-Net FLOP/s over the nominal peak of the cores one worker uses (threadsPerWorker)',
      'growthExponent: slope of log(wall seconds) over log(MP) with one worker, first engine; 1 means the cost grows linearly with pixels',
      'peakRssMB: peak resident memory of the whole process (main thread + workers)',
      'loadAverageBefore: 1-minute load average when the case started; above ~0.5 on this 2-core machine, other work shared the CPUs',
    ],
    results,
  });
  process.stdout.write(`written bench/results/${name}.json\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:speed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
