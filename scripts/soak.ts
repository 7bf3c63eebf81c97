// `npm run soak`: N photos (copies of the demo photos), 5 % of them damaged (cut in half), segmented by the real CLI
// in a child process that is killed with SIGKILL at random moments and started again until a run ends by itself.
// Reports photos lost (must be 0: every good photo done with all its outputs, every damaged one failed by name),
// wall time, the number of kills, the child's peak RSS over time (VmRSS of /proc/PID/status), and whether
// histograms.csv is byte-identical to a clean run's. Exit 1 when anything was lost or differs.
//
//   npm run soak -- [--photos 40] [--damaged 0.05] [--workers 2] [--model classical] [--max-kills 8]
//                   [--kill-after 2-8] [--seed 1] [--no-compare] [--json FILE] [--keep DIR]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fg from 'fast-glob';

const { values } = parseArgs({
  options: {
    photos: { type: 'string', default: '40' },
    damaged: { type: 'string', default: '0.05' },
    workers: { type: 'string', default: '2' },
    model: { type: 'string', default: 'classical' },
    'max-kills': { type: 'string', default: '8' },
    'kill-after': { type: 'string', default: '2-8' },
    seed: { type: 'string', default: '1' },
    'no-compare': { type: 'boolean', default: false },
    json: { type: 'string' },
    keep: { type: 'string' },
  },
});

const N = Number(values.photos);
const damagedShare = Number(values.damaged);
const maxKills = Number(values['max-kills']);
const [killMin, killMax] = values['kill-after'].split('-').map(Number) as [number, number];
if (!Number.isInteger(N) || N < 1 || !(damagedShare >= 0 && damagedShare < 1) || !(killMin > 0 && killMax >= killMin)) {
  process.stderr.write('soak: --photos N (≥ 1), --damaged F (0 ≤ F < 1), --kill-after MIN-MAX seconds\n');
  process.exit(2);
}

/** mulberry32: a small seeded generator, so a soak can be repeated kill for kill (timing aside). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(Number(values.seed));

const root = values.keep ?? (await mkdtemp(join(tmpdir(), 'photosieve-soak-')));
const photos = join(root, 'photos');
const out = join(root, 'out');
await rm(out, { recursive: true, force: true });
await mkdir(photos, { recursive: true });
const names = Array.from({ length: N }, (_, k) => `p${String(k).padStart(3, '0')}`);
const damagedCount = Math.round(N * damagedShare) || (damagedShare > 0 ? 1 : 0);
const damaged = new Set<string>();
while (damaged.size < damagedCount) damaged.add(names[Math.floor(random() * N)]!);
for (const [k, name] of names.entries()) {
  const source = `fixtures/demo/images/g0${(k % 3) + 1}_001.jpg`;
  const target = join(photos, `${name}.jpg`);
  if (damaged.has(name)) {
    const bytes = await readFile(source);
    await writeFile(target, bytes.subarray(0, Math.floor(bytes.length / 2)));
  } else await copyFile(source, target);
}

const flags = ['--model', values.model, '--workers', values.workers, '--overlays', 'jpg', '--bins', '10,20,40', '--bins-px'];
const cli = (dir: string): string[] => ['--import', 'tsx', 'src/cli/run.ts', 'segment', photos, '--out', dir, ...flags];

function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

interface Attempt {
  attempt: number;
  /** Seconds the child ran. */
  seconds: number;
  killed: boolean;
  exitCode: number | null;
  /** Per-image lines seen on stderr before it ended. */
  imageLines: number;
  peakRssMB: number;
  /** RSS sampled every 250 ms: [seconds since start, MB]. */
  rss: [number, number][];
}

async function runOnce(attempt: number, dir: string, killAt: number | undefined): Promise<Attempt> {
  const t0 = performance.now();
  const child = spawn(process.execPath, cli(dir), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const rss: [number, number][] = [];
  const sample = setInterval(() => {
    const b = child.pid === undefined ? undefined : rssBytes(child.pid);
    if (b !== undefined) rss.push([Number(((performance.now() - t0) / 1000).toFixed(2)), Math.round(b / 1e6)]);
  }, 250);
  let killed = false;
  const timer = killAt === undefined ? undefined : setTimeout(() => {
    killed = child.kill('SIGKILL');
  }, killAt * 1000);
  const exitCode = await new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  clearInterval(sample);
  if (timer) clearTimeout(timer);
  return {
    attempt,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
    killed,
    exitCode,
    imageLines: (stderr.match(/^segment: \[\d+\/\d+\] (done|failed|skipped)/gm) ?? []).length,
    peakRssMB: Math.max(0, ...rss.map((r) => r[1])),
    rss,
  };
}

const started = performance.now();
const attempts: Attempt[] = [];
for (let k = 0; ; k++) {
  const killAt = k < maxKills ? killMin + random() * (killMax - killMin) : undefined;
  const a = await runOnce(k + 1, out, killAt);
  attempts.push(a);
  process.stderr.write(`soak: run ${a.attempt}: ${a.killed ? `killed after ${a.seconds} s` : `exited ${a.exitCode} after ${a.seconds} s`}, ${a.imageLines} image line(s), peak RSS ${a.peakRssMB} MB\n`);
  if (!a.killed) break;
}
const wallSeconds = (performance.now() - started) / 1000;

// What must hold: every good photo done with all its files, every damaged one failed by name in run.json.
const run = existsSync(join(out, 'run.json')) ? (JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { images: { name: string; status: string; error?: string }[] }) : { images: [] };
const status = new Map(run.images.map((im) => [im.name, im]));
const lost: string[] = [];
for (const name of names) {
  const im = status.get(name);
  if (damaged.has(name)) {
    if (im?.status !== 'failed' || !im.error?.includes(`${name}.jpg`)) lost.push(`${name} (damaged, not reported as failed)`);
    continue;
  }
  const files = [`instances/${name}.png`, `particles/${name}.csv`, `overlays/${name}.jpg`, `records/${name}.json`];
  const missing = files.filter((f) => !existsSync(join(out, f)));
  if (!im || (im.status !== 'done' && im.status !== 'skipped') || missing.length > 0) lost.push(`${name} (${im?.status ?? 'absent from run.json'}${missing.length ? `; missing ${missing.join(', ')}` : ''})`);
}
const temps = await fg('**/*.tmp', { cwd: out, dot: true });

let identical: boolean | null = null;
if (!values['no-compare']) {
  const clean = join(root, 'clean');
  await rm(clean, { recursive: true, force: true });
  const c = await runOnce(0, clean, undefined);
  identical = c.exitCode !== null && (await readFile(join(out, 'histograms.csv'), 'utf8')) === (await readFile(join(clean, 'histograms.csv'), 'utf8'));
}

const kills = attempts.filter((a) => a.killed).length;
const summary = {
  command: `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim(),
  photos: N,
  damaged: damaged.size,
  workers: Number(values.workers),
  model: values.model,
  kills,
  runs: attempts.length,
  wallSeconds: Number(wallSeconds.toFixed(1)),
  photosLost: lost.length,
  lost,
  tempFilesLeft: temps.length,
  histogramsIdenticalToCleanRun: identical,
  peakRssMB: Math.max(...attempts.map((a) => a.peakRssMB)),
  peakRssPerRunMB: attempts.map((a) => a.peakRssMB),
  attempts: attempts.map(({ rss, ...a }) => ({ ...a, rssSamples: rss.length })),
  rssOverTime: attempts.map((a) => ({ run: a.attempt, samples: a.rss })),
};
process.stdout.write(
  [
    `soak: ${N} photos (${damaged.size} damaged), ${summary.workers} worker(s), model ${values.model}: ${kills} SIGKILL(s) in ${attempts.length} runs, ${summary.wallSeconds} s wall`,
    `  photos lost: ${lost.length}${lost.length ? ` (${lost.slice(0, 5).join('; ')})` : ''}; temporary files left: ${temps.length}; histograms.csv identical to a clean run: ${identical === null ? 'not compared' : identical ? 'yes' : 'NO'}`,
    `  peak RSS of the child: ${summary.peakRssMB} MB (per run: ${summary.peakRssPerRunMB.join(', ')} MB)`,
    '',
  ].join('\n'),
);
if (values.json) await writeFile(values.json, `${JSON.stringify(summary, null, 2)}\n`);
if (!values.keep) await rm(root, { recursive: true, force: true });
process.exitCode = lost.length > 0 || temps.length > 0 || identical === false ? 1 : 0;
