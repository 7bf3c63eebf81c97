// Write faults while a batch runs (issue 15): a full disk, a refused permission and an I/O error on one image's
// outputs fail that image only, with one line naming the photo, the file and what the errno means; the batch goes
// on; run.json is written with the failures, or one line says it could not be; no temporary file stays behind,
// and the ones a killed run left are removed when the next run starts. The faults are injected into the writes of
// io/atomic.ts (node:fs/promises.writeFile, in this thread: --workers 0).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile as realWriteFile } from 'node:fs/promises';
import { join } from 'node:path';
import fg from 'fast-glob';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readRunFile, runJsonSchema } from '../../src/pipeline/index.js';
import { removeOwnTempFilesSync } from '../../src/pipeline/tempFiles.js';
import { captureAll, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeDiscPhoto } from './helpers.js';

/** Target file pattern → errno the write of its temporary file fails with (after creating it, empty, as a real one). */
const faults = vi.hoisted(() => new Map<RegExp, string>());

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const writeFile = async (...args: Parameters<typeof fs.writeFile>): Promise<void> => {
    const target = typeof args[0] === 'string' ? args[0] : args[0] instanceof URL ? args[0].pathname : '';
    for (const [pattern, code] of faults) {
      if (pattern.test(target)) {
        await fs.writeFile(target, '');
        throw Object.assign(new Error(`${code}: injected, write '${target}'`), { code, errno: -1, syscall: 'write', path: target });
      }
    }
    return fs.writeFile(...args);
  };
  return { ...fs, writeFile, default: { ...fs, writeFile } };
});

resetCliAfterEach();
let tmp: Awaited<ReturnType<typeof tempDir>>;
let photos: string;
const names = ['a', 'b', 'c', 'd'];

beforeAll(async () => {
  tmp = await tempDir();
  photos = join(tmp.dir, 'photos');
  await mkdir(photos);
  for (const [k, n] of names.entries()) await writeDiscPhoto(join(photos, `${n}.png`), 72, 56, k + 1);
});

const segment = (out: string, ...extra: string[]): string[] => ['segment', photos, '--out', out, '--model', 'classical', '--workers', '0', '--overlays', 'none', '--bins', '8,16', '--bins-px', '-q', ...extra];
const temps = (dir: string): Promise<string[]> => fg('**/*.tmp', { cwd: dir, dot: true });
const failedLines = (err: string): string[] => err.split('\n').filter((l) => / failed: /.test(l));

describe('a fault while writing one image\'s outputs', () => {
  it('ENOSPC, EACCES and EIO each fail their image with one line; the others are written; run.json lists the failures; no .tmp stays', async () => {
    const out = join(tmp.dir, 'out-faults');
    faults.clear();
    faults.set(/particles\/\.b\.csv\.\d+\.\d+\.tmp$/, 'ENOSPC');
    faults.set(/particles\/\.c\.csv\.\d+\.\d+\.tmp$/, 'EACCES');
    faults.set(/particles\/\.d\.csv\.\d+\.\d+\.tmp$/, 'EIO');
    const r = await captureAll(segment(out));
    faults.clear();
    expect(r.exitCode).toBe(1);
    const p = (n: string): string => join(photos, `${n}.png`);
    const csv = (n: string): string => join(out, 'particles', `${n}.csv`);
    expect(failedLines(r.err)).toEqual([
      `segment: [2/4] failed: ${p('b')}: ${csv('b')}: could not be written: the disk is full (ENOSPC). Fix: free space on the output folder's disk or choose another --out, then run again (finished images are kept)`,
      `segment: [3/4] failed: ${p('c')}: ${csv('c')}: could not be written: permission denied (EACCES). Fix: make the output folder writable (chmod u+w) or choose another --out`,
      `segment: [4/4] failed: ${p('d')}: ${csv('d')}: could not be written: an input/output error (EIO): the disk or its connection failed. Fix: check the disk (dmesg, its cable or network share), then run again`,
    ]);
    const run = await readRunFile(runJsonSchema, join(out, 'run.json'), 'run.json', '');
    expect(run.images.map((im) => [im.name, im.status])).toEqual([
      ['a', 'done'],
      ['b', 'failed'],
      ['c', 'failed'],
      ['d', 'failed'],
    ]);
    expect(run.images[1]!.error).toContain('the disk is full (ENOSPC)');
    expect(run.counts).toEqual({ done: 1, skipped: 0, failed: 3 });
    expect(run.problems).toBeUndefined();
    expect(existsSync(csv('a'))).toBe(true);
    expect((await readFile(join(out, 'histograms.csv'), 'utf8')).split('\n')[1]).toMatch(/^a,/);
    expect(await temps(out)).toEqual([]);

    // Space again: the rerun redoes the three and keeps a.
    process.exitCode = undefined;
    const again = await captureAll(segment(out));
    expect(again.exitCode, again.err).toBe(0);
    expect(again.out).toMatch(/4 image\(s\): 3 done, 1 skipped/);
  });

  it('batch files that cannot be written are lines of their own and in run.json; when run.json cannot be written, one line says so, exit 1', async () => {
    const out = join(tmp.dir, 'out-batch');
    faults.clear();
    faults.set(/\.histograms\.csv\.\d+\.\d+\.tmp$/, 'ENOSPC');
    const r = await captureAll(segment(out));
    expect(r.exitCode).toBe(1);
    const histLine = `error: ${join(out, 'histograms.csv')}: could not be written: the disk is full (ENOSPC). Fix: free space on the output folder's disk or choose another --out, then run again (finished images are kept)`;
    expect(r.err.split('\n').filter((l) => l.startsWith('error: '))).toEqual([histLine]);
    const run = await readRunFile(runJsonSchema, join(out, 'run.json'), 'run.json', '');
    expect(run.problems).toEqual([histLine.slice('error: '.length)]);
    expect(run.counts).toEqual({ done: 4, skipped: 0, failed: 0 });

    faults.set(/\.run\.json\.\d+\.\d+\.tmp$/, 'ENOSPC');
    process.exitCode = undefined;
    const worse = await captureAll(segment(out, '--force'));
    faults.clear();
    expect(worse.exitCode).toBe(1);
    expect(worse.err.split('\n').filter((l) => l.startsWith('error: '))).toEqual([
      histLine,
      `error: ${join(out, 'run.json')}: could not be written: the disk is full (ENOSPC): the failures above are not on record. Fix: free space on the output folder's disk or choose another --out, then run again (finished images are kept)`,
    ]);
    // The old run.json went when the run started changing images: none is left that describes other outputs.
    expect(existsSync(join(out, 'run.json'))).toBe(false);
    expect(await temps(out)).toEqual([]);
  });

  it('temporary files a killed run left are removed when the next run starts (a note names them); a live process\'s are kept', async () => {
    const out = join(tmp.dir, 'out-stale');
    expect((await captureAll(segment(out))).exitCode).toBe(0);
    // A pid that is certainly gone: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = [join(out, 'particles', `.b.csv.${dead}.1.tmp`), join(out, `.run.json.${dead}.7.tmp`)];
    const live = join(out, 'records', `.a.json.${process.ppid}.3.tmp`);
    for (const f of [...stale, live]) await realWriteFile(f, '');
    const r = await captureAll(segment(out).filter((a) => a !== '-q'));
    expect(r.exitCode).toBe(0);
    expect(r.err).toContain(`note: removed 2 temporary file(s) an interrupted run left in ${out} (.run.json.${dead}.7.tmp, particles/.b.csv.${dead}.1.tmp)`);
    expect(stale.map(existsSync)).toEqual([false, false]);
    expect(existsSync(live)).toBe(true);
  });

  it('before a hard exit (a second Ctrl-C) this process removes its own temporary files and no one else\'s', async () => {
    const out = join(tmp.dir, 'out-own');
    await mkdir(join(out, 'instances', 'site-a'), { recursive: true });
    const own = [join(out, `.run.json.${process.pid}.1.tmp`), join(out, 'instances', 'site-a', `.x.png.${process.pid}.2.tmp`)];
    const other = join(out, 'instances', `.y.png.${process.ppid}.2.tmp`);
    const kept = join(out, 'instances', 'x.png');
    for (const f of [...own, other, kept]) await realWriteFile(f, '');
    removeOwnTempFilesSync(out);
    expect([...own, other, kept].map(existsSync)).toEqual([false, false, true, true]);
  });
});
