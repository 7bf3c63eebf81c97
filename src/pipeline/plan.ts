// Before any image is touched: which images run, which are skipped (same settings, complete, photo unchanged),
// which fail at once (name collisions, inputs inside the output folder), and whether outputs made with other
// settings are in the way (then the run stops with one line naming --force, unless --force was given).
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { PhotosieveError } from '../core/index.js';
import { fileKindOf } from '../io/files.js';
import { realPathOf } from './inputs.js';
import type { ImageSettings } from './fingerprint.js';
import { sameSettings, settingsDiff } from './fingerprint.js';
import { readRecord, resultOf } from './records.js';
import type { ImageRecord } from './runFiles.js';
import type { ImageJob, ImageResult, OverlayKind } from './types.js';
import { expectedOutputs, possibleOutputs } from './writeImageOutputs.js';

export interface PlanInput {
  images: { path: string; name: string }[];
  out: string;
  force: boolean;
  overlays: OverlayKind;
  settings: (index: number) => ImageSettings;
  scale: (index: number) => number | undefined;
}

/** An image whose outputs were made with other settings (or by a photosieve that kept no record). */
export interface Conflict {
  name: string;
  /** What differs, e.g. `scale 0.39 → 0.1`, or why the settings are unknown. */
  why: string[];
}

export interface Plan {
  jobs: ImageJob[];
  /** Results settled without work: skipped (with the result of the run that made them) and refused images. */
  early: Map<number, ImageResult>;
  /** The engines that made the skipped images (a run that segments others must use the same). */
  skippedEngines: Map<string, string>;
  conflicts: Conflict[];
}

async function inputStat(path: string): Promise<ImageJob['input']> {
  const st = await stat(path).catch(() => null);
  return { path, bytes: st?.size ?? -1, mtimeMs: st?.mtimeMs ?? -1 };
}

export async function planBatch(input: PlanInput): Promise<Plan> {
  const seen = new Map<string, string>();
  const plan: Plan = { jobs: [], early: new Map(), skippedEngines: new Map(), conflicts: [] };
  const outAbs = resolve(input.out);
  const outReal = realPathOf(input.out);
  for (const [index, { path, name }] of input.images.entries()) {
    // Case-insensitive file systems (macOS, Windows) would write A.png and a.png to one file.
    const key = name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      plan.early.set(index, {
        name,
        path,
        status: 'failed',
        error: `${path}: has the same name as ${first}, so their outputs would collide. Fix: pass their common parent folder with --recursive (names keep subfolders), rename one, or segment them into different --out folders`,
      });
      continue;
    }
    seen.set(key, path);
    // stat never blocks, also on a FIFO; only regular files go on to be decoded.
    const st = await stat(path).catch(() => null);
    if (st !== null && !st.isFile()) {
      const kind = fileKindOf(st);
      const fix = kind === 'folder' ? 'name it as a folder argument of its own to read the photos inside it, or rename it' : 'copy the image into a regular file first, or leave it out';
      plan.early.set(index, { name, path, status: 'failed', error: `${path}: is a ${kind}, not an image: not read. Fix: ${fix}` });
      continue;
    }
    // Real paths (links resolved): an --out that is a link to the photos' folder still cannot write over a photo.
    const real = realPathOf(path);
    if (real.startsWith(outReal + sep) && ['instances', 'overlays', 'particles', 'records'].some((d) => real.startsWith(join(outReal, d) + sep))) {
      plan.early.set(index, { name, path, status: 'failed', error: `${path}: is inside the output folder${real.startsWith(outAbs + sep) ? '' : ` (${input.out} leads to ${outReal})`} and would be overwritten. Fix: choose another --out` });
      continue;
    }
    const settings = input.settings(index);
    const scale = input.scale(index);
    const photo = await inputStat(path);
    const record = input.force ? undefined : await readRecord(input.out, name);
    const job: ImageJob = { index, path, name, ...(scale !== undefined ? { scale } : {}), settings, input: photo, removeOtherOverlays: true };
    if (input.force) {
      plan.jobs.push(job);
      continue;
    }
    if (record === undefined) {
      if (possibleOutputs(input.out, name).some((f) => existsSync(f))) plan.conflicts.push({ name, why: ['its outputs have no settings record (made by an older photosieve?)'] });
      else plan.jobs.push(job);
      continue;
    }
    if (record === 'damaged') {
      plan.conflicts.push({ name, why: [`its record ${join('records', `${name}.json`)} is damaged`] });
      continue;
    }
    if (!sameSettings(record.settings, settings)) {
      plan.conflicts.push({ name, why: settingsDiff(record.settings, settings) });
      continue;
    }
    if (isComplete(record, photo, expectedOutputs(input.out, name, input.overlays))) {
      plan.early.set(index, { ...resultOf(record)!, name, path, status: 'skipped' });
      plan.skippedEngines.set(name, record.engine);
      continue;
    }
    // Same settings, but unfinished, a changed photo, or a file missing (another overlay kind): redo it; overlays
    // of other kinds were made with these same settings and stay.
    plan.jobs.push({ ...job, removeOtherOverlays: false });
  }
  return plan;
}

function isComplete(record: ImageRecord, photo: ImageJob['input'], files: string[]): boolean {
  return record.state === 'done' && record.result?.status === 'done' && record.input.bytes === photo.bytes && record.input.mtimeMs === photo.mtimeMs && files.every((f) => existsSync(f));
}

/** The one line a run with other settings stops with. */
export function conflictError(out: string, conflicts: readonly Conflict[], total: number): PhotosieveError {
  const first = conflicts[0]!;
  const others = conflicts.length > 1 ? ` and ${conflicts.length - 1} other(s)` : '';
  return new PhotosieveError(
    'E_OUTPUT',
    `${out} holds outputs of ${conflicts.length} of these ${total} image(s) made with other settings (${first.name}${others}: ${first.why.join('; ')}); nothing was changed.`,
    { fix: 'rerun with --force to redo them with these settings (their old outputs are replaced), or choose another --out' },
  );
}

/** The line a run stops with when its engine is not the one that made the images it would skip. */
export function engineConflictError(out: string, engine: string, skipped: ReadonlyMap<string, string>): PhotosieveError | undefined {
  const other = [...skipped].filter(([, e]) => e !== engine);
  if (other.length === 0) return undefined;
  const [name, was] = other[0]!;
  return new PhotosieveError(
    'E_OUTPUT',
    `${out} holds outputs of ${other.length} image(s) made with the engine ${was} (${name}${other.length > 1 ? ` and ${other.length - 1} other(s)` : ''}), this run's engine is ${engine}; nothing was changed.`,
    { fix: `rerun with --force to redo them with ${engine}, or pass --backend ${was} to resume with the same engine` },
  );
}
