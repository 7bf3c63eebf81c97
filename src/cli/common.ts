// Helpers every subcommand shares: input expansion, number parsing, progress, one-line errors.
import { SingleBar } from 'cli-progress';
import { PhotosieveError } from '../core/index.js';
import { expandImageInputs } from '../pipeline/inputs.js';

/** Expands files, folders (their files with `extensions`) and glob patterns, in a stable order. */
export async function expandInputs(inputs: readonly string[], extensions: readonly string[]): Promise<string[]> {
  return (await expandImageInputs(inputs, { extensions })).images.map((im) => im.path);
}

// One parser per kind of number a flag takes. Each returns the value or throws one line naming the flag, what it
// must be and what it received; text that is not a plain decimal number ('', '1e', '0x10', 'NaN') never passes.

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function numberFrom(text: string): number {
  const t = text.trim();
  return DECIMAL.test(t) ? Number(t) : NaN;
}

function rejected(flag: string, expected: string, value: string, example?: string): PhotosieveError {
  return new PhotosieveError('E_PARAM', `${flag} must be ${expected}, received ${JSON.stringify(value)}.`, example === undefined ? {} : { fix: `e.g. ${flag} ${example}` });
}

/** An integer flag from `min` to `max`. */
export function parseIntOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = numberFrom(value);
    if (!Number.isInteger(n) || n < min || n > max) throw rejected(name, `an integer from ${min} to ${max}`, value);
    return n;
  };
}

export interface RealRange {
  /** Smallest allowed value (inclusive unless `above`). */
  min?: number;
  /** The value must be greater than `min`. */
  above?: boolean;
  /** Largest allowed value (inclusive). */
  max?: number;
}

function describeRange(range: RealRange): string {
  const low = range.min === undefined ? '' : `${range.above ? '>' : '≥'} ${range.min}`;
  const high = range.max === undefined ? '' : `≤ ${range.max}`;
  return low && high ? `a number ${low} and ${high}` : low || high ? `a number ${low || high}` : 'a number';
}

function inRange(n: number, range: RealRange): boolean {
  if (!Number.isFinite(n)) return false;
  if (range.min !== undefined && (range.above ? n <= range.min : n < range.min)) return false;
  return range.max === undefined || n <= range.max;
}

/** A real-number flag within a range (finite always). */
export function parseRealOption(flag: string, range: RealRange = {}): (value: string) => number {
  return (value) => {
    const n = numberFrom(value);
    if (!inRange(n, range)) throw rejected(flag, describeRange(range), value);
    return n;
  };
}

/** --cluster-boundary: a probability from 0 to 1, or `off` (Infinity: no particle is a cluster). */
export function parseClusterBoundary(value: string): number {
  if (value.trim().toLowerCase() === 'off') return Infinity;
  const n = numberFrom(value);
  if (!inRange(n, { min: 0, max: 1 })) throw rejected('--cluster-boundary', `${describeRange({ min: 0, max: 1 })}, or off`, value);
  return n;
}

/** A positive number, optionally at most `max`. */
export function parsePositive(flag: string, max?: number): (value: string) => number {
  return parseRealOption(flag, { min: 0, above: true, ...(max === undefined ? {} : { max }) });
}

export interface ListRules extends RealRange {
  /** Allowed lengths. @default any length ≥ 1 */
  lengths?: readonly number[];
  /** An example for the fix. */
  example?: string;
}

/** Comma-separated numbers (--bins, --class-weights): each in range, no empty part, the list of an allowed length. */
export function parseNumberList(flag: string, rules: ListRules = {}): (value: string) => number[] {
  const example = rules.example ?? '2,4,8,16';
  return (value) => {
    const nums = value.split(',').map(numberFrom);
    const each = describeRange(rules).replace(/^a number/, 'comma-separated numbers');
    if (value.trim() === '' || nums.some((n) => !inRange(n, rules))) throw rejected(flag, each, value, example);
    if (rules.lengths && !rules.lengths.includes(nums.length)) throw rejected(flag, `${rules.lengths.join(' or ')} comma-separated numbers`, value, example);
    return nums;
  };
}

/** Comma-separated names (--labels, --val-images); empty parts dropped. */
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

/** A plain aligned text table; numbers are printed with `digits` decimals. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[], digits = 4): string[] {
  const cells = [header.map(String), ...rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isFinite(c) ? c.toFixed(digits) : 'NaN') : c)))];
  const widths = header.map((_, k) => Math.max(...cells.map((r) => (r[k] ?? '').length)));
  return cells.map((r) => r.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  '));
}
