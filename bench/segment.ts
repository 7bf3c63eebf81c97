// Benchmark of `photosieve segment`: MP/s per stage (decode, U-Net, instances, write) and peak RSS, on synthetic
// 1500×1500 and 6000×4000 photos, with one and two workers, using a random U-Net of realistic size (16-32-64-128
// channels, 256² tiles: its speed is a trained model's speed). A random U-Net finds ~1 particle, so the instance
// stage is also timed in classical mode, where it splits thousands. Each case runs in its own process so peak
// RSS belongs to that case. Writes bench/results/segment.json.
//   npm run bench:segment                       all cases
//   npm run bench:segment -- --quick            all but the U-Net at 6000×4000 (merged into the existing results)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { writeJsonAtomic } from '../src/io/index.js';
import { initBackend, runSegmentBatch, writeRandomModel } from '../src/segment/index.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const WORK = join(ROOT, '.bench-out', 'segment');
const MODEL = join(WORK, 'model-16-32-64-128');
const ARCH = { depth: 4, baseChannels: 16, batchNorm: true, upsampling: 'transpose' as const };

interface Case {
  /** 'unet' (random U-Net: U-Net speed) or 'classical' (no model: an instance stage with realistic particle counts). */
  model: 'unet' | 'classical';
  width: number;
  height: number;
  workers: number;
  images: number;
}

/** A gravel-like synthetic photo: shaded discs of many sizes on a dark ground, drawn disc by disc (fast at 24 MP). */
async function makeImage(path: string, width: number, height: number, seed: number): Promise<void> {
  if (existsSync(path)) return;
  const data = new Uint8Array(width * height * 3).fill(35);
  let s = seed;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const count = Math.round((width * height) / 2500);
  for (let k = 0; k < count; k++) {
    const r = 6 + rand() ** 2 * 60;
    const cx = rand() * width;
    const cy = rand() * height;
    const base = [120 + rand() * 100, 110 + rand() * 90, 100 + rand() * 80];
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(height, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(width, Math.ceil(cx + r)); x++) {
        const d = Math.hypot(x - cx, y - cy) / r;
        if (d > 1) continue;
        const shade = 1 - 0.5 * d * d;
        const q = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) data[q + c] = base[c]! * shade;
      }
    }
  }
  await sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toFile(path);
}

async function runCase(c: Case): Promise<Record<string, unknown>> {
  const images: string[] = [];
  for (let k = 0; k < c.images; k++) images.push(join(WORK, `synthetic-${c.width}x${c.height}-${k}.jpg`));
  const out = join(WORK, `out-${c.model}-${c.width}x${c.height}-w${c.workers}`);
  // Other work on the machine skews the two-worker case most; the 1-minute load average before the case shows it.
  const loadBefore = Number(loadavg()[0]!.toFixed(2));
  await rm(out, { recursive: true, force: true });
  const report = await runSegmentBatch({ images, out, segmenter: { model: c.model === 'unet' ? MODEL : 'classical' }, workers: c.workers, force: true });
  if (report.failed > 0) throw new Error(report.results.map((r) => r.error).join('\n'));
  const mp = (c.width * c.height * c.images) / 1e6;
  const per = (ms: number): number => Number((mp / (ms / 1000)).toFixed(3));
  const s = report.stages;
  return {
    model: c.model,
    image: `${c.width}×${c.height}`,
    images: c.images,
    workers: c.workers,
    tilesPerImage: report.results[0]!.tiles,
    particlesPerImage: report.results.map((r) => r.particles),
    wallSeconds: Number((report.wallMs / 1000).toFixed(2)),
    throughputMPperS: per(report.wallMs),
    // Per-stage rates use each stage's own time summed over workers: MP / stage seconds (one worker's speed).
    stageMPperS: { decode: per(s.decode.ms), unet: per(s.semantic.ms), instances: per(s.instances.ms), write: per(s.write.ms) },
    stageSeconds: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number((v.ms / 1000).toFixed(2))])),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    loadAverageBefore: loadBefore,
    backend: report.info?.backend,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { case: { type: 'string' }, quick: { type: 'boolean', default: false } } });
  if (values.case) {
    const [model, ...rest] = values.case.split(',');
    const [w, h, workers, images] = rest.map(Number) as [number, number, number, number];
    process.stdout.write(`${JSON.stringify(await runCase({ model: model === 'classical' ? 'classical' : 'unet', width: w, height: h, workers, images }))}\n`);
    return;
  }
  await mkdir(WORK, { recursive: true });
  await initBackend();
  if (!existsSync(join(MODEL, 'meta.json'))) await writeRandomModel(MODEL, { architecture: ARCH, inputChannels: 3, tileSize: 256, seed: 1 });
  const cases: Case[] = [
    { model: 'unet', width: 1500, height: 1500, workers: 1, images: 2 },
    { model: 'unet', width: 1500, height: 1500, workers: 2, images: 2 },
    { model: 'classical', width: 1500, height: 1500, workers: 1, images: 2 },
    { model: 'classical', width: 1500, height: 1500, workers: 2, images: 2 },
    { model: 'classical', width: 6000, height: 4000, workers: 1, images: 1 },
  ];
  if (!values.quick) {
    // The slow ones: ~200 s of U-Net per 24 MP photo on one core.
    cases.push({ model: 'unet', width: 6000, height: 4000, workers: 1, images: 1 }, { model: 'unet', width: 6000, height: 4000, workers: 2, images: 2 });
  }
  for (const c of cases) for (let k = 0; k < c.images; k++) await makeImage(join(WORK, `synthetic-${c.width}x${c.height}-${k}.jpg`), c.width, c.height, k + 1);
  const results: Record<string, unknown>[] = [];
  for (const c of cases) {
    const t0 = Date.now();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'segment.ts'), '--case', `${c.model},${c.width},${c.height},${c.workers},${c.images}`], {
      cwd: ROOT,
      maxBuffer: 1 << 24,
    });
    const row = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    results.push(row);
    process.stdout.write(`${c.model} ${c.width}×${c.height} × ${c.images}, ${c.workers} worker(s): ${((Date.now() - t0) / 1000).toFixed(1)} s, ${JSON.stringify(row.stageMPperS)} MP/s, peak RSS ${String(row.peakRssMB)} MB\n`);
  }
  const file = join(ROOT, 'bench', 'results', 'segment.json');
  // A partial run replaces only its own cases, so the slow 6000×4000 figures survive a --quick rerun.
  const key = (r: Record<string, unknown>): string => JSON.stringify([r.model, r.image, r.workers]);
  const previous = (existsSync(file) ? ((JSON.parse(await readFile(file, 'utf8')) as { results?: Record<string, unknown>[] }).results ?? []) : []).map((r) => ({
    model: 'unet',
    ...r,
  }));
  const fresh = new Set(results.map(key));
  const merged = [...previous.filter((r) => !fresh.has(key(r))), ...results].sort((a, b) => key(a).localeCompare(key(b)));
  await writeJsonAtomic(file, {
    command: 'npm run bench:segment',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.versions.node },
    model: { architecture: ARCH, tileSize: 256, inputChannels: 3, note: 'randomly initialized; speed equals a trained model of this shape' },
    notes: [
      'stageMPperS: megapixels per second of each stage\'s own time (per worker); throughputMPperS: megapixels per wall-clock second',
      'peakRssMB: peak resident memory of the whole process (main thread + workers) for that case',
      'measure stage (particle tables, histograms) is not in this engine yet',
      'loadAverageBefore: 1-minute load average when the case started; above ~0.5 on this 2-core machine, other work shared the CPUs',
    ],
    results: merged,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:segment: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
