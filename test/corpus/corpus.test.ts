// The malformed-input corpus (cases.ts) through the CLI: each case gives its one clear line and a non-zero exit,
// and nothing outside the output folders changes (inputs, the files beside them, the repository).
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { errorLine } from '../../src/core/index.js';
import { captureAll, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import type { CorpusCase } from './cases.js';
import { buildCorpus } from './cases.js';

resetCliAfterEach();
const tmp = await tempDir();
const root = join(tmp.dir, 'corpus');
const cases = await buildCorpus(root);

/**
 * Runs the CLI in-process the way src/cli/run.ts does: stdout and stderr together (failures go to stderr), a thrown
 * error is one `photosieve: …` line with exit 2 (a usage or setup error: nothing was done).
 */
async function runCli(argv: string[]): Promise<{ lines: string[]; exitCode: number }> {
  try {
    const { out, err, exitCode } = await captureAll(argv);
    return { lines: `${out}${err}`.split('\n'), exitCode };
  } catch (err) {
    if (err instanceof CommanderError) return { lines: [`usage: ${err.message}`], exitCode: err.exitCode || 2 };
    return { lines: [`photosieve: ${errorLine(err)}`], exitCode: 2 };
  }
}

// segment names each failed photo on a `segment: [k/n] failed: …` line of its own.
const ERROR_LINE = /^(\s*error: |photosieve: |segment: \[\d+\/\d+\] failed: )/;

/** Every path under dir with what identifies its content (hash for regular files up to 10 MB, else size+mtime). */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const name of await readdir(d)) {
      const p = join(d, name);
      const st: Stats = await lstat(p);
      const rel = relative(dir, p);
      if (st.isDirectory()) {
        out.set(rel, 'dir');
        await walk(p);
      } else if (st.isSymbolicLink()) out.set(rel, `link:${await readlink(p)}`);
      else if (st.isFIFO()) out.set(rel, 'fifo');
      else if (st.size > 10e6) out.set(rel, `big:${st.size}:${st.mtimeMs}`);
      else out.set(rel, `file:${createHash('sha1').update(await readFile(p)).digest('hex')}`);
    }
  };
  await walk(dir);
  return out;
}

const insideOut = (rel: string): boolean => /^[^/]+\/out(\/|$)/.test(rel);
const gitStatus = (): string => execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' });

const before = await snapshot(root);
const gitBefore = gitStatus();

describe('the corpus', () => {
  it('has at least 40 cases, of every kind', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const kinds = new Map<string, number>();
    for (const c of cases) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
    expect([...kinds.keys()].sort()).toEqual(['coco', 'cvat', 'image', 'labelme', 'model', 'truth']);
    for (const n of kinds.values()) expect(n).toBeGreaterThanOrEqual(5);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: one clear line, non-zero exit', async (_name, c: CorpusCase) => {
    const { lines, exitCode } = await runCli(c.argv);
    const errors = lines.filter((l) => ERROR_LINE.test(l));
    expect(errors, lines.join('\n')).toHaveLength(1);
    expect(errors[0]).toMatch(c.expect);
    // A thrown error (`photosieve: …`) is a usage or setup error: exit 2, nothing done. A line about one input
    // (`error: …`, `… failed: …`) means that input was skipped and the others done: exit 1.
    expect(exitCode).toBe(errors[0]!.trimStart().startsWith('photosieve: ') ? 2 : 1);
    for (const rel of c.unchanged ?? []) expect(before.get(join(c.name, 'out', rel)), rel).toBe((await snapshot(join(root, c.name, 'out'))).get(rel));
  });

  it('touched nothing outside the output folders: not the inputs, not the files beside them, not the repository', async () => {
    const after = await snapshot(root);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((rel) => !insideOut(rel) && before.get(rel) !== after.get(rel));
    expect(changed).toEqual([]);
    expect(gitStatus()).toBe(gitBefore);
  });
});

describe('the same through the real entry (a process, stderr)', () => {
  const run = promisify(execFile);
  // 1: some inputs failed, the others were done; 2: a usage or setup error, nothing was done.
  const EXIT: Record<string, number> = { 'img-bomb-1e10-px': 1, 'lm-absolute-path': 1, 'truth-bad-sum': 2, 'model-weights-outside': 2, 'seg-fifo-in-folder': 1, 'seg-truth-ambiguous': 2, 'seg-bomb-expansion': 1 };
  it.each(Object.keys(EXIT))('%s', async (name) => {
    const c = cases.find((x) => x.name === name)!;
    const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...c.argv]).then(
      (ok) => ({ code: 0, text: `${ok.stdout}${ok.stderr}` }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, text: `${e.stdout}${e.stderr}` }),
    );
    expect(r.code).toBe(EXIT[name]);
    const errors = r.text.split('\n').filter((l) => ERROR_LINE.test(l));
    expect(errors, r.text).toHaveLength(1);
    expect(errors[0]).toMatch(c.expect);
    expect(r.text).not.toMatch(/\n\s+at /);
  });
});
