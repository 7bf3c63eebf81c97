// Review → annotate → fine-tune on a `segment --recursive` run, whose photos a/x and b/x share the stem x: each
// review file names its own photo (imagePath relative to the file's folder, review/a), and the fine-tune's
// training folder holds both photos, under flat names of their own.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PhotosieveError } from '../../src/core/index.js';
import { runAnnotate } from '../../src/annotate/index.js';
import { readInstancePng } from '../../src/io/index.js';
import { ReviewStore, fineTuneOnReviewed, loadReviewRun, trainingNames } from '../../src/review/index.js';
import { writeRandomModel } from '../../src/segment/index.js';
import { tempDir } from '../helpers/tmp.js';
import type { NestedReviewRun } from './fakeReviewRun.js';
import { SHAPES, countId, trayInstances, writeNestedReviewRun } from './fakeReviewRun.js';

const TINY = { architecture: { depth: 3, baseChannels: 4, batchNorm: true, upsampling: 'transpose' as const }, inputChannels: 3 as const, tileSize: 64, seed: 3 };

let tmp: Awaited<ReturnType<typeof tempDir>>;
let run: NestedReviewRun;
let review: string;

/** Pixels per particle of an instance map, sorted: ids may be renumbered, the particles may not change. */
function sizesOf(map: { data: ArrayLike<number> }, except: number[] = []): number[] {
  const ids = [...new Set(Array.from(map.data))].filter((v) => v !== 0 && !except.includes(v));
  return ids.map((id) => countId(map, id)).sort((a, b) => a - b);
}

async function particleSizes(file: string): Promise<{ width: number; height: number; sizes: number[] }> {
  const map = await readInstancePng(file);
  return { width: map.width, height: map.height, sizes: sizesOf(map) };
}

/** a/x as reviewed (particle A removed) and b/x (one 22×15 box). */
const A_SIZES = sizesOf(trayInstances(), [SHAPES.A.id]);
const B_SIZES = [22 * 15];

beforeAll(async () => {
  tmp = await tempDir();
  run = await writeNestedReviewRun(tmp.dir);
  review = join(run.dir, 'review');
  const store = await ReviewStore.open(await loadReviewRun(run.dir));
  // a/x loses particle A in a save; b/x is marked reviewed as traced (its review file is written then).
  expect(await store.save('a/x', { base: 0, upsert: [], remove: [SHAPES.A.id] })).toEqual({ version: 1, particles: 6 });
  await store.setReviewed('a/x', true);
  await store.setReviewed('b/x', true);
  await store.idle();
});

describe('review files of a segment --recursive run', () => {
  it("LabelMe names the photo from the file's own folder, coco.json from DIR/review", async () => {
    const a = JSON.parse(await readFile(join(review, 'a', 'x.json'), 'utf8')) as { imagePath: string; imageWidth: number };
    const b = JSON.parse(await readFile(join(review, 'b', 'x.json'), 'utf8')) as { imagePath: string; imageWidth: number };
    expect([a.imagePath, a.imageWidth, b.imagePath, b.imageWidth]).toEqual(['../../../photos/a/x.png', 160, '../../../photos/b/x.png', 40]);
    const coco = JSON.parse(await readFile(join(review, 'coco.json'), 'utf8')) as { images: { file_name: string }[] };
    expect(coco.images.map((im) => im.file_name)).toEqual(['../../photos/a/x.png', '../../photos/b/x.png']);
  });

  it('plain annotate imports each LabelMe file with its own photo, without a warning', async () => {
    for (const [sub, photo, width, sizes] of [
      ['a', run.ax, 160, A_SIZES],
      ['b', run.bx, 40, B_SIZES],
    ] as const) {
      const out = join(tmp.dir, `annotated-${sub}`);
      const r = await runAnnotate({ labels: [join(review, sub, 'x.json')], out, allowOutside: true });
      expect(r.issues).toEqual([]);
      expect(r.images.map((im) => [im.name, im.image, im.width])).toEqual([['x', photo, width]]);
      expect(await readFile(join(out, 'images', 'x.png'))).toEqual(await readFile(photo));
      expect((await particleSizes(join(out, 'instances', 'x.png'))).sizes).toEqual(sizes);
    }
  });

  it('coco.json imports both photos with annotate', async () => {
    const r = await runAnnotate({ labels: [join(review, 'coco.json')], out: join(tmp.dir, 'annotated-coco'), allowOutside: true });
    // annotate's own naming (by stem) is unchanged: the second x is reported, not written over the first.
    expect(r.images.map((im) => [im.name, im.image])).toEqual([['x', run.ax]]);
    expect(r.issues.map((i) => [i.code, i.image])).toEqual([['duplicate_image', '../../photos/b/x.png']]);
  });
});

describe('fineTuneOnReviewed on a segment --recursive run', () => {
  it('names the training photos flat and apart', () => {
    expect([...trainingNames(['a/x', 'b/x', 'a__x', 'c', 'd/e/f'])]).toEqual([
      ['a/x', 'a__x-2'],
      ['b/x', 'b__x'],
      ['a__x', 'a__x'],
      ['c', 'c'],
      ['d/e/f', 'd__e__f'],
    ]);
  });

  it('trains on both photos, a review file written with the old imagePath (relative to DIR/review) too', async () => {
    // b/x's file as it was written before the fix: one `..` short, so annotate alone would not find its photo.
    const bFile = join(review, 'b', 'x.json');
    const text = await readFile(bFile, 'utf8');
    await writeFile(bFile, text.replace('"imagePath": "../../../photos/b/x.png"', '"imagePath": "../../photos/b/x.png"'));
    expect(await readFile(bFile, 'utf8')).not.toBe(text);
    // The store reads it back as before.
    const store = await ReviewStore.open(await loadReviewRun(run.dir));
    expect((await store.particles('b/x')).particles.map((p) => p.id)).toEqual([1]);

    const parent = join(tmp.dir, 'parent');
    await writeRandomModel(parent, TINY);
    // A budget shorter than one epoch: the trainer stops after the first.
    const r = await fineTuneOnReviewed({ dir: run.dir, init: parent, maxMinutes: 0.001, workers: 1 });
    expect([r.photos, r.epochs]).toEqual([['a/x', 'b/x'], 1]);
    const data = join(review, 'train-data');
    expect((await readdir(join(data, 'images'))).sort()).toEqual(['a__x.png', 'b__x.png']);
    expect(await readFile(join(data, 'images', 'a__x.png'))).toEqual(await readFile(run.ax));
    expect(await readFile(join(data, 'images', 'b__x.png'))).toEqual(await readFile(run.bx));
    expect(await particleSizes(join(data, 'instances', 'a__x.png'))).toEqual({ width: 160, height: 120, sizes: A_SIZES });
    expect(await particleSizes(join(data, 'instances', 'b__x.png'))).toEqual({ width: 40, height: 30, sizes: B_SIZES });
    const meta = JSON.parse(await readFile(join(r.model, 'meta.json'), 'utf8')) as { training: { added: { dir: string; images: number }[] } };
    expect(meta.training.added).toEqual([{ dir: data, images: 2 }]);
  });

  it('annotate refuses an output name with a folder in it', async () => {
    const file = join(review, 'a', 'x.json');
    const err = await runAnnotate({ labels: [file], out: join(tmp.dir, 'refused'), targets: new Map([[file, { name: 'a/x' }]]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhotosieveError);
    expect((err as PhotosieveError).toLine()).toBe(`${file}: output name "a/x" is not a plain file name. Fix: give each label file a name without /, \\, NUL, and other than . or ..`);
    // One name for a file of several images (coco.json holds both photos): the file is skipped, said so.
    const coco = join(review, 'coco.json');
    const r = await runAnnotate({ labels: [coco], out: join(tmp.dir, 'refused-coco'), targets: new Map([[coco, { name: 'both' }]]), allowOutside: true });
    expect([r.images, r.inputs.map((i) => i.ok), r.issues.map((i) => [i.code, i.message])]).toEqual([[], [false], [['malformed_file', 'holds 2 images, but one output name (both) was given for it']]]);
  });

  it('a reviewed photo that cannot become training data stops the fine-tune, naming its file', async () => {
    const bFile = join(review, 'b', 'x.json');
    await writeFile(bFile, '{');
    const err = await fineTuneOnReviewed({ dir: run.dir, init: join(tmp.dir, 'parent'), maxMinutes: 0.001, workers: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhotosieveError);
    const line = (err as PhotosieveError).toLine();
    expect(line.startsWith(`${join(review, 'train-data', 'annotate-report.json')}: 1 of 2 reviewed photo(s) could not be made training data (${bFile}: `)).toBe(true);
    expect(line.endsWith('). Fix: repair or delete the review files named there (a deleted one starts again from the traced particles), then fine-tune again')).toBe(true);
  });
});
