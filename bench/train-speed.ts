// Training speed: steps per hour of `photosieve train` with 1 worker (the single-thread path) and with 2 data-parallel
// workers, side by side in one run, for the default model's architecture (depth 5, base 8, batch norm, transposed
// conv), 128² tiles, batch 8, RGB, on a synthetic training folder of 1000² photos (made once into .bench-out/).
// Each case runs in its own process (fresh wasm heaps); cases alternate 1, 2, 1, 2, … so a change in the load of
// this shared machine hits both; the load average before each case is recorded, and medians are reported. Steps
// are timed from the progress callback after a few warm-up steps (worker start, first-step kernel set-up), with no
// validation in between. Writes bench/results/train-speed.json.
//   npm run bench:train-speed                          3 repeats × 24 steps per case (~4 min on 2 cores)
//   npm run bench:train-speed -- --repeats 5 --steps 40 --workers 1,2,3
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { writeJsonAtomic } from '../src/io/index.js';
import { DEFAULT_UNET_ARCHITECTURE } from '../src/segment/index.js';
import { runSynth } from '../src/synth/index.js';
import { trainModel } from '../src/train/index.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const WORK = join(ROOT, '.bench-out', 'train-speed');
const DATA = join(WORK, 'synth');
const SETUP = { tileSize: 128, batchSize: 8, inputChannels: 3 as const, architecture: { ...DEFAULT_UNET_ARCHITECTURE, depth: 5, baseChannels: 8, batchNorm: true, upsampling: 'transpose' as const } };
const WARMUP = 4;

interface CaseResult {
  workers: number;
  repeat: number;
  loadAvgBefore: number[];
  steps: number;
  secondsPerStep: number;
  /** CPU time of all the case's threads per step (less sensitive to other load than wall time). */
  cpuSecondsPerStep: number;
  stepsPerHour: number;
  /** From the call to the last step: start-up (data loading, worker threads) included. */
  wallSeconds: number;
}

/** One case in this process: prints its result as one JSON line. */
async function oneCase(workers: number, steps: number): Promise<void> {
  const stamps: number[] = [];
  let cpuAtWarmup: NodeJS.CpuUsage | undefined;
  const t0 = performance.now();
  await trainModel({
    data: [{ dir: DATA, weight: 1 }],
    out: join(WORK, `out-w${workers}`),
    ...SETUP,
    epochs: 1,
    stepsPerEpoch: WARMUP + steps,
    valFraction: 0,
    pipelineEvery: 0,
    seed: 1,
    workers,
    onProgress: () => {
      stamps.push(performance.now());
      if (stamps.length === WARMUP) cpuAtWarmup = process.cpuUsage();
    },
  });
  // CPU seconds of the whole process (all threads) per step: what a step costs whatever the machine's load.
  const cpu = process.cpuUsage(cpuAtWarmup);
  const timed = (stamps[stamps.length - 1]! - stamps[WARMUP - 1]!) / 1000;
  process.stdout.write(`${JSON.stringify({ secondsPerStep: timed / steps, cpuSecondsPerStep: (cpu.user + cpu.system) / 1e6 / steps, wallSeconds: (stamps[stamps.length - 1]! - t0) / 1000 })}\n`);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      one: { type: 'string' },
      steps: { type: 'string', default: '24' },
      repeats: { type: 'string', default: '3' },
      workers: { type: 'string', default: '1,2' },
    },
  });
  const steps = Number(values.steps);
  if (values.one !== undefined) return oneCase(Number(values.one), steps);
  if (!existsSync(join(DATA, 'masks'))) {
    await rm(DATA, { recursive: true, force: true });
    process.stderr.write('making the training folder (synth, 8 photos of 1000²)…\n');
    await runSynth({ outDir: DATA, groups: 4, perGroup: 2, width: 1000, height: 1000, seed: 21, scaleMmPerPx: 0.1 });
  }
  const counts = values.workers.split(',').map(Number);
  const repeats = Number(values.repeats);
  const cases: CaseResult[] = [];
  for (let r = 1; r <= repeats; r++) {
    for (const workers of counts) {
      const loadAvgBefore = loadavg().map((x) => Math.round(x * 100) / 100);
      const { stdout } = await run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'train-speed.ts'), '--one', String(workers), '--steps', String(steps)], {
        cwd: ROOT,
        maxBuffer: 1 << 24,
      });
      const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (line === undefined) throw new Error(`case workers=${workers} printed no result:\n${stdout}`);
      const got = JSON.parse(line) as { secondsPerStep: number; cpuSecondsPerStep: number; wallSeconds: number };
      const c: CaseResult = { workers, repeat: r, loadAvgBefore, steps, secondsPerStep: got.secondsPerStep, cpuSecondsPerStep: got.cpuSecondsPerStep, stepsPerHour: 3600 / got.secondsPerStep, wallSeconds: got.wallSeconds };
      cases.push(c);
      process.stderr.write(`repeat ${r}, ${workers} worker(s): ${c.secondsPerStep.toFixed(3)} s/step (${c.cpuSecondsPerStep.toFixed(3)} CPU s) = ${Math.round(c.stepsPerHour)} steps/h (load before ${loadAvgBefore.join(' ')})\n`);
    }
  }
  const summary = counts.map((workers) => {
    const mine = cases.filter((c) => c.workers === workers);
    return { workers, medianSecondsPerStep: median(mine.map((c) => c.secondsPerStep)), medianCpuSecondsPerStep: median(mine.map((c) => c.cpuSecondsPerStep)), medianStepsPerHour: Math.round(median(mine.map((c) => c.stepsPerHour))) };
  });
  const base = summary.find((s) => s.workers === 1);
  const result = {
    what: 'photosieve train steps per hour, single-thread path (workers 1) vs data-parallel worker threads',
    setup: { ...SETUP, data: 'photosieve synth: 8 photos of 1000² (seed 21, 0.1 mm/px)', warmupSteps: WARMUP, timedSteps: steps, repeats, backend: 'wasm (SIMD)' },
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, shared: 'other agents may use the CPU: see loadAvgBefore' },
    summary: summary.map((s) => ({ ...s, speedUp: base ? Math.round((s.medianStepsPerHour / base.medianStepsPerHour) * 100) / 100 : null })),
    cases,
    createdAt: new Date().toISOString(),
  };
  await writeJsonAtomic(join(ROOT, 'bench', 'results', 'train-speed.json'), result);
  for (const s of result.summary) process.stdout.write(`${s.workers} worker(s): ${s.medianStepsPerHour} steps/h (median), ×${s.speedUp}\n`);
  process.stdout.write('written bench/results/train-speed.json\n');
}

await main();
