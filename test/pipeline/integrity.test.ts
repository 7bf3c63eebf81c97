// Resume a lab can trust: outputs carry the settings that made them; a rerun with the same settings resumes to the
// bytes of a clean run, one with other settings refuses before touching anything (or redoes all with --force),
// and a folder never ends up holding a mix.
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { BatchOptions } from '../../src/pipeline/index.js';
import { imageRecordSchema, readRunFile, recordPath, runJsonSchema, runSegmentBatch } from '../../src/pipeline/index.js';
import { capture, resetCliAfterEach } from '../helpers/cli.js';
import { errorLineOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { tinyModelDir } from '../segment/helpers.js';
import { snapshot, writeDiscPhoto } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let photos: string[];
let model: string;

beforeAll(async () => {
  tmp = await tempDir();
  await tmp.write('in/.keep', '');
  photos = [];
  for (const [k, [w, h]] of [
    [120, 90],
    [70, 150],
    [96, 96],
  ].entries()) {
    photos.push(await writeDiscPhoto(join(tmp.dir, 'in', `photo${k}.png`), w!, h!, k + 1));
  }
  model = await tinyModelDir();
});
resetCliAfterEach();

const SPEC = { edges: [2, 4, 8], unit: 'mm' as const, measure: 'minor' as const, weight: 'area' as const, edgePolicy: 'exclude' as const, minSizePx: 0 };
/** Settings A and B differ in the scale only. */
const A = (out: string, images = photos): BatchOptions => ({ images, out, segmenter: { model: 'classical' }, workers: 0, measure: { scale: 0.2, spec: SPEC } });
const B = (out: string, images = photos): BatchOptions => ({ ...A(out, images), measure: { scale: 0.1, spec: SPEC } });

describe('resume', () => {
  it('run A, then A again: every image skipped, every file byte-identical to the first run', async () => {
    const out = join(tmp.dir, 'a-twice');
    const first = await runSegmentBatch(A(out));
    expect(first.results.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    const before = await snapshot(out);
    const again = await runSegmentBatch(A(out));
    expect(again.results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(again.results.map((r) => r.particles)).toEqual(first.results.map((r) => r.particles));
    // histograms.csv included: it is written from the records, not re-measured from the rounded particle tables.
    expect(await snapshot(out)).toEqual(before);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['histograms.csv', 'measure.json', 'run.json', 'records/photo0.json', 'instances/photo0.png', 'overlays/photo0.jpg', 'particles/photo0.csv']));
    const run = await readRunFile(runJsonSchema, join(out, 'run.json'), 'run.json', '');
    expect(run.counts).toEqual({ done: 0, skipped: 3, failed: 0 });
    expect(run.images.every((im) => /^[0-9a-f]{64}$/.test(im.fingerprint ?? ''))).toBe(true);
  });

  it('a run stopped after one image, then resumed, ends byte-identical to a clean run; a pending image is redone', async () => {
    const clean = join(tmp.dir, 'clean-a');
    await runSegmentBatch(A(clean));
    const out = join(tmp.dir, 'resumed-a');
    // "Interrupted" after photo0; photo1 was being written when it stopped: pending record, half its files.
    await runSegmentBatch(A(out, photos.slice(0, 2)));
    const rec = imageRecordSchema.parse(JSON.parse(await readFile(recordPath(out, 'photo1'), 'utf8')));
    await writeFile(recordPath(out, 'photo1'), JSON.stringify({ ...rec, state: 'pending', result: undefined }));
    await writeFile(join(out, 'particles', 'photo1.csv'), 'half a table');
    await rm(join(out, 'run.json'));
    const resumed = await runSegmentBatch(A(out));
    expect(resumed.results.map((r) => r.status)).toEqual(['skipped', 'done', 'done']);
    expect(await snapshot(out)).toEqual(await snapshot(clean));
  });

  it('a photo that changed since its outputs were made is redone', async () => {
    const out = join(tmp.dir, 'changed');
    const photo = join(tmp.dir, 'changed-photo.png');
    await cp(photos[0]!, photo);
    await runSegmentBatch(A(out, [photo]));
    await writeDiscPhoto(photo, 120, 90, 9);
    await utimes(photo, new Date(), new Date(Date.now() + 5000));
    expect((await runSegmentBatch(A(out, [photo]))).results[0]!.status).toBe('done');
    expect((await runSegmentBatch(A(out, [photo]))).results[0]!.status).toBe('skipped');
  });
});

describe('other settings', () => {
  it('run B into A\'s folder refuses in one line naming --force and changes nothing; B --force equals a clean B', async () => {
    const out = join(tmp.dir, 'a-then-b');
    await runSegmentBatch(A(out));
    const before = await snapshot(out);
    const line = await errorLineOf(() => runSegmentBatch(B(out)));
    expect(line).toBe(
      `${out} holds outputs of 3 of these 3 image(s) made with other settings (photo0 and 2 other(s): scale 0.2 → 0.1); nothing was changed. Fix: rerun with --force to redo them with these settings (their old outputs are replaced), or choose another --out`,
    );
    expect(await snapshot(out)).toEqual(before);
    const forced = await runSegmentBatch({ ...B(out), force: true });
    expect(forced.results.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    const cleanB = join(tmp.dir, 'clean-b');
    await runSegmentBatch(B(cleanB));
    expect(await snapshot(out)).toEqual(await snapshot(cleanB));
    // The particle tables are in B's mm now, all of them.
    const table = await readFile(join(out, 'particles', 'photo2.csv'), 'utf8');
    expect(table).toBe(await readFile(join(cleanB, 'particles', 'photo2.csv'), 'utf8'));
  });

  it("the issue's case: a U-Net run at 0.39 mm/px, then --model classical --scale 0.1 into the same folder refuses; --force redoes all", async () => {
    const out = join(tmp.dir, 'unet-then-classical');
    const demo = ['fixtures/demo/images/g01_001.jpg', 'fixtures/demo/images/g02_001.jpg'];
    const unet = await capture(['segment', ...demo, '--out', out, '--model', 'default', '--scale', '0.39', '--workers', '0', '--overlays', 'none']);
    expect(unet.exitCode).toBe(0);
    const before = await snapshot(out);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const refused = capture(['segment', ...demo, '--out', out, '--model', 'classical', '--scale', '0.1', '--workers', '0', '--overlays', 'none']);
    await expect(refused).rejects.toThrow(/^\S+ holds outputs of 2 of these 2 image\(s\) made with other settings \(g01_001 and 1 other\(s\): model\.kind "unet" → "classical"; .*; nothing was changed\.$/);
    expect(await snapshot(out)).toEqual(before);
    const forced = await capture(['segment', ...demo, '--out', out, '--model', 'classical', '--scale', '0.1', '--workers', '0', '--overlays', 'none', '--force']);
    expect(forced.exitCode).toBe(0);
    const run = await readRunFile(runJsonSchema, join(out, 'run.json'), 'run.json', '');
    expect(run.model.kind).toBe('classical');
    expect(run.options?.measure?.scale).toBe(0.1);
    for (const name of ['g01_001', 'g02_001']) {
      const rec = imageRecordSchema.parse(JSON.parse(await readFile(recordPath(out, name), 'utf8')));
      expect([rec.state, rec.engine, rec.settings.scale, (rec.settings.model as { kind: string }).kind]).toEqual(['done', 'none', 0.1, 'classical']);
      // The particle table has 0.1 mm/px lengths: x_mm = 0.1 · x_px on every row.
      const rows = (await readFile(join(out, 'particles', `${name}.csv`), 'utf8')).trim().split('\n');
      const head = rows[0]!.split(',');
      const [xPx, xMm] = [head.indexOf('x_px'), head.indexOf('x_mm')];
      for (const r of rows.slice(1, 6)) expect(Number(r.split(',')[xMm])).toBeCloseTo(0.1 * Number(r.split(',')[xPx]), 4);
    }
  }, 120_000);

  it('outputs without a settings record (an older photosieve) are not resumed, not overwritten: refused', async () => {
    const out = join(tmp.dir, 'legacy');
    await runSegmentBatch(A(out));
    await rm(join(out, 'records'), { recursive: true });
    expect(await errorLineOf(() => runSegmentBatch(A(out)))).toMatch(/holds outputs of 3 of these 3 image\(s\) made with other settings \(photo0 and 2 other\(s\): its outputs have no settings record \(made by an older photosieve\?\)\).* Fix: rerun with --force/);
    await mkdir(join(out, 'records'));
    await writeFile(recordPath(out, 'photo0'), '{"format": "nope"}');
    expect(await errorLineOf(() => runSegmentBatch(A(out, photos.slice(0, 1))))).toMatch(/\(photo0: its record records\/photo0\.json is damaged\)/);
  });

  it('an engine other than the one that made the skipped images refuses; the same engine resumes', async () => {
    const out = join(tmp.dir, 'engines');
    const run = (images: string[], backend: 'wasm' | 'onnxruntime'): Promise<unknown> => runSegmentBatch({ images, out, segmenter: { model, backend }, workers: 0, overlays: 'none' });
    await run(photos.slice(0, 1), 'wasm');
    expect(await errorLineOf(() => run(photos.slice(0, 2), 'onnxruntime'))).toBe(
      `${out} holds outputs of 1 image(s) made with the engine wasm (photo0), this run's engine is onnxruntime; nothing was changed. Fix: rerun with --force to redo them with onnxruntime, or pass --backend wasm to resume with the same engine`,
    );
    expect(existsSync(join(out, 'instances', 'photo1.png'))).toBe(false);
    expect(existsSync(join(out, 'run.json'))).toBe(true);
    await run(photos.slice(0, 2), 'wasm');
    expect(existsSync(join(out, 'instances', 'photo1.png'))).toBe(true);
  }, 60_000);

  it('redone with other settings, an image keeps no overlay of the old kind; with the same settings other kinds stay', async () => {
    const out = join(tmp.dir, 'overlay-kinds');
    const photo = photos.slice(0, 1);
    await runSegmentBatch({ ...A(out, photo), overlays: 'png' });
    await runSegmentBatch({ ...A(out, photo), overlays: 'jpg' });
    expect([existsSync(join(out, 'overlays', 'photo0.png')), existsSync(join(out, 'overlays', 'photo0.jpg'))]).toEqual([true, true]);
    await runSegmentBatch({ ...B(out, photo), overlays: 'jpg', force: true });
    expect([existsSync(join(out, 'overlays', 'photo0.png')), existsSync(join(out, 'overlays', 'photo0.jpg'))]).toEqual([false, true]);
  });
});

describe('the settings a pyramid result depends on', () => {
  it('boundary ownership is part of the record, so a run with another radius is not resumed as the same', async () => {
    const { resultSegmenterOptions } = await import('../../src/pipeline/fingerprint.js');
    const { sameSettings } = await import('../../src/pipeline/fingerprint.js');
    const a = resultSegmenterOptions({ model: 'm' }, 'unet');
    const b = resultSegmenterOptions({ model: 'm', boundaryOwnership: 0 }, 'unet');
    expect(b).toMatchObject({ boundaryOwnership: 0 });
    expect(sameSettings(a, b)).toBe(false);
    expect(sameSettings(a, resultSegmenterOptions({ model: 'm', boundaryOwnership: 2 }, 'unet'))).toBe(true); // the default, spelled out
  });

  it('so is background ownership', async () => {
    const { resultSegmenterOptions, sameSettings } = await import('../../src/pipeline/fingerprint.js');
    const { DEFAULT_BACKGROUND_OWNERSHIP_RADIUS } = await import('../../src/segment/multiscale.js');
    const a = resultSegmenterOptions({ model: 'm' }, 'unet');
    const b = resultSegmenterOptions({ model: 'm', backgroundOwnership: 0 }, 'unet');
    expect(b).toMatchObject({ backgroundOwnership: 0 });
    expect(sameSettings(a, b)).toBe(false);
    expect(sameSettings(a, resultSegmenterOptions({ model: 'm', backgroundOwnership: DEFAULT_BACKGROUND_OWNERSHIP_RADIUS }, 'unet'))).toBe(true);
  });

  it('and so are peak heights read at full resolution (--no-level-peaks) and how large is inherited (--inherit-large all / off)', async () => {
    const { resultSegmenterOptions, sameSettings } = await import('../../src/pipeline/fingerprint.js');
    const a = resultSegmenterOptions({ model: 'm' }, 'unet');
    for (const [key, off, byDefault] of [['levelPeaks', false, true], ['inheritLarge', 'all', 'confirmed'], ['inheritLarge', 'off', 'confirmed']] as const) {
      const b = resultSegmenterOptions({ model: 'm', [key]: off }, 'unet');
      expect(b).toMatchObject({ [key]: off });
      expect(sameSettings(a, b)).toBe(false);
      expect(sameSettings(a, resultSegmenterOptions({ model: 'm', [key]: byDefault }, 'unet'))).toBe(true); // the default, spelled out
    }
  });
});
