// Wall time of `photosieve synth --out DIR --groups 3 --per-group 2 --size 1500 --seed 7` on one core, process
// start included. Each run is a fresh child pinned to CPU 0 (taskset, where available) with libuv's and libvips'
// thread pools at 1, so sharp cannot borrow a second core. Writes bench/results/synth.json.
// Run: npm run bench:synth [-- --runs 3]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic } from '../src/io/index.js';

const ARGS = ['--groups', '3', '--per-group', '2', '--size', '1500', '--seed', '7'];

if (process.argv[2] === '--child') {
  // The child is the command itself, as `photosieve synth` would run it.
  const { synthCommand } = await import('../src/cli/synth.js');
  await synthCommand().parseAsync(process.argv.slice(3), { from: 'user' });
  // CPU time of this process (all its threads): unlike wall time, barely inflated when other work shares the core.
  const cpu = process.cpuUsage();
  process.stderr.write(`cpu_s=${((cpu.user + cpu.system) / 1e6).toFixed(3)}\n`);
} else {
  const runsFlag = process.argv.indexOf('--runs');
  const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 3;
  const self = fileURLToPath(import.meta.url);
  const pin = spawnSync('taskset', ['--version']).status === 0;
  const env = { ...process.env, UV_THREADPOOL_SIZE: '1', VIPS_CONCURRENCY: '1' };
  const seconds: number[] = [];
  const cpuSeconds: number[] = [];
  let summary = '';
  for (let r = 0; r < runs; r++) {
    const out = await mkdtemp(join(tmpdir(), 'photosieve-bench-'));
    const node = [process.execPath, '--import', 'tsx', self, '--child', '--out', out, ...ARGS];
    const [cmd, ...args] = pin ? ['taskset', '-c', '0', ...node] : node;
    const t0 = performance.now();
    const child = spawnSync(cmd!, args, { env, encoding: 'utf8' });
    const s = (performance.now() - t0) / 1000;
    await rm(out, { recursive: true, force: true });
    if (child.status !== 0) {
      process.stderr.write(child.stderr);
      process.exit(1);
    }
    summary = child.stdout.trim();
    seconds.push(s);
    cpuSeconds.push(Number(/cpu_s=([\d.]+)/.exec(child.stderr)?.[1] ?? NaN));
    process.stdout.write(`run ${r + 1}/${runs}: ${s.toFixed(2)} s wall, ${cpuSeconds[r]!.toFixed(2)} s CPU\n`);
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  const result = {
    command: `photosieve synth --out DIR ${ARGS.join(' ')}`,
    pinned_to_one_core: pin,
    runs_s: seconds.map((s) => Number(s.toFixed(3))),
    best_s: Number(sorted[0]!.toFixed(3)),
    median_s: Number(sorted[Math.floor(sorted.length / 2)]!.toFixed(3)),
    cpu_s: cpuSeconds.map((s) => Number(s.toFixed(3))),
    includes: 'node + tsx start-up, 6 images of 1500×1500 with all label files and tables',
    cpu: cpus()[0]?.model ?? 'unknown',
    // Other work on the machine inflates wall time; compare with cpu_s and the core count.
    load_average_at_end: loadavg().map((x) => Number(x.toFixed(2))),
    cores: cpus().length,
    node: process.version,
    output: summary,
  };
  await writeJsonAtomic(join('bench', 'results', 'synth.json'), result);
  process.stdout.write(`best ${result.best_s} s, median ${result.median_s} s wall → bench/results/synth.json\n`);
}
