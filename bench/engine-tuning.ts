// How the ORT engine's settings were chosen: seconds of U-Net per megapixel of PHOTO (the tile plan's overlaps
// included) for inference tile sizes 128-1024, batches of 1 and 4, and 1 or 2 intra-op threads; then the two ways
// of using two cores side by side: one process with two threads against two worker threads of one thread each.
// The default model; a synthetic 1500² photo. Writes bench/results/engine-tuning.json.
//   npm run bench:engine-tuning            (~3 min on 2 cores)
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { writeJsonAtomic } from '../src/io/index.js';
import type { Raster } from '../src/core/index.js';
import { defaultModelDir, defaultOverlap, openEngine, predictProbabilities, readModelMeta } from '../src/segment/index.js';

const ROOT = join(import.meta.dirname, '..');
const SIDE = 1500;

/** A deterministic textured photo: what the network computes does not depend on content, only on size. */
function photo(): Raster {
  const data = new Uint8Array(SIDE * SIDE * 3);
  let s = 7;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s >>> 23;
  }
  return { width: SIDE, height: SIDE, channels: 3, depth: 8, data };
}

async function timeOne(tileSize: number, batchSize: number, threads: number, reps: number): Promise<number> {
  const dir = defaultModelDir();
  const meta = await readModelMeta(dir);
  const engine = await openEngine(dir, meta, { backend: 'onnxruntime', threads });
  try {
    const raster = photo();
    const options = { tileSize, batchSize, overlap: defaultOverlap(meta, tileSize) };
    await engine.run(new Float32Array(batchSize * tileSize * tileSize * 3), batchSize, tileSize, tileSize);
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      await predictProbabilities(engine, meta, raster, options);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]! / 1000 / ((SIDE * SIDE) / 1e6);
  } finally {
    await engine.dispose();
  }
}

/** Two worker threads, one ORT thread each, each running the same photo `reps` times: photo-MP per second together. */
async function twoWorkers(tileSize: number, reps: number): Promise<number> {
  const code = `
    const { workerData, parentPort } = await import('node:worker_threads');
    const tsx = await import(${JSON.stringify(new URL(import.meta.resolve('tsx/esm/api')).href)});
    const m = await tsx.tsImport(${JSON.stringify(new URL('./engine-tuning.ts', import.meta.url).href)}, import.meta.url);
    parentPort.postMessage(await m.workerJob(workerData.tileSize, workerData.reps));
  `;
  const t0 = performance.now();
  await Promise.all(
    [0, 1].map(
      () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: { tileSize, reps } });
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  return (2 * reps * (SIDE * SIDE)) / 1e6 / seconds;
}

/** Runs inside a worker of twoWorkers. */
export async function workerJob(tileSize: number, reps: number): Promise<void> {
  const dir = defaultModelDir();
  const meta = await readModelMeta(dir);
  const engine = await openEngine(dir, meta, { backend: 'onnxruntime', threads: 1 });
  try {
    const raster = photo();
    for (let r = 0; r < reps; r++) await predictProbabilities(engine, meta, raster, { tileSize, overlap: defaultOverlap(meta, tileSize) });
  } finally {
    await engine.dispose();
  }
}

async function main(): Promise<void> {
  const grid: { tileSize: number; batchSize: number; threads: number; secondsPerMP: number }[] = [];
  for (const threads of [1, 2]) {
    for (const tileSize of [128, 256, 512, 1024]) {
      for (const batchSize of tileSize <= 256 ? [1, 4] : [1]) {
        const secondsPerMP = Number((await timeOne(tileSize, batchSize, threads, 3)).toFixed(3));
        grid.push({ tileSize, batchSize, threads, secondsPerMP });
        process.stdout.write(`tile ${tileSize}, batch ${batchSize}, ${threads} thread(s): ${secondsPerMP} s per photo-MP\n`);
      }
    }
  }
  const reps = 3;
  const t0 = performance.now();
  for (let r = 0; r < 2 * reps; r++) await timeOne(256, 1, 2, 1);
  const oneProcess = Number(((2 * reps * (SIDE * SIDE)) / 1e6 / ((performance.now() - t0) / 1000)).toFixed(3));
  const twoThreads = Number((await twoWorkers(256, reps)).toFixed(3));
  process.stdout.write(`two cores: one engine with 2 threads ${oneProcess} MP/s; two workers with 1 thread each ${twoThreads} MP/s\n`);
  await writeJsonAtomic(join(ROOT, 'bench', 'results', 'engine-tuning.json'), {
    command: 'npm run bench:engine-tuning',
    date: new Date().toISOString(),
    machine: { cpus: availableParallelism(), cpu: cpus()[0]?.model, node: process.versions.node },
    photo: `${SIDE}×${SIDE}, default model, onnxruntime, median of 3`,
    notes: [
      'secondsPerMP: U-Net stage seconds per megapixel of photo, tile overlaps and blending included (predictProbabilities)',
      'twoCores: photo-MP per second of U-Net with both cores busy, start-up excluded except in the two-worker case (engine creation per worker)',
    ],
    grid,
    twoCores: { oneEngineTwoThreadsMPperS: oneProcess, twoWorkersOneThreadMPperS: twoThreads },
  });
  process.stdout.write('written bench/results/engine-tuning.json\n');
}

if (process.argv[1]?.endsWith('engine-tuning.ts')) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:engine-tuning: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
