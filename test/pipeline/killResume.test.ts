// Slow tier (spawns the CLI; ~10–20 s): a batch killed with SIGKILL right after its first image, then run again,
// ends with every photo's outputs, no temporary file, and histograms.csv byte-identical to a clean run's.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import fg from 'fast-glob';
import { describe, expect, it } from 'vitest';
import { captureAll, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

resetCliAfterEach();
const tmp = await tempDir();
const CLI = ['--import', 'tsx', 'src/cli/run.ts'];
const run = promisify(execFile);

describe('kill -9 and resume (slow tier)', () => {
  it('SIGKILL after the first image line, then a rerun: all outputs, no .tmp, histograms.csv as a clean run writes it', async () => {
    const photos = join(tmp.dir, 'photos');
    await mkdir(photos);
    const names = Array.from({ length: 6 }, (_, k) => `p${k}`);
    for (const [k, n] of names.entries()) await copyFile(`fixtures/demo/images/g0${(k % 3) + 1}_001.jpg`, join(photos, `${n}.jpg`));
    const flags = ['--model', 'classical', '--workers', '1', '--overlays', 'jpg', '--bins', '10,20,40', '--bins-px'];
    const out = join(tmp.dir, 'killed');
    const child = spawn(process.execPath, [...CLI, 'segment', photos, '--out', out, ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
    let err = '';
    await new Promise<void>((first) => {
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
        if (/\[1\/6\] done p0/.test(err)) first();
      });
      child.on('exit', () => first());
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // Killed mid-batch: the batch files are not there, some photos are not done.
    expect(existsSync(join(out, 'run.json'))).toBe(false);
    const doneBefore = names.filter((n) => existsSync(join(out, 'particles', `${n}.csv`))).length;
    expect(doneBefore).toBeLessThan(6);

    const again = await run(process.execPath, [...CLI, 'segment', photos, '--out', out, ...flags], { maxBuffer: 1 << 24 });
    expect(again.stdout).toMatch(/6 image\(s\): \d+ done, [1-9]\d* skipped .*, 0 failed/);
    for (const n of names) {
      for (const f of [`instances/${n}.png`, `particles/${n}.csv`, `overlays/${n}.jpg`, `records/${n}.json`]) expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(await fg('**/*.tmp', { cwd: out, dot: true })).toEqual([]);

    const clean = join(tmp.dir, 'clean');
    const c = await captureAll(['segment', photos, '--out', clean, ...flags.map((f) => (f === '1' ? '0' : f)), '-q']);
    expect(c.exitCode, c.err).toBe(0);
    expect(await readFile(join(out, 'histograms.csv'), 'utf8')).toBe(await readFile(join(clean, 'histograms.csv'), 'utf8'));
  }, 90_000);
});
