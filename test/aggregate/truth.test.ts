// Truth tables: validated whole before use, matched to photos by exact stem (with or without the image
// extension), never by a cut at the last dot.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { imageKey, parseTruth, readTruthTable, runEvaluate } from '../../src/aggregate/index.js';
import { createStemTable, photoStem } from '../../src/core/index.js';
import { parseCsv } from '../../src/io/index.js';
import { errorLineOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});

const truthCsv = (rows: string[]): string => `image,group,small,large\n${rows.join('\n')}\n`;
const truth = (rows: string[], file = 'truth.csv'): ReturnType<typeof parseTruth> => parseTruth(parseCsv(truthCsv(rows), file));

describe('photo stems', () => {
  it('only an image extension is taken off, never whatever follows the last dot', () => {
    expect(['pile.1.png', 'pile.1', 'photos/pile.1.JPG', 'C:\\shots\\a.b.c.tiff', 'site.2024.05', 'x.tif.png', 'a.'].map(photoStem)).toEqual(['pile.1', 'pile.1', 'pile.1', 'a.b.c', 'site.2024.05', 'x.tif', 'a.']);
    expect(imageKey('pile.1.png')).toBe('pile.1');
  });
});

describe('the stem table', () => {
  const table = createStemTable(['pile.1', 'pile.2.png', 'pile', 'site.2024.05.jpg'].map((name, k) => ({ name, line: k + 2, value: k })), 't.csv');
  const row = (photo: string): string | null => {
    const r = table.lookup(photo);
    return r.kind === 'one' ? r.row.name : r.kind;
  };

  it('by stem or file name, with or without the extension', () => {
    expect(['pile.1', 'pile.1.png', 'pile.2', 'pile.2.png', 'photos/pile.2.jpg', 'pile', 'pile.png', 'site.2024.05', 'site.2024.05.jpg'].map(row)).toEqual([
      'pile.1',
      'pile.1',
      'pile.2.png',
      'pile.2.png',
      'pile.2.png',
      'pile',
      'pile',
      'site.2024.05.jpg',
      'site.2024.05.jpg',
    ]);
  });

  it('a prefix before a dot never borrows another photo\'s row', () => {
    expect(['pile.3', 'site.2024', 'site', 'pil'].map(row)).toEqual(['none', 'none', 'none', 'none']);
  });

  it('matchAll lists missing photos and unused rows by name; a row two photos could claim is ambiguous, never guessed', () => {
    const m = table.matchAll(['pile.1', 'pile.3', 'pile']);
    expect(m.matched.map((x) => [x.photo, x.row.name])).toEqual([
      ['pile.1', 'pile.1'],
      ['pile', 'pile'],
    ]);
    expect(m.missing).toEqual(['pile.3']);
    expect(m.unused.map((r) => r.name)).toEqual(['pile.2.png', 'site.2024.05.jpg']);
    // Row "x.tif" is photo x.tif (a file) or the stem of x.tif.png: with both photos present, neither gets it.
    const t2 = createStemTable([{ name: 'x.tif', line: 2, value: 0 }], 't2.csv');
    expect(t2.matchAll(['x', 'x.tif']).ambiguous).toEqual([
      { photo: 'x', rows: ['x.tif'] },
      { photo: 'x.tif', rows: ['x.tif'] },
    ]);
    expect(t2.matchAll(['x.tif']).matched.map((x) => x.row.name)).toEqual(['x.tif']);
  });

  it('rows that name one photo twice are refused, listed by row and name', async () => {
    expect(await errorLineOf(() => createStemTable(['a', 'b', 'a.png', 'dir/b.JPG', 'c', './dir\\b.png'].map((name, k) => ({ name, line: k + 2, value: 0 })), 'dup.csv', 'the truth table'))).toBe(
      'dup.csv: the truth table has more than one row for a photo: row 2 (a) and row 4 (a.png) name photo a; row 5 (dir/b.JPG) and row 7 (./dir\\b.png) name photo dir/b. Fix: keep one row per photo (a name with and without its extension is the same photo)',
    );
  });
});

describe('parseTruth', () => {
  it('pile.1 and pile.2 are two photos; pile.1.png is pile.1', () => {
    const t = truth(['pile.1,A,0.5,0.5', 'pile.2,A,0.25,0.75', 'pile.10.png,B,1,0']);
    expect(t.rows.map((r) => [r.image, r.name, r.line])).toEqual([
      ['pile.1', 'pile.1', 2],
      ['pile.2', 'pile.2', 3],
      ['pile.10', 'pile.10.png', 4],
    ]);
    const one = t.table.lookup('pile.10');
    expect(one.kind === 'one' && one.row.value.vector).toEqual([1, 0]);
  });

  it('every bad row is listed, up to four, with its row number and name', async () => {
    expect(await errorLineOf(() => truth(['a,A,0.5,0.2', 'b,A,0.5,0.5', 'c,A,1,1']))).toBe('truth.csv: 2 rows do not sum to 1: row 2 (a) sums to 0.7000, not 1; row 4 (c) sums to 2.0000, not 1. Fix: normalize each row to mass fractions that sum to 1');
    expect(await errorLineOf(() => truth(['a,A,x,1', 'b,A,,1', 'c,A,-0.5,1.5', 'd,A,NaN,1', 'e,A,Infinity,0', 'f,A,0.5,0.5']))).toBe(
      'truth.csv: 5 rows have values that are not non-negative numbers: row 2 (a) has a value that is not a non-negative number; row 3 (b) has a value that is not a non-negative number; row 4 (c) has a value that is not a non-negative number; row 5 (d) has a value that is not a non-negative number and 1 more. Fix: give fractions between 0 and 1',
    );
    expect(await errorLineOf(() => truth([',A,0.5,0.5', 'ok,A,1,0']))).toBe("truth.csv: row 2 has no photo name. Fix: write the photo's file name or stem in the image column");
    expect(await errorLineOf(() => truth(['a,A,1,0', 'a.jpg,B,0,1']))).toMatch(/^truth\.csv: the truth table has more than one row for a photo: row 2 \(a\) and row 3 \(a\.jpg\) name photo a\./);
  });

  it('the header and an empty table', async () => {
    expect(await errorLineOf(() => parseTruth(parseCsv('image,group,a,a\nx,A,0.5,0.5\n', 'h.csv')))).toMatch(/^h\.csv: the bin columns must have distinct, non-empty names/);
    expect(await errorLineOf(() => parseTruth(parseCsv('image,group,a\nx,A,1\n', 'h.csv')))).toMatch(/needs the columns image,group,<one per bin, at least 2>/);
    expect(await errorLineOf(() => parseTruth(parseCsv('image,group,a,b\n', 'h.csv')))).toBe('h.csv: the truth table has a header but no rows. Fix: add one row per photo: image,group,fractions…');
  });
});

describe('evaluate matches by exact stem', () => {
  async function predDir(name: string, images: string[]): Promise<string> {
    const dir = join(tmp.dir, name);
    await mkdir(dir, { recursive: true });
    const rows = images.map((im, k) => `${im},10,${(k + 1) / 10},${1 - (k + 1) / 10},1,2,3`);
    await writeFile(join(dir, 'histograms.csv'), `image,n_particles,small,large,d10,d50,d90\n${rows.join('\n')}\n`);
    return dir;
  }

  it('photos sharing a prefix before a dot keep their own truth; pile.1.png rows match photo pile.1', async () => {
    const pred = await predDir('p1', ['pile.1', 'pile.2', 'pile']);
    const file = await tmp.write('t1.csv', truthCsv(['pile.1.png,A,0.1,0.9', 'pile.2,A,0.2,0.8', 'other,B,0.5,0.5']));
    const r = await runEvaluate({ pred, truth: file });
    expect(r.images.map((x) => [x.image, x.truth, x.rmse])).toEqual([
      ['pile.1', [0.1, 0.9], 0],
      ['pile.2', [0.2, 0.8], 0],
    ]);
    expect(r.missing).toEqual({ noPrediction: ['other'], noTruth: ['pile'], undefinedVector: [] });
  });

  it('a truth row two photos could claim stops the evaluation, naming both', async () => {
    const pred = await predDir('p2', ['x', 'x.tif']);
    const file = await tmp.write('t2.csv', truthCsv(['x.tif,A,0.5,0.5']));
    expect(await errorLineOf(() => runEvaluate({ pred, truth: file }))).toBe(
      `${file}: the truth table does not say which row belongs to 2 photo(s): x (rows x.tif), x.tif (rows x.tif). Fix: write each photo's full file name (e.g. pile.tif.png) so one row matches one photo`,
    );
  });

  it('the truth is read first: a bad table fails before the predictions are looked at', async () => {
    const file = await tmp.write('t3.csv', truthCsv(['a,A,0.5,0.4']));
    expect(await errorLineOf(() => runEvaluate({ pred: join(tmp.dir, 'no-such-run'), truth: file }))).toMatch(/t3\.csv: row 2 \(a\) sums to 0\.9000/);
    expect(await errorLineOf(() => readTruthTable(join(tmp.dir, 'absent.csv')))).toMatch(/absent\.csv: CSV file not found/);
  });
});
