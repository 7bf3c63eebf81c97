// One parser per kind of number (integer, real in a range, list): NaN, empty parts, hex and out-of-range values are
// refused in one line naming the flag; train's --class-weights count is checked before any training code runs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parseClusterBoundary, parseIntOption, parseNumberList, parsePositive, parseRealOption } from '../../src/cli/common.js';
import { segmenterOptionsFromFlags } from '../../src/cli/segment.js';
import { capture, resetCliAfterEach } from '../helpers/cli.js';
import { errorLineOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
resetCliAfterEach();

describe('number parsers', () => {
  it('integers', () => {
    const p = parseIntOption('--n', 1, 10);
    expect([p('1'), p(' 10 '), p('+3')]).toEqual([1, 10, 3]);
    for (const bad of ['', ' ', '0', '11', '2.5', 'NaN', '1e', '0x4', 'Infinity', '3abc']) expect(() => p(bad)).toThrow(`--n must be an integer from 1 to 10, received ${JSON.stringify(bad)}.`);
  });

  it('reals in a range', () => {
    expect(parseRealOption('--x', { min: 0, max: 1 })('0.25')).toBe(0.25);
    expect(parseRealOption('--x', { min: 0, max: 1 })('1e-3')).toBe(0.001);
    expect(() => parseRealOption('--x', { min: 0, max: 1 })('1.01')).toThrow('--x must be a number ≥ 0 and ≤ 1, received "1.01".');
    expect(() => parsePositive('--s')('0')).toThrow('--s must be a number > 0, received "0".');
    expect(() => parsePositive('--s')('NaN')).toThrow('--s must be a number > 0, received "NaN".');
    expect(() => parseRealOption('--x')('-Infinity')).toThrow('--x must be a number, received "-Infinity".');
  });

  it('--cluster-boundary: a probability or off, and it reaches the instance stage beside --min-area', () => {
    expect(parseClusterBoundary('0.35')).toBe(0.35);
    expect(parseClusterBoundary('OFF')).toBe(Infinity);
    expect(() => parseClusterBoundary('1.5')).toThrow('--cluster-boundary must be a number ≥ 0 and ≤ 1, or off, received "1.5".');
    expect(() => parseClusterBoundary('')).toThrow(/--cluster-boundary must be/);
    const flags = { model: 'default', multiscale: true, levelPeaks: true } as Parameters<typeof segmenterOptionsFromFlags>[0];
    expect(segmenterOptionsFromFlags({ ...flags, clusterBoundary: 0.3, minArea: 5 }, undefined).instance).toEqual({ minArea: 5, clusterBoundary: 0.3 });
    expect(segmenterOptionsFromFlags({ ...flags, clusterBoundary: Infinity }, undefined).instance).toEqual({ clusterBoundary: Infinity });
    expect(segmenterOptionsFromFlags(flags, undefined).instance).toBeUndefined();
  });

  it('lists: every part a number in range, no empty part, an allowed length', () => {
    const p = parseNumberList('--w', { min: 0, lengths: [3, 4], example: '1,1,3' });
    expect(p('1, 1,3')).toEqual([1, 1, 3]);
    expect(() => p('1,,3')).toThrow('--w must be comma-separated numbers ≥ 0, received "1,,3".');
    expect(() => p('1,-1,3')).toThrow('--w must be comma-separated numbers ≥ 0, received "1,-1,3".');
    expect(() => p('1,2')).toThrow('--w must be 3 or 4 comma-separated numbers, received "1,2".');
    expect(() => parseNumberList('--b')('')).toThrow('--b must be comma-separated numbers, received "".');
  });
});

describe('photosieve train: flags checked before TensorFlow.js is asked anything', () => {
  const base = (): string[] => ['train', '--data', join(tmp.dir, 'no-data'), '--out', join(tmp.dir, 'model')];

  it('--class-weights of the wrong length, NaN learning rates and fractions outside 0-1: one line each, nothing written', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await errorLineOf(() => capture([...base(), '--class-weights', '1,2']))).toBe('--class-weights must be 3 or 4 comma-separated numbers, received "1,2". Fix: e.g. --class-weights 1,1,3');
    expect(await errorLineOf(() => capture([...base(), '--class-weights', '1,1,3,1']))).toBe(
      '--class-weights must be 3 numbers: the model has 3 classes (background, body, boundary); received 4 (1,1,3,1). Fix: pass background,body,boundary, e.g. --class-weights 1,1,3',
    );
    await expect(capture([...base(), '--size-band', '16', '--class-weights', '1,1,3'])).rejects.toThrow(/^--class-weights must be 4 numbers: a scale-band model \(--size-band\) has 4 classes; received 3/);
    await expect(capture([...base(), '--lr', 'NaN'])).rejects.toThrow(/^--lr must be a number > 0, received "NaN"\.$/);
    await expect(capture([...base(), '--val-fraction', '1.5'])).rejects.toThrow(/^--val-fraction must be a number ≥ 0 and ≤ 1, received "1\.5"\.$/);
    await expect(capture([...base(), '--dice-weight', 'x'])).rejects.toThrow(/^--dice-weight must be a number ≥ 0, received "x"\.$/);
    await expect(capture([...base(), '--lr-decay', '2'])).rejects.toThrow(/^--lr-decay must be a number > 0 and ≤ 1, received "2"\.$/);
    expect(existsSync(join(tmp.dir, 'model'))).toBe(false);
  });
});
