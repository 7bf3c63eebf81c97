// Fine-tuning on the photos a user corrected: the review's LabelMe files of the photos marked reviewed become a
// training folder (through annotate, as a user would run it), and `train --init` starts from the run's own model
// with the few-shot defaults. One call behind `photosieve review DIR --fine-tune` and the page's button.
//
//   DIR/review/train-data/   the training folder (annotate's layout, flat: photo a/x of a `segment --recursive` run
//                            is a__x there), rewritten each time
//   DIR/review/model/        the fine-tuned model; replaced only once a new one is complete
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PhotosieveError, processAlive } from '../core/index.js';
import { CLASSICAL, defaultModelDir, resolveModelOption } from '../segment/modelLocation.js';
import { FEW_SHOT, fewShotTraining } from '../train/fewShot.js';
import type { ReviewRun } from './loadReviewRun.js';
import { loadReviewRun } from './loadReviewRun.js';
import { STATE_FILE, reviewFileOf, reviewFolder } from './reviewFiles.js';
import type { PhotoEntry } from './reviewStore.js';
import { ReviewStore } from './reviewStore.js';

export const FINE_TUNED_MODEL = 'model';
/** Holds the pid of the process fine-tuning this run: the page's job and the command never train at once. */
export const FINE_TUNE_LOCK = 'fine-tune.lock';
export const TRAIN_DATA = 'train-data';

export interface ReviewFineTuneOptions {
  /** The segment run folder that `photosieve review` edited. */
  dir: string;
  /** Parent model folder (or `default`). @default the run's own U-Net; models/default when the run was classical */
  init?: string | undefined;
  /** Model folder to write. @default DIR/review/model */
  out?: string | undefined;
  /** Time budget of the training. @default FEW_SHOT.maxMinutes */
  maxMinutes?: number | undefined;
  /** Keep the parent's encoder fixed. @default false */
  freezeEncoder?: boolean | undefined;
  /** Worker threads of data-parallel training. @default trainModel's (the machine's cores) */
  workers?: number | undefined;
  /** @default 1 */
  seed?: number | undefined;
  log?: ((line: string) => void) | undefined;
}

export interface ReviewFineTuneResult {
  model: string;
  parent: string;
  /** The reviewed photos it trained on. */
  photos: string[];
  trainData: string;
  epochs: number;
  seconds: number;
  backend: string;
}

/** The U-Net folder the run was segmented with, or models/default when it was classical (or unknown). */
export function runParentModel(run: ReviewRun): string {
  const { model } = run;
  if (!model || model.kind !== 'unet' || model.id === undefined || model.id === CLASSICAL || !existsSync(join(model.id, 'meta.json'))) return defaultModelDir();
  return model.id;
}

/** Of a store's photo list, those a fine-tune trains on: marked reviewed, with a review file. */
export function reviewedNames(entries: readonly PhotoEntry[]): string[] {
  return entries.filter((p) => p.reviewed && p.saved && p.problem === null).map((p) => p.name);
}

/**
 * Each photo's name in the training folder, which train reads flat: the name's folders joined by `__` (a/x → a__x,
 * so photos a/x and b/x stay two), and `-2`, `-3`, … after one another photo's name already took.
 */
export function trainingNames(names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  const flat = names.map((name) => name.split('/').join('__'));
  // Names with no folder keep themselves; only flattened ones give way.
  for (const [k, name] of names.entries()) if (!name.includes('/')) taken.add(flat[k]!);
  for (const [k, name] of names.entries()) {
    let candidate = flat[k]!;
    if (name.includes('/')) {
      for (let n = 2; taken.has(candidate); n++) candidate = `${flat[k]}-${n}`;
      taken.add(candidate);
    }
    out.set(name, candidate);
  }
  return out;
}

/** The photos of DIR a fine-tune trains on, as the files say. */
export async function reviewedPhotos(dir: string): Promise<string[]> {
  return reviewedNames((await ReviewStore.open(await loadReviewRun(dir))).list());
}

/** Takes DIR/review/fine-tune.lock for this process (one left by a process that is gone is taken over). */
async function takeLock(dir: string): Promise<() => Promise<void>> {
  const file = join(reviewFolder(dir), FINE_TUNE_LOCK);
  await mkdir(reviewFolder(dir), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(file, 'wx');
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
        throw new PhotosieveError('E_INPUT', `a fine-tune of this run is already running (process ${pid}).`, { file, fix: 'wait for it to end (or stop it), then fine-tune again' });
      }
      await rm(file, { force: true });
    }
  }
}

export async function fineTuneOnReviewed(options: ReviewFineTuneOptions): Promise<ReviewFineTuneResult> {
  const release = await takeLock(options.dir);
  try {
    return await fineTuneLocked(options);
  } finally {
    await release();
  }
}

/**
 * What a fine-tune stopped by a signal leaves is removed (the lock, the half-trained model); the previous model
 * and the training folder stay. For the command's SIGINT/SIGTERM handler.
 */
export function fineTuneLeftovers(dir: string, out?: string): string[] {
  return [join(reviewFolder(dir), FINE_TUNE_LOCK), `${out ?? join(reviewFolder(dir), FINE_TUNED_MODEL)}.partial`];
}

async function fineTuneLocked(options: ReviewFineTuneOptions): Promise<ReviewFineTuneResult> {
  const { dir } = options;
  const log = options.log ?? (() => {});
  const run = await loadReviewRun(dir);
  const photos = reviewedNames((await ReviewStore.open(run)).list());
  if (photos.length === 0) {
    throw new PhotosieveError('E_INPUT', 'no photo of this run is marked reviewed, so there is nothing to fine-tune on.', {
      file: join(reviewFolder(dir), STATE_FILE),
      fix: `open photosieve review ${dir}, correct the particles of one to three photos and mark each reviewed (r)`,
    });
  }
  const parent = options.init === undefined ? runParentModel(run) : resolveModelOption(options.init);
  if (parent === CLASSICAL) throw new PhotosieveError('E_PARAM', '--init classical: the classical mode has no weights to fine-tune.', { fix: 'pass --init default or --init DIR with a U-Net model folder' });
  const out = options.out ?? join(reviewFolder(dir), FINE_TUNED_MODEL);
  const trainData = join(reviewFolder(dir), TRAIN_DATA);
  const maxMinutes = options.maxMinutes ?? FEW_SHOT.maxMinutes;
  if (!(maxMinutes > 0)) throw new PhotosieveError('E_PARAM', `--max-minutes must be a positive number, received ${maxMinutes}.`);

  // Heavy modules only now: the page's server and `review --help` must not load tfjs.
  const [{ runAnnotate }, { trainModel }] = await Promise.all([import('../annotate/index.js'), import('../train/index.js')]);
  log(`fine-tune: ${photos.length} reviewed photo(s) (${photos.join(', ')}) → ${trainData}`);
  await rm(trainData, { recursive: true, force: true });
  // Each review file is given its photo as run.json lists it (the one the page showed; this run's own photos, which
  // usually lie outside DIR/review), so review files written before their imagePath was made relative to their own
  // folder train too, and a flat name of its own.
  const names = trainingNames(photos);
  const byName = new Map(run.photos.map((p) => [p.name, p]));
  const targets = new Map(photos.map((name) => [reviewFileOf(dir, name), { name: names.get(name)!, image: byName.get(name)!.imagePath! }]));
  const report = await runAnnotate({ labels: [...targets.keys()], out: trainData, targets, allowOutside: true });
  // A photo left out would train on less than the user corrected, without a word: that is an error.
  const made = new Set(report.images.map((im) => im.labelFile));
  const missing = new Set([...targets.keys()].filter((f) => !made.has(f)));
  if (missing.size > 0) {
    const why = report.issues.filter((i) => i.severity === 'error' && missing.has(i.file)).map((i) => `${i.file}: ${i.message}`);
    throw new PhotosieveError('E_LABELS', `${missing.size} of ${photos.length} reviewed photo(s) could not be made training data (${why.join('; ') || [...missing].join(', ')}).`, {
      file: join(trainData, 'annotate-report.json'),
      fix: 'repair or delete the review files named there (a deleted one starts again from the traced particles), then fine-tune again',
    });
  }

  // Trained into a sibling folder: the previous fine-tuned model stays usable until the new one is complete.
  const partial = `${out}.partial`;
  await rm(partial, { recursive: true, force: true });
  log(`fine-tune: from ${parent} for at most ${maxMinutes} min`);
  const started = performance.now();
  const result = await trainModel({
    init: parent,
    freezeEncoder: options.freezeEncoder ?? false,
    data: [{ dir: trainData, weight: 1, license: 'the user’s own photos, corrected in photosieve review' }],
    out: partial,
    ...fewShotTraining(maxMinutes),
    seed: options.seed ?? 1,
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    log,
  });
  const seconds = (performance.now() - started) / 1000;
  await rm(out, { recursive: true, force: true });
  await rename(partial, out);
  log(`fine-tune: ${result.epochs.length} epoch(s) in ${seconds.toFixed(0)} s → ${out}`);
  return { model: out, parent, photos, trainData, epochs: result.epochs.length, seconds, backend: result.backend.name };
}
