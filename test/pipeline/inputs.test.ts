// Inputs of a batch: names from relative paths (--recursive), a note for subfolders left out, same-named photos in
// different folders kept apart, and --scales (a scale per photo, the whole table checked first).
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expandImageInputs, imageNameOf, matchScales, readRunFile, runJsonSchema, runSegmentBatch } from '../../src/pipeline/index.js';
import { readInstancePng } from '../../src/io/index.js';
import { loadRun } from '../../src/report/index.js';
import { loadReviewRun } from '../../src/review/loadReviewRun.js';
import { captureAll, resetCliAfterEach } from '../helpers/cli.js';
import { errorLineOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { writeDiscPhoto } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let survey: string;

beforeAll(async () => {
  tmp = await tempDir();
  survey = join(tmp.dir, 'survey');
  // Two sites with a photo of the same name, a dotted name, and one photo at the top.
  for (const d of ['site-a', 'site-b', 'site-b/deep']) await mkdir(join(survey, d), { recursive: true });
  await writeDiscPhoto(join(survey, 'top.png'), 80, 60, 1);
  await writeDiscPhoto(join(survey, 'site-a', 'IMG_1.png'), 90, 70, 2);
  await writeDiscPhoto(join(survey, 'site-b', 'IMG_1.png'), 70, 90, 3);
  await writeDiscPhoto(join(survey, 'site-b', 'deep', 'run.2.png'), 64, 64, 4);
});
resetCliAfterEach();

describe('image names', () => {
  it('a relative path without its last extension, / between folders', () => {
    expect(imageNameOf('site-a/IMG_1.JPG')).toBe('site-a/IMG_1');
    expect(imageNameOf('run.2.png')).toBe('run.2');
    expect(imageNameOf('noext')).toBe('noext');
  });

  it('--recursive keeps subfolders in names; without it, files of the folder only and a note about the rest', async () => {
    const flat = await expandImageInputs([survey]);
    expect(flat.images).toEqual([{ path: join(survey, 'top.png'), name: 'top' }]);
    expect(flat.notes).toEqual([`${survey}: 3 photo(s) in subfolders (site-a, site-b) were not read; pass --recursive to include them`]);
    const deep = await expandImageInputs([survey], { recursive: true });
    expect(deep.images.map((im) => im.name)).toEqual(['site-a/IMG_1', 'site-b/IMG_1', 'site-b/deep/run.2', 'top']);
    expect(deep.notes).toEqual([]);
    // A glob's names are relative to its fixed part; a file on the command line is its stem.
    const glob = await expandImageInputs([`${survey}/site-*/*.png`, join(survey, 'top.png')]);
    expect(glob.images.map((im) => im.name)).toEqual(['site-a/IMG_1', 'site-b/IMG_1', 'top']);
    // The output folder inside an input folder is never read back as input.
    expect((await expandImageInputs([survey], { recursive: true, exclude: [join(survey, 'site-b')] })).images.map((im) => im.name)).toEqual(['site-a/IMG_1', 'top']);
  });

  it('same-named photos of two folders: kept apart with --recursive, refused (exit 1, named) when named by stem', async () => {
    const out = join(tmp.dir, 'recursive');
    const r = await captureAll(['segment', survey, '--recursive', '--out', out, '--model', 'classical', '--workers', '0', '--overlays', 'none']);
    expect(r.exitCode).toBe(0);
    for (const name of ['site-a/IMG_1', 'site-b/IMG_1', 'site-b/deep/run.2', 'top']) {
      expect(existsSync(join(out, 'instances', `${name}.png`))).toBe(true);
      expect(existsSync(join(out, 'particles', `${name}.csv`))).toBe(true);
      expect(existsSync(join(out, 'records', `${name}.json`))).toBe(true);
    }
    expect((await readInstancePng(join(out, 'instances', 'site-b', 'IMG_1.png'))).width).toBe(70);
    const run = await readRunFile(runJsonSchema, join(out, 'run.json'), 'run.json', '');
    expect(run.images.map((im) => im.name)).toEqual(['site-a/IMG_1', 'site-b/IMG_1', 'site-b/deep/run.2', 'top']);
    // The readers take names with subfolders: the report finds every table, review every photo and instance map.
    const report = await loadRun(out);
    expect([report.problems, report.images.map((im) => im.particles === null)]).toEqual([[], [false, false, false, false]]);
    const review = await loadReviewRun(out);
    expect(review.photos.map((p) => [p.name, p.problem])).toEqual(run.images.map((im) => [im.name, null]));

    const collide = await captureAll(['segment', join(survey, 'site-a', 'IMG_1.png'), join(survey, 'site-b', 'IMG_1.png'), '--out', join(tmp.dir, 'collide'), '--model', 'classical', '--workers', '0']);
    expect(collide.exitCode).toBe(1);
    expect(collide.err).toContain(`failed: ${join(survey, 'site-b', 'IMG_1.png')}: has the same name as ${join(survey, 'site-a', 'IMG_1.png')}, so their outputs would collide. Fix: pass their common parent folder with --recursive`);
  });
});

describe('--scales', () => {
  const images = [
    { path: 'p/site-a/IMG_1.jpg', name: 'site-a/IMG_1' },
    { path: 'p/site-b/IMG_1.jpg', name: 'site-b/IMG_1' },
    { path: 'p/top.v2.JPG', name: 'top.v2' },
    { path: 'p/solo.png', name: 'site-c/solo' },
  ];

  it('matches by name or file name, with or without the extension, never cutting at a dot', async () => {
    const csv = await tmp.write('scales-ok.csv', 'image,mm_per_px,note\nsite-a/IMG_1,0.2,x\nsite-b/IMG_1.jpg,0.3,\ntop.v2.jpg,0.4,\nsolo,0.5,\nunused.jpg,9,\n');
    expect(await matchScales(csv, images)).toEqual({ scales: [0.2, 0.3, 0.4, 0.5], unused: ['unused.jpg'] });
  });

  it('every missing or ambiguous photo is listed by name before anything runs', async () => {
    // "top" is not "top.v2" (no cutting at the dot); bare IMG_1 fits two photos; site-c/solo is named with its folder.
    const csv = await tmp.write('scales-bad.csv', 'image,mm_per_px\ntop,0.1\nIMG_1,0.2\nsite-c/solo,0.3\n');
    const line = await errorLineOf(() => matchScales(csv, images));
    expect(line).toBe(
      `${csv}: the scales table does not fit the batch: no row for 1 photo(s): "top.v2"; ambiguous: row "IMG_1" (line 3) fits site-a/IMG_1 and site-b/IMG_1: name them with their folders. Fix: give every photo one row image,mm_per_px, the image named as in the outputs (folder/stem) or by its file name`,
    );
    // Two rows for one photo (with and without its extension) are refused when the table is read, by line.
    const twice = await tmp.write('scales-twice.csv', 'image,mm_per_px\nsolo,0.3\nsolo.png,0.3\n');
    expect(await errorLineOf(() => matchScales(twice, images))).toBe(
      `${twice}: the scales table has more than one row for a photo: row 2 (solo) and row 3 (solo.png) name photo solo. Fix: keep one row per photo (a name with and without its extension is the same photo)`,
    );
    const bad = await tmp.write('scales-nan.csv', 'image,mm_per_px\na,0\nb,abc\n');
    expect(await errorLineOf(() => matchScales(bad, [{ path: 'a.jpg', name: 'a' }]))).toBe(
      `${bad}: 2 bad row(s): line 2 (a): mm_per_px "0" is not a positive number; line 3 (b): mm_per_px "abc" is not a positive number. Fix: give each photo a positive mm_per_px`,
    );
    const header = await tmp.write('scales-header.csv', 'name,scale\na,1\n');
    expect(await errorLineOf(() => matchScales(header, []))).toMatch(/needs the columns image,mm_per_px; this one has name,scale/);
  });

  it('each photo is measured at its own mm/px: particle tables, run.json, measure.json; a bad table stops the batch before any output', async () => {
    const out = join(tmp.dir, 'scaled');
    const table = await tmp.write('scales-run.csv', 'image,mm_per_px\nsite-a/IMG_1,0.2\nsite-b/IMG_1,0.5\nrun.2.png,0.25\ntop.png,0.1\n');
    const r = await captureAll(['segment', survey, '--recursive', '--scales', table, '--out', out, '--model', 'classical', '--workers', '0', '--overlays', 'none', '--weight', 'area']);
    expect(r.exitCode).toBe(0);
    const run = await readRunFile(runJsonSchema, join(out, 'run.json'), 'run.json', '');
    expect(run.images.map((im) => [im.name, im.scale])).toEqual([
      ['site-a/IMG_1', 0.2],
      ['site-b/IMG_1', 0.5],
      ['site-b/deep/run.2', 0.25],
      ['top', 0.1],
    ]);
    expect(run.options?.measure?.scales).toBe(table);
    const measure = JSON.parse(await readFile(join(out, 'measure.json'), 'utf8')) as { scale: unknown; scales: unknown };
    expect(measure).toMatchObject({ scale: null, scales: { 'site-a/IMG_1': 0.2, 'site-b/IMG_1': 0.5, 'site-b/deep/run.2': 0.25, top: 0.1 } });
    for (const [name, scale] of [['site-a/IMG_1', 0.2], ['site-b/IMG_1', 0.5]] as const) {
      const rows = (await readFile(join(out, 'particles', `${name}.csv`), 'utf8')).trim().split('\n');
      const head = rows[0]!.split(',');
      const row = rows[1]!.split(',');
      expect(Number(row[head.indexOf('minor_mm')])).toBeCloseTo(scale * Number(row[head.indexOf('minor_px')]), 3);
    }
    // A row short: nothing is written, the photo is named.
    const short = await tmp.write('scales-short.csv', 'image,mm_per_px\nsite-a/IMG_1,0.2\n');
    const none = join(tmp.dir, 'scaled-none');
    await expect(runSegmentBatch({ images: (await expandImageInputs([survey], { recursive: true })).images, out: none, segmenter: { model: 'classical' }, workers: 0, measure: { scales: short } })).rejects.toThrow(/no row for 3 photo\(s\): "site-b\/IMG_1", "site-b\/deep\/run\.2", "top"/);
    expect(existsSync(none)).toBe(false);
  });
});
