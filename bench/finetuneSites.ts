// The materials of the fine-tuning benchmarks (bench:finetune, bench:review-workflow): for each, the 2 photos a lab
// would label and the other photos of the same material that score the result, with their truth.
import { existsSync } from 'node:fs';
import { readdir, rm, symlink } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { SegmentationScorer } from '../src/aggregate/index.js';
import { readImage, readInstancePng } from '../src/io/index.js';
import { createSegmenter } from '../src/segment/index.js';
import { resolveLooks, runSynth } from '../src/synth/index.js';
import { REAL_DATA, annotateRealPhotos } from '../scripts/trainingSetup.js';

export interface SitePhoto {
  name: string;
  image: string;
  /** Instance PNG of its truth. */
  truth: string;
}

export interface Site {
  name: string;
  note: string;
  /** Renders or links what the site needs into its cache folder; call once before the rest. */
  prepare(): Promise<void>;
  /** The 2 photos to label. */
  train(): SitePhoto[];
  /** The photos that score a model. */
  tests(): SitePhoto[];
  /** A training folder (annotate's or synth's layout) of the 2 photos with their truth labels, written into OUT. */
  trainFolder(out: string): Promise<void>;
}

export const DEFAULT_SYNTH_LOOK = 'matrix,wet,textured';
const pad3 = (k: number): string => String(k).padStart(3, '0');

/** Photos of segmenteverygrain: labels are the dataset's instances_full, made into a training folder by annotate. */
function realSite(name: string, cache: string, dir: string, train: string[], test: string[], note: string): Site {
  const photo = (stem: string): SitePhoto => {
    for (const ext of ['.png', '.jpg']) {
      if (existsSync(join(dir, 'images', stem + ext))) return { name: stem, image: join(dir, 'images', stem + ext), truth: join(dir, 'instances_full', `${stem}.png`) };
    }
    throw new Error(`${stem}: no image in ${dir}/images`);
  };
  return {
    name,
    note,
    prepare: async () => {},
    train: () => train.map(photo),
    tests: () => test.map(photo),
    trainFolder: (out) => annotateRealPhotos(dir, (stem) => train.includes(stem), join(cache, 'src'), out),
  };
}

/**
 * A synthetic material the default model never trained on: trays rendered in LOOK, 2 photos to label and 8 test
 * photos of other groups (another seed, other vectors). The truth is synth's visible-instance map.
 */
function synthSite(cache: string, lookArg: string): Site {
  const look = resolveLooks(lookArg).names;
  const base = { width: 768, height: 768, scaleMmPerPx: 0.15, format: 'jpg' as const, look };
  const trainDir = join(cache, 'train-photos');
  const testDir = join(cache, 'test-photos');
  /** Photo names per folder, read by prepare. */
  const names = new Map<string, string[]>();
  const photos = (dir: string): SitePhoto[] =>
    [...(names.get(dir) ?? [])].sort().map((name) => ({ name, image: join(dir, 'images', `${name}.jpg`), truth: join(dir, 'instances', `${name}.png`) }));
  return {
    name: 'synth',
    note: `synthetic trays in synth's ${look.join(',')} look (768², 0.15 mm/px), a look the default model never trained on`,
    async prepare() {
      if (!existsSync(join(trainDir, 'truth.csv'))) await runSynth({ outDir: trainDir, groups: 1, perGroup: 2, seed: 301, ...base });
      if (!existsSync(join(testDir, 'truth.csv'))) await runSynth({ outDir: testDir, groups: 4, perGroup: 2, seed: 302, ...base });
      for (const dir of [trainDir, testDir]) names.set(dir, (await readdir(join(dir, 'images'))).map((f) => f.replace(/\.jpg$/, '')));
    },
    train: () => photos(trainDir),
    tests: () => photos(testDir),
    async trainFolder(out) {
      // synth writes annotate's layout: the folder trains as it is.
      await rm(out, { recursive: true, force: true });
      await symlink(trainDir, out);
    },
  };
}

/** The stereo-microscope sand photos of ../shared/data: one material, for a leave-one-site-out. */
export const SANDS = ['1_2', '20210705_141816733', '20230511_132710955', '2346', '2_1', 'A003_20201229_103823'] as const;

/** SITE of the benchmarks: `sem`, `sands`, `img52`, or `synth` (in LOOK). Caches go to CACHE_ROOT/SITE[-LOOK]. */
export function makeSite(site: string, cacheRoot: string, look = DEFAULT_SYNTH_LOOK): { site: Site; cache: string } {
  const cache = join(cacheRoot, site === 'synth' ? `synth-${look.replaceAll(',', '-')}` : site);
  switch (site) {
    case 'sem':
      return {
        cache,
        site: realSite(site, cache, join(REAL_DATA, 'patches'), ['im000', 'im001'], Array.from({ length: 40 }, (_, k) => `im${pad3(10 + 5 * k)}`), 'grey SEM micrographs of a sintered microstructure, 256², never in any photosieve training set'),
      };
    case 'sands':
      // A real leave-one-site-out: the default model trained on these, so fine-tune a parent that never saw them
      // (bench:finetune --parent, trained by `TRAIN_EXCLUDE=… npm run train:default`, see bench/finetune.ts).
      return {
        cache,
        site: realSite(site, cache, REAL_DATA, [...SANDS].sort().slice(0, 2), [...SANDS].sort().slice(2), 'the six close-up photos of sand under a stereo microscope in ../shared/data (the first two by name fine-tune, the other four score)'),
      };
    case 'img52':
      return { cache, site: realSite(site, cache, REAL_DATA, ['IMG_5208', 'IMG_5217'], ['IMG_5220'], "three gravel photos of one site, all three in the default model's training set") };
    case 'synth':
      return { cache, site: synthSite(cache, look) };
    default:
      throw new Error(`--site must be one of sem, sands, img52, synth (received ${site})`);
  }
}

/** Truth components under this many pixels are left out: no segmenter finds them (the segment default --min-area). */
export const MIN_AREA = 20;

/** The truth without components below MIN_AREA. */
export async function truthOf(file: string): Promise<{ width: number; height: number; data: Int32Array }> {
  const t = await readInstancePng(file);
  const area = new Map<number, number>();
  for (const v of t.data) if (v) area.set(v, (area.get(v) ?? 0) + 1);
  const data = Int32Array.from(t.data, (v) => (v && area.get(v)! >= MIN_AREA ? v : 0));
  return { width: t.width, height: t.height, data };
}

export interface SiteScore {
  f1: number;
  f1Labelled: number;
  precision: number;
  recall: number;
}

/** F1 at IoU 0.5 of MODEL over PHOTOS, pooled. */
export async function scoreModel(model: string, photos: readonly SitePhoto[]): Promise<SiteScore> {
  const seg = await createSegmenter({ model, threads: cpus().length });
  const scorer = new SegmentationScorer();
  try {
    for (const t of photos) {
      const raster = await readImage(t.image);
      const { instances } = await seg.segment(raster);
      scorer.add({ truth: await truthOf(t.truth), pred: instances });
    }
  } finally {
    await seg.dispose();
  }
  const r = scorer.result();
  return { f1: r.f1, f1Labelled: r.f1Labelled, precision: r.precision, recall: r.recall };
}

export const round3 = (v: number): number => Number(v.toFixed(3));
export const rounded = (s: SiteScore): Record<string, number> => Object.fromEntries(Object.entries(s).map(([k, v]: [string, number]) => [k, round3(v)]));
