// The CLI run in-process (output and exit code), plus one real process to check exit codes and that a bad
// flag gives one line, not a stack trace.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { capture, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
resetCliAfterEach();

describe('photosieve annotate (in-process)', () => {
  it('--help lists the options and the pixel convention', async () => {
    const { out, exitCode } = await capture(['annotate', '--help']);
    expect(exitCode).toBe(0);
    for (const flag of ['--images', '--format', '--boundary-px', '--roi', '--strict', '--from-instances', '--pixel-origin', '--out']) expect(out).toContain(flag);
    expect(out).toMatch(/centre/);
  });

  it('imports the fixtures, prints a one-screen summary, exit code 0', async () => {
    const outDir = join(tmp.dir, 'ok');
    const { out, exitCode } = await capture(['annotate', 'fixtures/labels/labelme', 'fixtures/labels/coco/two-images.json', 'fixtures/labels/cvat/annotations.xml', '--images', 'fixtures/images', '--out', outDir, '--roi', 'circle']);
    expect(exitCode).toBe(0);
    expect(out).toMatch(/annotate: 4 input file\(s\) \(labelme 2, coco 1, cvat 1\) → 5 image\(s\), \d+ particle\(s\)/);
    expect(out).toMatch(/errors 0, repairs 2, warnings 2/);
    expect(out.split('\n').length).toBeLessThan(25);
    for (const f of ['annotations.json', 'annotate-report.json', 'instances/pebbles.png', 'masks/pebbles.png', 'labels/pebbles.json', 'images/pebbles.png']) {
      expect(existsSync(join(outDir, f)), f).toBe(true);
    }
  });

  it('one broken file: the rest is written, the error is listed, exit code 1', async () => {
    const bad = await tmp.write('bad/broken.json', '{ not json');
    const outDir = join(tmp.dir, 'bad-out');
    const { out, exitCode } = await capture(['annotate', bad, 'fixtures/labels/labelme/pebbles.json', '--images', 'fixtures/images', '--out', outDir]);
    expect(exitCode).toBe(1);
    expect(out).toMatch(/error: .*broken\.json: not valid JSON .* → file skipped/);
    expect(existsSync(join(outDir, 'instances', 'pebbles.png'))).toBe(true);
  });

  it('--strict makes the fixture repairs errors', async () => {
    const { out, exitCode } = await capture(['annotate', 'fixtures/labels/labelme/pebbles.json', '--images', 'fixtures/images', '--strict', '--out', join(tmp.dir, 'strict')]);
    expect(exitCode).toBe(1);
    expect(out).toMatch(/error: .*pebbles\.json .* lies outside the 48×32 image → not repaired \(--strict\)/);
  });
});

describe('photosieve annotate (process)', () => {
  const cli = ['--import', 'tsx', 'src/cli/run.ts'];
  it('a bad flag value: one line naming the flag and the fix, exit code 2 (usage), no stack trace', async () => {
    const err = await run(process.execPath, [...cli, 'annotate', 'fixtures/labels/labelme/pebbles.json', '--out', join(tmp.dir, 'p'), '--roi', 'oval']).catch((e: { code: number; stderr: string }) => e);
    expect('code' in err && err.code).toBe(2);
    const stderr = (err as { stderr: string }).stderr;
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^photosieve: --roi "oval" is not a region of interest\. Fix: use --roi circle/);
  });

  it('a missing required option: commander\'s message, exit code 2 (usage)', async () => {
    const err = await run(process.execPath, [...cli, 'annotate', 'x.json']).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(/required option '-o, --out <dir>' not specified/);
  });
});
