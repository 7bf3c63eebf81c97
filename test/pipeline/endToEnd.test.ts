// segment → evaluate → report on the bundled demo photos with the bundled model: the report's reader takes
// run.json, histograms.csv and evaluation.json as the writers made them (not a hand-made run.json), and the numbers
// on the page are those of the files. Also: the hand-made run of the report tests still fits the one schema, and
// the library entry (src/index.ts) gives the same vector as the batch for one photo.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as photosieve from '../../src/index.js';
import { readCsv } from '../../src/io/index.js';
import { loadRun, urlSegment } from '../../src/report/index.js';
import { capture, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeFakeRun } from '../report/fakeRun.js';

const DEMO = 'fixtures/demo';
const NAMES = ['g01_001', 'g02_001', 'g03_001'];
let tmp: Awaited<ReturnType<typeof tempDir>>;
let out: string;

beforeAll(async () => {
  tmp = await tempDir();
  out = join(tmp.dir, 'demo');
  const seg = await capture(['segment', join(DEMO, 'images'), '--out', out, '--model', 'default', '--scale', '0.1', '--weight', 'mass', '--truth', join(DEMO, 'truth.csv'), '--workers', '0']);
  expect(seg.exitCode).toBe(0);
  const ev = await capture(['evaluate', '--pred', out, '--truth', join(DEMO, 'truth.csv')]);
  expect(ev.exitCode).toBe(0);
  const rep = await capture(['report', out]);
  expect(rep.exitCode).toBe(0);
}, 180_000);
resetCliAfterEach();

describe('segment → evaluate → report on fixtures/demo', () => {
  it('the files parse with the one schema: run.json, measure.json and every record', async () => {
    const run = await photosieve.readRunFile(photosieve.runJsonSchema, join(out, 'run.json'), 'run.json', '');
    expect(run.images.map((im) => [im.name, im.status])).toEqual(NAMES.map((n) => [n, 'done']));
    expect(run.model).toMatchObject({ kind: 'unet', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(run.counts).toEqual({ done: 3, skipped: 0, failed: 0 });
    const measure = await photosieve.readRunFile(photosieve.measureJsonSchema, join(out, 'measure.json'), 'measure.json', '');
    expect(measure).toMatchObject({ tool: 'photosieve segment', scale: 0.1, spec: { edges: [4, 5.6, 8, 11.2], unit: 'mm', weight: 'mass' } });
    for (const n of NAMES) {
      const rec = await photosieve.readRunFile(photosieve.imageRecordSchema, join(out, 'records', `${n}.json`), 'record', '');
      expect([rec.state, rec.result?.fingerprint]).toEqual(['done', rec.fingerprint]);
    }
  });

  it('the report shows the vectors of histograms.csv, the scores of evaluation.json and the particles of each table', async () => {
    const data = await loadRun(out);
    expect(data.problems).toEqual([]);
    expect(data.summary).toMatchObject({ tool: 'photosieve segment', scale: 0.1, overlays: 'jpg', spec: { weight: 'mass' }, model: { kind: 'unet', format: 'photosieve-unet/1' } });
    const hist = await readCsv(join(out, 'histograms.csv'));
    const evaluation = JSON.parse(await readFile(join(out, 'evaluation.json'), 'utf8')) as photosieve.EvaluationReport;
    expect(data.images.map((im) => im.name)).toEqual(NAMES);
    for (const im of data.images) {
      const row = hist.rows.find((r) => r[0] === im.name)!;
      expect(im.vector).toEqual(row.slice(2, 2 + data.bins!.length).map(Number));
      expect(im.binned).toBe(Number(row[1]));
      const e = evaluation.images.find((x) => x.image === im.name)!;
      expect(im.metrics).toMatchObject({ source: 'evaluation.json', rmse: e.rmse, mae: e.mae, kl: e.kl });
      const table = await readCsv(join(out, 'particles', `${im.name}.csv`));
      expect(im.particles).toBe(table.rows.length);
      expect(existsSync(join(out, 'report', 'overlays', `${im.name}.jpg`))).toBe(true);
    }
    const html = await readFile(join(out, 'report', 'index.html'), 'utf8');
    for (const n of NAMES) expect(html).toContain(n);
    // Mass-weighted vectors of the default model on these photos: RMSE about 0.09 (README); far from a blind guess.
    expect(evaluation.overall.rmse).toBeLessThan(0.15);
  });

  it('the hand-made run of the report tests fits the schema the writer is typed against', async () => {
    for (const [k, options] of [{}, { bins: false }, { overlays: 'jpg' as const, evaluation: true }].entries()) {
      const dir = join(tmp.dir, `fake-${k}`);
      await writeFakeRun(dir, options);
      const fake = photosieve.runJsonSchema.safeParse(JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')));
      expect(fake.success ? 'ok' : fake.error.issues[0]).toBe('ok');
    }
  });

  it('names with subfolders keep their / in report links', () => {
    expect(urlSegment('site-a/IMG 1#2')).toBe('site-a/IMG%201%232');
  });
});

describe('the library entry (src/index.ts, package.json exports)', () => {
  it('package.json points its one entry at the build of src/index.ts', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { exports: Record<string, unknown>; main: string; types: string };
    expect(pkg.exports).toEqual({ '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './package.json': './package.json' });
    expect([pkg.main, pkg.types]).toEqual(['./dist/index.js', './dist/index.d.ts']);
    expect(existsSync('src/index.ts')).toBe(true);
    expect(photosieve.version()).toBe((JSON.parse(await readFile('package.json', 'utf8')) as { version: string }).version);
  });

  it('one photo by hand (read, segment, measure, bin) gives the vector the batch wrote for it', async () => {
    const spec: photosieve.BinSpec = { ...photosieve.DEFAULT_BIN_SPEC, edges: [...photosieve.DEFAULT_BIN_EDGES_MM], unit: 'mm', weight: 'mass' };
    const raster = await photosieve.readImage(join(DEMO, 'images', 'g02_001.jpg'));
    const segmenter = await photosieve.createSegmenter({ model: 'default' });
    try {
      const { instances } = await segmenter.segment(raster);
      const d = photosieve.sizeDistribution(photosieve.measureParticles(instances, { scale: 0.1 }), spec, 0.1);
      const run = await photosieve.readRunFile(photosieve.runJsonSchema, join(out, 'run.json'), 'run.json', '');
      const batch = run.images.find((im) => im.name === 'g02_001')!.measure!;
      expect(d.n).toBe(batch.n);
      for (const [k, f] of d.fractions.entries()) expect(f).toBeCloseTo(batch.fractions[k]!, 9);
    } finally {
      await segmenter.dispose();
    }
  }, 60_000);
});
