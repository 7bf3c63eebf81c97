// A hand-made segment run folder (the files `photosieve segment` writes, with numbers chosen here), so report tests
// know every value the page must show and can add the awkward cases: an image name full of HTML, a failed image
// whose error holds markup, no truth, no bins, evaluation.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

export const ODD_NAME = 'a<b>&"c #1';
export const BINS = ['lt_4mm', '4_8mm', 'ge_8mm'];

export interface FakeRunOptions {
  /** Bins, histograms.csv and vectors (false: a run without --scale/--bins). @default true */
  bins?: boolean;
  /** Truth vectors and RMSE in run.json. @default true */
  truth?: boolean;
  /** Also write evaluation.json. @default false */
  evaluation?: boolean;
  /**
   * The overlay kind, written to run.json's options.overlays as `segment --overlays` does; undefined: a run from
   * before that flag (PNG overlays, no field). @default undefined
   */
  overlays?: 'none' | 'png' | 'jpg';
}

const particlesCsv =
  'id,x_px,y_px,area_px,perimeter_px,eq_diam_px,major_px,minor_px,feret_min_px,feret_max_px,solidity,touches_edge,x_mm,y_mm,area_mm2,perimeter_mm,eq_diam_mm,major_mm,minor_mm,feret_min_mm,feret_max_mm\n' +
  '1,4.5,3.5,30,20.1,6.18,7.2,5.1,5,7.9,0.91,1,0.45,0.35,0.3,2.01,0.618,0.72,0.51,0.5,0.79\n' +
  '2,20.25,12.5,120,40.7,12.36,14.1,11.2,11,15.3,0.95,0,2.025,1.25,1.2,4.07,1.236,1.41,1.12,1.1,1.53\n' +
  '3,30.5,20.75,75,33.3,9.77,11.9,8.3,8,12.4,0.88,0,3.05,2.075,0.75,3.33,0.977,1.19,0.83,0.8,1.24\n';

export async function writeFakeRun(dir: string, options: FakeRunOptions = {}): Promise<void> {
  const withBins = options.bins ?? true;
  const withTruth = withBins && (options.truth ?? true);
  const photo = sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 90, g: 120, b: 60 } } });
  const kind = options.overlays ?? 'png';
  const overlay = kind === 'jpg' ? await photo.jpeg().toBuffer() : await photo.png().toBuffer();
  const done = [
    { name: ODD_NAME, vector: [0.125, 0.5, 0.375], truth: [0.2, 0.4, 0.4], rmse: 0.0790569415, d: [2.5, 5.25, 9.75] },
    { name: 'plain', vector: [0.3, 0.3, 0.4], truth: [0.3, 0.3, 0.4], rmse: 0, d: [3.125, 6.5, 10.875] },
  ];
  for (const im of done) {
    await mkdir(join(dir, 'particles'), { recursive: true });
    if (kind !== 'none') {
      await mkdir(join(dir, 'overlays'), { recursive: true });
      await writeFile(join(dir, 'overlays', `${im.name}.${kind}`), overlay);
    }
    await writeFile(join(dir, 'particles', `${im.name}.csv`), particlesCsv);
  }
  const images = [
    ...done.map((im) => ({
      name: im.name,
      path: `photos/${im.name}.jpg`,
      status: 'done',
      width: 40,
      height: 30,
      particles: 3,
      tiles: 1,
      timings: { decodeMs: 100, semanticMs: 1000, instancesMs: 300, writeMs: 100 },
      ...(withBins ? { measure: { fractions: im.vector, n: 2, d10: im.d[0], d50: im.d[1], d90: im.d[2], warnings: [], unmeasuredAreaFraction: im.name === 'plain' ? 0.0625 : 0 } } : {}),
    })),
    { name: 'broken', path: 'photos/broken.jpg', status: 'failed', error: 'photos/broken.jpg: cannot decode <script>alert(1)</script>. Fix: re-export it' },
  ];
  const run = {
    tool: 'photosieve segment',
    startedAt: '2026-01-02T03:04:05.000Z',
    finishedAt: '2026-01-02T03:04:17.500Z',
    model: { kind: 'unet', id: '/models/default', meta: { format: 'photosieve-unet/1', tileSize: 128 } },
    backend: { name: 'wasm', simd: true },
    options: {
      roi: 'none',
      ...(options.overlays ? { overlays: options.overlays } : {}),
      measure: withBins
        ? { scale: 0.1, spec: { edges: [4, 8], unit: 'mm', measure: 'minor', weight: 'area', edgePolicy: 'exclude', minSizePx: 3 }, ...(withTruth ? { truth: 'truth.csv' } : {}) }
        : {},
    },
    workers: 2,
    wallSeconds: 12.5,
    stages: {},
    images,
    measure: withBins
      ? {
          bins: BINS,
          images: done.map((im) => ({ image: im.name, n: 2, vector: im.vector, ...(withTruth ? { truth: im.truth, rmse: im.rmse } : {}) })),
          rmse: withTruth ? 0.0395284708 : null,
          noTruth: [],
          warnings: [],
        }
      : null,
    versions: { photosieve: '0.1.0' },
  };
  await writeFile(join(dir, 'run.json'), JSON.stringify(run, null, 2));
  if (withBins) {
    const rows = done.map((im) => `"${im.name.replace(/"/g, '""')}",2,${im.vector.join(',')},${im.d.join(',')}`);
    await writeFile(join(dir, 'histograms.csv'), `image,n_particles,${BINS.join(',')},d10,d50,d90\n${rows.join('\n')}\n`);
  }
  if (options.evaluation) {
    const evaluation = {
      tool: 'photosieve evaluate',
      bins: BINS,
      baseline: { kind: 'leave-one-group-out', file: null },
      images: done.map((im, k) => ({ image: im.name, group: `G${k}`, pred: im.vector, truth: im.truth, rmse: im.rmse, mae: 0.0666666667 * (1 - k), maxBinError: 0.075 * (1 - k), kl: 0.0321 * (1 - k), crossEntropy: 1, rmseConstant: 0.1234 })),
      groups: [],
      overall: { images: 2, rmse: 0.0395284708, mae: 0.0333333333, maxBinError: 0.0375, kl: 0.01605, rmseConstant: 0.1234, skill: 0.6797, groupRmse: 0.0395284708, groupRmseConstant: 0.1234, groupSkill: 0.6797 },
      missing: { noPrediction: [], noTruth: [], undefinedVector: [] },
      instances: null,
    };
    await writeFile(join(dir, 'evaluation.json'), JSON.stringify(evaluation, null, 2));
  }
}
