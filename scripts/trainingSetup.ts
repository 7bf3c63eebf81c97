// What the training scripts (train:default, train:scale) and the benchmarks share: a timestamped log line, the
// check that the real photos are there, synthetic training sets rendered once into a cache folder, and photos
// rescaled with their true instance maps.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { runFromInstances } from '../src/annotate/index.js';
import { readImage, readInstancePng, writeInstancePng } from '../src/io/index.js';
import { scaleNearest } from '../src/segment/index.js';
import type { SynthOptions } from '../src/synth/index.js';
import { runSynth } from '../src/synth/index.js';

/** The segmenteverygrain folder: PHOTOSIEVE_DATA, else ../shared/data/segmenteverygrain beside the checkout. */
export const REAL_DATA = process.env.PHOTOSIEVE_DATA ?? join(import.meta.dirname, '..', '..', 'shared', 'data', 'segmenteverygrain');

/** One line on stdout, prefixed with the UTC time of day. */
export function log(line: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Exits with a line naming the fix when the real photos are missing. */
export function requireRealData(command: string, dir = REAL_DATA): void {
  if (existsSync(join(dir, 'instances_full'))) return;
  process.stderr.write(`${command} needs the real photos: ${dir} not found (set PHOTOSIEVE_DATA)\n`);
  process.exit(1);
}

export interface SynthSet {
  name: string;
  weight: number;
  options: Omit<SynthOptions, 'outDir'>;
}

/**
 * A photo and its true instance map rescaled by FACTOR, written as PNGs: the photo with Lanczos (what a camera of
 * another resolution would give, near enough), the ids nearest-neighbour (labels are never interpolated; the same
 * sampling segment's --resize uses). bench:scale's copies and train:scale's 2× validation photos are made by it.
 */
export async function rescalePair(image: string, truth: string, factor: number, outImage: string, outTruth: string): Promise<void> {
  const map = await readInstancePng(truth);
  const w = Math.max(1, Math.round(map.width * factor));
  const h = Math.max(1, Math.round(map.height * factor));
  const raster = await readImage(image);
  const rgb = sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: raster.channels as 1 | 3 | 4 } });
  await writeFile(outImage, await rgb.resize(w, h, { kernel: 'lanczos3', fit: 'fill' }).png({ compressionLevel: 1 }).toBuffer());
  await writeInstancePng(outTruth, { width: w, height: h, data: scaleNearest(map.data, map.width, map.height, w, h, (n) => new Int32Array(n)) });
}

/** Renders each set into CACHE/NAME unless its truth.csv is already there. */
export async function ensureSynthSets(cache: string, sets: readonly SynthSet[]): Promise<void> {
  for (const s of sets) {
    const dir = join(cache, s.name);
    if (existsSync(join(dir, 'truth.csv'))) continue;
    log(`synth ${s.name}`);
    await runSynth({ outDir: dir, ...s.options });
  }
}

/**
 * Some photos of a segmenteverygrain-layout folder (DATA/images, DATA/instances_full) in annotate's training layout
 * at OUT: the photos whose stem KEEP accepts are linked into SCRATCH (annotate reads every map of a folder), then
 * traced by `annotate --from-instances`.
 */
export async function annotateRealPhotos(data: string, keep: (stem: string) => boolean, scratch: string, out: string): Promise<void> {
  await rm(scratch, { recursive: true, force: true });
  const stem = (f: string): string => f.replace(/\.[^.]+$/, '');
  for (const [from, to] of [['instances_full', 'instances'], ['images', 'images']] as const) {
    await mkdir(join(scratch, to), { recursive: true });
    for (const f of (await readdir(join(data, from))).filter((f) => keep(stem(f)))) await symlink(join(data, from, f), join(scratch, to, f));
  }
  await rm(out, { recursive: true, force: true });
  await runFromInstances({ instances: join(scratch, 'instances'), images: join(scratch, 'images'), out });
}
