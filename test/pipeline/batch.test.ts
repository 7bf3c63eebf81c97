// The segment batch end to end: worker threads started from TypeScript sources (tsx), a corrupt file isolated,
// resume, --force, the CLI's output and exit code, and no tensors or Mats left after a batch.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { liveMatCount } from '../../src/cv/index.js';
import { readInstancePng } from '../../src/io/index.js';
import { runSegmentBatch, workerEntry, writeImageOutputs } from '../../src/pipeline/index.js';
import { defaultModelDir, resolveModelOption } from '../../src/segment/index.js';
import { matchInstances } from '../../src/aggregate/index.js';
import { capture, captureAll, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { discGrid, discRaster, tinyBandModelDir, tinyModelDir } from '../segment/helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let model: string;
let images: string[];

beforeAll(async () => {
  tmp = await tempDir();
  model = await tinyModelDir();
  const sizes = [
    [120, 90],
    [70, 150],
  ] as const;
  images = [];
  for (const [k, [w, h]] of sizes.entries()) {
    const r = discRaster(w, h, discGrid(w, h, 6, 12, k + 1));
    const path = join(tmp.dir, 'in', `photo${k}.png`);
    await tmp.write(`in/photo${k}.png`, await sharp(r.data, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
    images.push(path);
  }
  images.push(await tmp.write('in/broken.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a])));
});

resetCliAfterEach();

describe('worker entry', () => {
  it('points at worker.ts (loaded through tsx) when running from sources', () => {
    const { url, fromSource } = workerEntry();
    expect(url.pathname.endsWith('/src/pipeline/worker.ts')).toBe(true);
    expect(fromSource).toBe(true);
    expect(existsSync(url)).toBe(true);
  });
});

describe('runSegmentBatch', () => {
  it('two workers, three images, one corrupt: two written at the input size, the bad one reported, resume skips', async () => {
    const out = join(tmp.dir, 'out-pool');
    const events: string[] = [];
    const report = await runSegmentBatch({
      images,
      out,
      segmenter: { model },
      workers: 2,
      onProgress: (e) => events.push(e.kind),
    });
    expect(report.workers).toBe(2);
    expect(report.results.map((r) => r.status)).toEqual(['done', 'done', 'failed']);
    expect(report.failed).toBe(1);
    expect(report.results[2]!.error).toMatch(/broken\.jpg: cannot decode the image .* Fix: /);
    // writeRandomModel writes model.onnx too, so the auto ladder picks onnxruntime, one thread per worker on 2 cores.
    expect(report.info?.backend?.name).toBe('onnxruntime');
    expect(report.leftovers).toHaveLength(2);
    expect(report.leftovers.every((l) => l.mats === 0 && l.sessions === 0 && l.tensors === 0)).toBe(true);
    expect(events).toContain('tile');
    const map = await readInstancePng(join(out, 'instances', 'photo1.png'));
    expect([map.width, map.height]).toEqual([70, 150]);
    // The default overlay is a JPEG (a full-resolution PNG costs most of the write stage).
    const overlay = await sharp(join(out, 'overlays', 'photo0.jpg')).metadata();
    expect([overlay.format, overlay.width, overlay.height, overlay.channels]).toEqual(['jpeg', 120, 90, 3]);
    expect(existsSync(join(out, 'overlays', 'photo0.png'))).toBe(false);
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as Record<string, unknown>;
    expect(run).toMatchObject({ backend: { name: 'onnxruntime' }, model: { kind: 'unet' }, workers: 2 });
    expect(Object.keys(run.versions as object)).toEqual(expect.arrayContaining(['photosieve', 'tfjs', 'opencv', 'sharp']));

    const mtime = (await stat(join(out, 'instances', 'photo0.png'))).mtimeMs;
    const again = await runSegmentBatch({ images, out, segmenter: { model }, workers: 2 });
    expect(again.results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'failed']);
    expect(again.results[0]!.particles).toBe(report.results[0]!.particles);
    expect((await stat(join(out, 'instances', 'photo0.png'))).mtimeMs).toBe(mtime);
  });

  it('in this thread (workers 0): no tensors and no Mats left after the batch', async () => {
    const out = join(tmp.dir, 'out-inline');
    // The first batch loads the backend and OpenCV; count from the second, as a long-running process would.
    await runSegmentBatch({ images: images.slice(0, 1), out: join(tmp.dir, 'warm'), segmenter: { model }, workers: 0 });
    const tensors = tf.memory().numTensors;
    const mats = liveMatCount();
    const report = await runSegmentBatch({ images, out, segmenter: { model }, workers: 0, force: true });
    expect(report.results.map((r) => r.status)).toEqual(['done', 'done', 'failed']);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(liveMatCount()).toBe(mats);
    expect(report.leftovers).toEqual([{ tensors, mats, sessions: 0 }]);
  });

  it('overlays none | png | jpg: writes only the asked file, records it in run.json, and resume follows the kind', async () => {
    const out = join(tmp.dir, 'out-overlays');
    const photo = images.slice(0, 1);
    const run = (overlays: 'none' | 'png' | 'jpg') => runSegmentBatch({ images: photo, out, segmenter: { model: 'classical' }, workers: 0, overlays });
    const options = async (): Promise<unknown> => (JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { options: { overlays: unknown } }).options.overlays;

    expect((await run('none')).results[0]!.status).toBe('done');
    expect(existsSync(join(out, 'instances', 'photo0.png'))).toBe(true);
    expect(existsSync(join(out, 'overlays'))).toBe(false);
    expect(await options()).toBe('none');
    expect((await run('none')).results[0]!.status).toBe('skipped');

    // Asking for an overlay the folder lacks redoes the image; the same kind again is skipped.
    expect((await run('png')).results[0]!.status).toBe('done');
    expect((await sharp(join(out, 'overlays', 'photo0.png')).metadata()).format).toBe('png');
    expect(await options()).toBe('png');
    expect((await run('png')).results[0]!.status).toBe('skipped');
    expect((await run('jpg')).results[0]!.status).toBe('done');
    expect((await sharp(join(out, 'overlays', 'photo0.jpg')).metadata()).format).toBe('jpeg');
    expect((await run('none')).results[0]!.status).toBe('skipped');

    await expect(runSegmentBatch({ images: photo, out, segmenter: { model: 'classical' }, overlays: 'gif' as 'png' })).rejects.toThrow(/--overlays must be none \| png \| jpg, received "gif"/);
  });

  it('a model folder that does not exist fails before any work, in one line', async () => {
    await expect(runSegmentBatch({ images, out: join(tmp.dir, 'x'), segmenter: { model: join(tmp.dir, 'nope') } })).rejects.toThrow(/the model folder does not exist/);
  });

  it('the packaged default model segments a bundled demo photo into the right particles', async () => {
    expect(resolveModelOption('default')).toBe(defaultModelDir());
    const out = join(tmp.dir, 'default');
    const report = await runSegmentBatch({ images: ['fixtures/demo/images/g02_001.jpg'], out, segmenter: { model: 'default' }, workers: 0, force: true });
    expect(report.results[0]!.status).toBe('done');
    const m = matchInstances(await readInstancePng('fixtures/demo/instances/g02_001.png'), await readInstancePng(join(out, 'instances', 'g02_001.png')));
    // Measured 0.77 when the model was committed; far above classical mode on the same photo.
    expect(m.f1).toBeGreaterThan(0.6);
  }, 120_000);
});

describe('photosieve segment (CLI, in-process)', () => {
  it('classical mode with a glob: summary table, failure line, exit code 1; --force redoes', async () => {
    const out = join(tmp.dir, 'cli');
    const first = await captureAll(['segment', join(tmp.dir, 'in', '*'), '--out', out, '--model', 'classical', '--workers', '1', '--scale', '0.2', '--bins', '2,4,8']);
    expect(first.exitCode).toBe(1);
    expect(first.out).toMatch(/^image\s+size\s+particles\s+tiles\s+seconds\s+status$/m);
    expect(first.out).toMatch(/^photo0\s+120×90\s+\d+\s+0\s+[\d.]+\s+done$/m);
    // The failure is named on stderr, as it happens; stdout holds the results only.
    expect(first.err).toMatch(/^segment: \[\d\/3\] failed: .*broken\.jpg: cannot decode the image/m);
    expect(first.out).not.toMatch(/cannot decode/);
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { options: { measure: unknown } };
    expect(run.options.measure).toEqual({ scale: 0.2, spec: { edges: [2, 4, 8], unit: 'mm', measure: 'minor', weight: 'mass', edgePolicy: 'exclude', minSizePx: 0 } });
    expect((await readFile(join(out, 'histograms.csv'), 'utf8')).split('\n')[0]).toBe('image,n_particles,lt_2mm,2_4mm,4_8mm,ge_8mm,d10,d16,d30,d50,d60,d84,d90,cu,cc');
    expect((await readFile(join(out, 'histograms-pooled.csv'), 'utf8')).split('\n')[1]).toMatch(/^pooled,\d+,/);
    expect((await readFile(join(out, 'particles', 'photo0.csv'), 'utf8')).split('\n')[0]).toMatch(/^id,x_px,y_px,area_px,.*,touches_edge,x_mm,/);
    process.exitCode = undefined;
    const second = await capture(['segment', join(tmp.dir, 'in', 'photo*.png'), '--out', out, '--model', 'classical', '--workers', '0', '--force']);
    expect(second.exitCode).toBe(0);
    expect(second.out).toMatch(/2 done, 0 skipped/);
    expect(second.out).toMatch(/outputs: .*overlays \(jpg\)/);
    const third = await capture(['segment', join(tmp.dir, 'in', 'photo0.png'), '--out', join(tmp.dir, 'cli-none'), '--model', 'classical', '--workers', '0', '--overlays', 'none']);
    expect(third.exitCode).toBe(0);
    expect(third.out).not.toMatch(/overlays/);
    expect(existsSync(join(tmp.dir, 'cli-none', 'overlays'))).toBe(false);
  });

  it("a scale-band model's detection limit is the default --min-size-px; --min-size and an explicit 0 override it", async () => {
    const band = await tinyBandModelDir(tmp.dir);
    const minSizeOf = async (extra: string[]): Promise<number> => {
      const out = join(tmp.dir, `band-${extra.join('')}`);
      const r = await capture(['segment', images[0]!, '--out', out, '--model', band, '--workers', '0', '--overlays', 'none', '--scale', '0.2', '--bins', '2,4,8', ...extra]);
      expect(r.exitCode).toBe(0);
      return (JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { options: { measure: { spec: { minSizePx: number } } } }).options.measure.spec.minSizePx;
    };
    expect(await minSizeOf([])).toBe(4);
    expect(await minSizeOf(['--min-size-px', '0'])).toBe(0);
    expect(await minSizeOf(['--min-size', '1'])).toBeCloseTo(5, 9); // 1 mm at 0.2 mm/px
  }, 60_000);

  it('particles above the largest size a pyramid measured whole are counted in a warning', async () => {
    const W = 80;
    const data = new Int32Array(W * W);
    for (let i = 10; i < 60; i++) for (let j = 10; j < 60; j++) data[i * W + j] = 1; // a 50 px square
    for (let i = 65; i < 75; i++) for (let j = 65; j < 75; j++) data[i * W + j] = 2; // a 10 px one
    const raster = { width: W, height: W, channels: 3 as const, depth: 8 as const, data: new Uint8Array(W * W * 3) };
    const measure = { scale: 0.5, spec: { edges: [2, 4, 8], unit: 'mm' as const, measure: 'minor' as const, weight: 'area' as const, edgePolicy: 'exclude' as const, minSizePx: 0 } };
    const base = { out: join(tmp.dir, 'largest'), name: 'sq', path: 'sq.png', raster, instances: { width: W, height: W, data }, measure, overlays: 'none' as const };
    const warned = await writeImageOutputs({ ...base, largestPx: 32 });
    expect(warned.measure!.warnings).toEqual([expect.stringMatching(/^1 particle\(s\) have a b-axis above 16\.0 mm \(32 px\), the largest this model's pyramid measures whole: pass a larger --max-size$/)]);
    expect((await writeImageOutputs({ ...base, largestPx: 64 })).measure!.warnings).toEqual([]);
    expect((await writeImageOutputs(base)).measure!.warnings).toEqual([]);
    // Area the segmenter took out as unresolved clusters: unmeasured with the rest, the vector as it was.
    const plain = (await writeImageOutputs(base)).measure!;
    const clusters = (await writeImageOutputs({ ...base, unresolvedAreaPx: 2600 })).measure!;
    expect(clusters.fractions).toEqual(plain.fractions);
    expect(plain.unresolvedAreaFraction).toBe(0);
    expect(clusters.unresolvedAreaFraction).toBeCloseTo(2600 / (2500 + 100 + 2600), 12);
    expect(clusters.unmeasuredAreaFraction).toBeCloseTo(2600 / 5200, 12);
    expect(clusters.warnings.join()).toMatch(/50\.0 % of the particle area is in clusters of grains too small to resolve/);
  });

  it('rejects bad flags with one line', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await expect(capture(['segment', 'x.png', '--out', 'o', '--bins', '4,2', '--bins-px'])).rejects.toThrow(/--bins must be strictly ascending, received "4,2"/);
    await expect(capture(['segment', 'x.png', '--out', 'o', '--bins', '2,4'])).rejects.toThrow(/^--bins without --scale: are the edges millimetres or pixels\?$/);
    await expect(capture(['segment', 'x.png', '--out', 'o', '--bins', '2,,4', '--bins-px'])).rejects.toThrow(/--bins must be comma-separated numbers > 0, received "2,,4"/);
    await expect(capture(['segment', 'x.png', '--out', 'o', '--workers', ''])).rejects.toThrow(/--workers must be an integer from 0 to 256, received ""/);
    await expect(capture(['segment', 'x.png', '--out', 'o', '--scale', 'NaN'])).rejects.toThrow(/--scale must be a number > 0, received "NaN"/);
    await expect(capture(['segment', 'x.png', '--out', 'o', '--scale', '0.1', '--scales', 's.csv'])).rejects.toThrow(/--scale and --scales cannot be combined/);
    await expect(capture(['segment', 'x.png', '--out', 'o', '--resize', '2'])).rejects.toThrow(/--resize must be a number > 0 and ≤ 1/);
    await expect(capture(['segment', 'x.png', '--out', 'o', '--overlays', 'gif'])).rejects.toThrow(/--overlays.*gif.*none, png, jpg/);
    await expect(capture(['segment', 'x.png', '--out', 'o', '--boundary-ownership', '1.5'])).rejects.toThrow(/--boundary-ownership must be an integer from 0 to 64, received "1.5"/);
    await expect(capture(['segment', 'x.png', '--out', 'o', '--background-ownership', '-1'])).rejects.toThrow(/--background-ownership must be an integer from 0 to 64, received "-1"/);
  });
});
