// `photosieve segment` as a job: --json NDJSON only on stdout, -q, per-image lines on stderr, exit codes 0/1/2/130,
// Ctrl-C (in-process and as a real process: stops, says how to resume, a rerun resumes), --version, and the number
// flags refused in one line.
import { execFile, spawn } from 'node:child_process';
import { access, copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_PIXELS_DEFAULT } from '../../src/cli/segment.js';
import { DEFAULT_MAX_PIXELS } from '../../src/io/index.js';
import { capture, captureAll, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeDiscPhoto } from '../pipeline/helpers.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/run.ts'];
let tmp: Awaited<ReturnType<typeof tempDir>>;
let photos: string;

beforeAll(async () => {
  tmp = await tempDir();
  photos = join(tmp.dir, 'photos');
  await mkdir(photos);
  await writeDiscPhoto(join(photos, 'a.png'), 100, 80, 1);
  await writeDiscPhoto(join(photos, 'b.png'), 80, 100, 2);
  await tmp.write('photos/broken.jpg', 'not a JPEG');
});
resetCliAfterEach();

describe('photosieve segment: logs and exit codes', () => {
  it('--json: every stdout line one JSON event (start, engine, each image with its path, summary); the damaged photo named on stderr; exit 1', async () => {
    const r = await captureAll(['segment', photos, '--out', join(tmp.dir, 'json'), '--model', 'classical', '--workers', '0', '--scale', '0.2', '--json']);
    expect(r.exitCode).toBe(1);
    const events = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(['start', 'engine', 'image', 'image', 'image', 'summary']);
    expect(events[0]).toMatchObject({ event: 'start', command: 'segment', total: 3, toDo: 3, skipped: 0 });
    const images = events.filter((e) => e.event === 'image');
    expect(images.map((e) => [e.name, e.status, e.path])).toEqual([
      ['a', 'done', join(photos, 'a.png')],
      ['b', 'done', join(photos, 'b.png')],
      ['broken', 'failed', join(photos, 'broken.jpg')],
    ]);
    expect(images[0]).toMatchObject({ width: 100, height: 80, particles: expect.any(Number), seconds: expect.any(Number), timings: { decodeMs: expect.any(Number) } });
    expect(images[2]!.error).toMatch(/broken\.jpg: cannot decode the image/);
    expect(events[5]).toMatchObject({ event: 'summary', done: 2, skipped: 0, failed: 1, exitCode: 1, bins: ['lt_4mm', '4_5.6mm', '5.6_8mm', '8_11.2mm', 'ge_11.2mm'] });
    expect(r.err).toMatch(/^segment: \[3\/3\] failed: .*broken\.jpg: cannot decode the image/m);
  });

  it('without --json: one line per finished image on stderr, the tables on stdout; -q keeps only the failures', async () => {
    const out = join(tmp.dir, 'lines');
    const r = await captureAll(['segment', photos, '--out', out, '--model', 'classical', '--workers', '0']);
    expect(r.exitCode).toBe(1);
    expect(r.err.split('\n').filter((l) => l.startsWith('segment: '))).toEqual([
      'segment: 3 image(s): 3 to segment (0.02 MP)',
      expect.stringMatching(/^segment: \[1\/3\] done a \(100×80, \d+ particles, [\d.]+ s\)(, eta .*)?$/),
      expect.stringMatching(/^segment: \[2\/3\] done b \(80×100, \d+ particles, [\d.]+ s\)$/),
      expect.stringMatching(/^segment: \[3\/3\] failed: .*broken\.jpg: cannot decode the image/),
    ]);
    expect(r.out).toMatch(/^a\s+100×80\s+\d+\s+0\s+[\d.]+\s+done$/m);
    expect(r.out).not.toMatch(/cannot decode|\[1\/3\]/);
    const quiet = await captureAll(['segment', photos, '--out', out, '--model', 'classical', '--workers', '0', '-q']);
    expect(quiet.err.trim().split('\n')).toEqual([expect.stringMatching(/^segment: \[3\/3\] failed: .*broken\.jpg/)]);
    expect(quiet.out).toMatch(/2 skipped \(done before with these settings/);
  });

  it('Ctrl-C (SIGINT) in-process: the image in progress finishes, no new one starts, the line says how many and how to resume; exit 130', async () => {
    const out = join(tmp.dir, 'sigint');
    const good = [join(photos, 'a.png'), join(photos, 'b.png')];
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      // Ctrl-C as soon as the first image is reported done.
      if (String(chunk).includes('[1/2] done a')) process.emit('SIGINT');
      return true;
    });
    const r = await capture(['segment', ...good, '--out', out, '--model', 'classical', '--workers', '0']);
    expect(r.exitCode).toBe(130);
    expect(r.out).toBe('');
    expect(err).toContain('segment: stopping after the image(s) in progress (Ctrl-C again to stop now)\n');
    expect(err).toContain('segment: interrupted: 1 of 2 image(s) done (1 in this run); run the same command again to resume');
    process.exitCode = undefined;
    const again = await captureAll(['segment', ...good, '--out', out, '--model', 'classical', '--workers', '0']);
    expect(again.exitCode).toBe(0);
    expect(again.err).toMatch(/^segment: 2 image\(s\): 1 to segment \(.*\), 1 skipped/m);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('the number flags: NaN, empty and out-of-range values refused in one line before anything runs', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const base = ['segment', 'x.png', '--out', join(tmp.dir, 'never')];
    await expect(capture([...base, '--resize', 'NaN'])).rejects.toThrow(/^--resize must be a number > 0 and ≤ 1, received "NaN"\.$/);
    await expect(capture([...base, '--tile', '12.5'])).rejects.toThrow(/^--tile must be an integer from 16 to 4096, received "12\.5"\.$/);
    await expect(capture([...base, '--min-size-px', '-1'])).rejects.toThrow(/^--min-size-px must be a number ≥ 0, received "-1"\.$/);
    await expect(capture([...base, '--scale', '0x10'])).rejects.toThrow(/^--scale must be a number > 0, received "0x10"\.$/);
    await expect(capture(['calibrate', '--pred', 'p', '--truth', 't', '--out', 'o', '--lambda', 'much'])).rejects.toThrow(/^--lambda must be a number ≥ 0, received "much"\.$/);
    expect(MAX_PIXELS_DEFAULT).toBe(DEFAULT_MAX_PIXELS);
  });

  it('--help names the job flags', async () => {
    const { out } = await capture(['segment', '--help']);
    for (const flag of ['--recursive', '--scales <csv>', '--bins-px', '--json', '-q, --quiet', '--overlays <kind>', 'Exit codes: 0 all done, 1 some images failed']) expect(out).toContain(flag);
  });
});

describe('photosieve as a process', () => {
  it('--version prints package.json\'s version; a usage error and a setup error exit 2 with one line', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect((await run(process.execPath, [...CLI, '--version'])).stdout).toBe(`${pkg.version}\n`);
    const usage = await run(process.execPath, [...CLI, 'segment', photos, '--out', join(tmp.dir, 'u'), '--no-such-flag']).catch((e: { code: number; stderr: string }) => e);
    expect((usage as { code: number }).code).toBe(2);
    expect((usage as { stderr: string }).stderr).toMatch(/^error: unknown option '--no-such-flag'/);
    const setup = await run(process.execPath, [...CLI, 'segment', photos, '--out', join(tmp.dir, 's'), '--model', join(tmp.dir, 'no-model')]).catch((e: { code: number; stderr: string }) => e);
    expect((setup as { code: number }).code).toBe(2);
    expect((setup as { stderr: string }).stderr.trim().split('\n')).toEqual([`photosieve: ${join(tmp.dir, 'no-model')}: the model folder does not exist. Fix: pass --model DIR, --model default or --model classical`]);
  }, 60_000);

  it('SIGTERM to a running batch: it stops at once with exit 143 and the resume line, removes its own temporary files (not those of a live process), and the rerun resumes', async () => {
    const many = join(tmp.dir, 'term');
    await mkdir(many);
    for (let k = 0; k < 24; k++) await copyFile(`fixtures/demo/images/g0${(k % 3) + 1}_001.jpg`, join(many, `p${String(k).padStart(2, '0')}.jpg`));
    const out = join(tmp.dir, 'term-out');
    const argv = [...CLI, 'segment', many, '--out', out, '--model', 'classical', '--workers', '1', '--overlays', 'none'];
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    // A write of the running process cut off by the signal (its name carries the child's pid), and one of another
    // live process (this test's) that must stay.
    const own = join(out, 'instances', `.p99.png.${child.pid}.7.tmp`);
    const other = join(out, 'instances', `.p98.png.${process.pid}.1.tmp`);
    try {
      await new Promise<void>((resolveFirst) => {
        child.stderr.on('data', (c: Buffer) => {
          err += c.toString();
          if (/\[1\/24\] done p00/.test(err)) resolveFirst();
        });
      });
      await writeFile(own, 'half a PNG');
      await writeFile(other, 'another run');
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      const last = err.trim().split('\n').at(-1)!;
      expect(last).toMatch(/^segment: interrupted: (\d+) of 24 image\(s\) done \(\1 in this run\); run the same command again to resume/);
      expect(Number(/interrupted: (\d+)/.exec(last)![1])).toBeLessThan(24);
      await expect(access(own)).rejects.toThrow();
      await expect(access(other)).resolves.toBeUndefined();
      const left = (await readdir(join(out, 'instances'))).filter((f) => f.endsWith('.tmp'));
      expect(left).toEqual([`.p98.png.${process.pid}.1.tmp`]);
    } finally {
      child.kill('SIGKILL');
    }
    const again = await run(process.execPath, argv, { maxBuffer: 1 << 24 });
    expect(again.stdout).toMatch(/24 image\(s\): \d+ done, [1-9]\d* skipped/);
  }, 120_000);

  it('SIGINT to a running batch: lines arrive while it runs, it stops with exit 130 and the resume line; the rerun resumes', async () => {
    const many = join(tmp.dir, 'many');
    await mkdir(many);
    for (let k = 0; k < 24; k++) await copyFile(`fixtures/demo/images/g0${(k % 3) + 1}_001.jpg`, join(many, `p${String(k).padStart(2, '0')}.jpg`));
    const out = join(tmp.dir, 'many-out');
    const argv = [...CLI, 'segment', many, '--out', out, '--model', 'classical', '--workers', '1', '--overlays', 'none'];
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      await new Promise<void>((resolveFirst) => {
        child.stderr.on('data', (c: Buffer) => {
          err += c.toString();
          // The first per-image line reached us while the process had 23 more photos to do.
          if (/\[1\/24\] done p00/.test(err)) resolveFirst();
        });
      });
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stdout).toBe('');
      const last = err.trim().split('\n').at(-1)!;
      expect(last).toMatch(/^segment: interrupted: (\d+) of 24 image\(s\) done \(\1 in this run\); run the same command again to resume/);
      const doneBefore = Number(/interrupted: (\d+)/.exec(last)![1]);
      expect(doneBefore).toBeLessThan(24);
    } finally {
      child.kill('SIGKILL');
    }
    const again = await run(process.execPath, argv, { maxBuffer: 1 << 24 });
    expect(again.stderr).toMatch(/^segment: 24 image\(s\): \d+ to segment \(.*\), \d+ skipped \(done before with these settings\)$/m);
    expect(again.stdout).toMatch(/24 image\(s\): \d+ done, [1-9]\d* skipped/);
  }, 120_000);
});
