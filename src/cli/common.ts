// Helpers every subcommand shares: input expansion, number parsing, progress, one-line errors.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import fg from 'fast-glob';
import { PhotosieveError } from '../core/index.js';

/** Expands files, folders (their files with `extensions`) and glob patterns, in a stable order. */
export async function expandInputs(inputs: readonly string[], extensions: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    if (fg.isDynamicPattern(input)) {
      const found = (await fg(input, { onlyFiles: true })).sort();
      if (found.length === 0) throw new PhotosieveError('E_INPUT', `no file matches ${input}.`, { fix: 'check the pattern and quote it' });
      out.push(...found);
      continue;
    }
    const st = await stat(input).catch(() => null);
    if (st?.isDirectory()) {
      const pattern = extensions.length === 1 ? `*.${extensions[0]}` : `*.{${extensions.join(',')}}`;
      const found = (await fg(pattern, { cwd: input, onlyFiles: true, caseSensitiveMatch: false })).sort();
      out.push(...found.map((f) => join(input, f)));
    } else out.push(input);
  }
  return out;
}

export function parseIntOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new PhotosieveError('E_PARAM', `${name} must be an integer from ${min} to ${max}, received ${JSON.stringify(value)}.`);
    }
    return n;
  };
}

export function parseListOption(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Shows a progress bar on stderr only when it is a terminal and not CI. */
export function progressBar(what: string): { update(done: number, total: number, name: string): void; stop(): void } {
  const interactive = process.stderr.isTTY === true && !process.env.CI;
  if (!interactive) return { update() {}, stop() {} };
  const bar = new SingleBar(
    { format: `${what} [{bar}] {value}/{total} {name} eta {eta_formatted}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
  );
  let started = false;
  return {
    update(done, total, name) {
      if (!started) {
        bar.start(total, done, { name });
        started = true;
      } else bar.update(done, { name });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Comma-separated numbers for flags like --bins. */
export function parseNumberList(flag: string): (value: string) => number[] {
  return (value) => {
    const nums = value.split(',').map((s) => Number(s.trim()));
    if (nums.length === 0 || nums.some((n) => !Number.isFinite(n))) {
      throw new PhotosieveError('E_PARAM', `${flag} must be comma-separated numbers, received ${JSON.stringify(value)}.`, { fix: `e.g. ${flag} 2,4,8,16` });
    }
    return nums;
  };
}

export function parsePositive(flag: string, max?: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const ok = Number.isFinite(n) && n > 0 && (max === undefined || n <= max);
    if (!ok) {
      const expected = max === undefined ? 'a positive number' : `a number > 0 and ≤ ${max}`;
      throw new PhotosieveError('E_PARAM', `${flag} must be ${expected}, received ${JSON.stringify(value)}.`);
    }
    return n;
  };
}

/** A plain aligned text table; numbers are printed with `digits` decimals. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[], digits = 4): string[] {
  const cells = [header.map(String), ...rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isFinite(c) ? c.toFixed(digits) : 'NaN') : c)))];
  const widths = header.map((_, k) => Math.max(...cells.map((r) => (r[k] ?? '').length)));
  return cells.map((r) => r.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  '));
}
