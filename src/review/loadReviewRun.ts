// What `photosieve review` needs of a segment run folder: the photos run.json lists (name, original photo,
// size) and their instance PNGs. The photo paths found here are the only files outside DIR the server will send.
import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { PhotosieveError } from '../core/index.js';
import { readImageSize } from '../io/index.js';
// run.json's one schema (shared with the writer, src/pipeline): a review names photos as run.json does.
import { runJsonSchema } from '../pipeline/runFiles.js';

export const RUN_FILE = 'run.json';
export const REVIEW_FOLDER = 'review';

export interface ReviewPhoto {
  name: string;
  /** The photo as run.json gives it. */
  listedPath: string | null;
  /** Real path of the photo (symlinks resolved), or null when it cannot be found. */
  imagePath: string | null;
  /** instances/NAME.png inside DIR. */
  instancesFile: string;
  width: number;
  height: number;
  /** Why the photo cannot be reviewed (missing photo or instance map), or null. */
  problem: string | null;
}

export interface ReviewRun {
  dir: string;
  /** Real path of DIR: every file the server reads from DIR must resolve inside it. */
  dirReal: string;
  photos: ReviewPhoto[];
  /** The model run.json names (kind and folder), when it names one: the fine-tune starts from it. */
  model: { kind?: string | undefined; id?: string | undefined } | null;
}


/** The part of run.json a review needs: the photos (name, path, status, size) and the model that made them. */
const runSchema = runJsonSchema.pick({ tool: true, images: true, model: true }).partial({ model: true });

function runFix(dir: string): string {
  return `pass the --out folder of photosieve segment, or run photosieve segment IMAGES... --out ${dir} first`;
}

async function readRunJson(dir: string): Promise<z.infer<typeof runSchema>> {
  const file = join(dir, RUN_FILE);
  if (!existsSync(file)) throw new PhotosieveError('E_INPUT', `no ${RUN_FILE}: not a photosieve segment run folder.`, { file, fix: runFix(dir) });
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new PhotosieveError('E_INPUT', `not valid JSON (${(cause as Error).message}).`, { file, fix: `run photosieve segment IMAGES... --out ${dir} --force to rewrite it`, cause });
  }
  const r = runSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new PhotosieveError('E_INPUT', `not a run.json written by photosieve segment: ${path || '(root)'}: ${issue.message}.`, { file, fix: `run photosieve segment IMAGES... --out ${dir} --force to rewrite it` });
  }
  return r.data;
}

/**
 * The photo run.json names: absolute as is; relative against the current folder (where segment was run, usually),
 * then against DIR's parent folder. Null when neither exists.
 */
export async function findPhoto(dir: string, listed: string): Promise<string | null> {
  const candidates = isAbsolute(listed) ? [listed] : [resolve(listed), resolve(dirname(resolve(dir)), listed)];
  for (const c of candidates) {
    const st = await stat(c).catch(() => null);
    if (st?.isFile()) return realpath(c);
  }
  return null;
}

async function reviewPhoto(dir: string, im: z.infer<typeof runSchema>['images'][number]): Promise<ReviewPhoto> {
  const instancesFile = join(dir, 'instances', `${im.name}.png`);
  const imagePath = im.path === undefined ? null : await findPhoto(dir, im.path);
  const base = { name: im.name, listedPath: im.path ?? null, imagePath, instancesFile, width: im.width ?? 0, height: im.height ?? 0 };
  if (!existsSync(instancesFile)) return { ...base, problem: `${instancesFile}: missing (the image was not segmented)` };
  const size = await readImageSize(instancesFile).catch((err: unknown) => err);
  if (size instanceof Error) return { ...base, problem: size instanceof PhotosieveError ? size.toLine() : size.message };
  const { width, height } = size as { width: number; height: number };
  if (imagePath === null) return { ...base, width, height, problem: `photo ${im.path ?? '(no path in run.json)'} not found from ${process.cwd()} or beside ${dir}` };
  return { ...base, width, height, problem: null };
}

/** Reads DIR/run.json and checks each listed photo; a folder that is not a segment run is a one-line error. */
export async function loadReviewRun(dir: string): Promise<ReviewRun> {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new PhotosieveError('E_INPUT', 'not a folder.', { file: dir, fix: 'pass the --out folder of a photosieve segment run' });
  const run = await readRunJson(dir);
  const photos: ReviewPhoto[] = [];
  const seen = new Set<string>();
  for (const im of run.images) {
    if (im.status === 'failed' || seen.has(im.name)) continue;
    seen.add(im.name);
    photos.push(await reviewPhoto(dir, im));
  }
  if (photos.length === 0) {
    throw new PhotosieveError('E_INPUT', 'run.json lists no segmented photo.', { file: join(dir, RUN_FILE), fix: runFix(dir) });
  }
  return { dir, dirReal: await realpath(dir), photos, model: run.model ?? null };
}
