// Time of one 1500 × 1500 image per look of `photosieve synth` (render, labels, PNG writes), so a look's cost is
// stated, not guessed. One process pinned to one core (taskset where available; libuv and libvips pools at 1),
// a dry warm-up first so JIT compilation is not billed to the first look; best of --runs per look.
// Writes bench/results/synth-looks.json. Run: npx tsx bench/synth-looks.ts [--runs 2]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic } from '../src/io/index.js';
import { LOOK_NAMES, runSynth } from '../src/synth/index.js';

const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 2;

if (!process.argv.includes('--child')) {
  const pin = spawnSync('taskset', ['--version']).status === 0;
  const node = [process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--runs', String(runs)];
  const [cmd, ...args] = pin ? ['taskset', '-c', '0', ...node] : node;
  const child = spawnSync(cmd!, args, { env: { ...process.env, UV_THREADPOOL_SIZE: '1', VIPS_CONCURRENCY: '1' }, stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

// CPU time as well as wall time: on a shared machine wall time is inflated by other work, CPU time barely.
const one = async (look: (typeof LOOK_NAMES)[number]): Promise<{ seconds: number; cpu: number; particles: number; visible: number }> => {
  const out = await mkdtemp(join(tmpdir(), 'photosieve-looks-bench-'));
  try {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const s = await runSynth({ outDir: out, vector: [0.1, 0.1, 0.15, 0.25, 0.4], width: 1500, height: 1500, seed: 7, look });
    const c = process.cpuUsage(c0);
    return { seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, particles: s.particles, visible: s.visibleParticles };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
};

await one('dry');
const rows: { look: string; best_s: number; best_cpu_s: number; cpu_vs_dry: number; particles: number; visible: number }[] = [];
for (const look of LOOK_NAMES) {
  let best = Infinity;
  let bestCpu = Infinity;
  let last = { seconds: 0, cpu: 0, particles: 0, visible: 0 };
  for (let r = 0; r < runs; r++) {
    last = await one(look);
    best = Math.min(best, last.seconds);
    bestCpu = Math.min(bestCpu, last.cpu);
  }
  const dry = rows[0]?.best_cpu_s ?? bestCpu;
  rows.push({ look, best_s: Number(best.toFixed(3)), best_cpu_s: Number(bestCpu.toFixed(3)), cpu_vs_dry: Number((bestCpu / dry).toFixed(2)), particles: last.particles, visible: last.visible });
  process.stdout.write(`${look.padEnd(12)} ${best.toFixed(2)} s wall, ${bestCpu.toFixed(2)} s CPU (${(bestCpu / dry).toFixed(2)}× dry; ${last.particles} stones, ${last.visible} visible)\n`);
}
await writeJsonAtomic(join('bench', 'results', 'synth-looks.json'), {
  what: 'runSynth, one 1500×1500 PNG image per look, vector 0.1,0.1,0.15,0.25,0.4, seed 7, best of runs, in one process after a dry warm-up',
  runs,
  looks: rows,
  cpu: cpus()[0]?.model ?? 'unknown',
  load_average_at_end: loadavg().map((x) => Number(x.toFixed(2))),
  node: process.version,
});
