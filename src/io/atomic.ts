// Atomic writes: a crash or a kill never leaves a half-written output file, because data goes to a temporary
// file beside the target and is renamed over it only when complete.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PhotosieveError } from '../core/index.js';

let counter = 0;

/** The temporary path used while `target` is being written (same folder, so the rename is atomic). */
export function tempPathFor(target: string): string {
  counter += 1;
  return join(dirname(target), `.${basename(target)}.${process.pid}.${counter}.tmp`);
}

/** Writes `data` to `target` through a temporary file and a rename; creates the folder if needed. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await writeViaTemp(target, (tmp) => writeFile(tmp, data));
}

/** Runs `write(tmp)` (for writers that take a path, like sharp) and renames the result onto `target`. */
export async function writeViaTemp(target: string, write: (tmp: string) => Promise<unknown>): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    await write(tmp);
    await rename(tmp, target);
  } catch (cause) {
    await rm(tmp, { force: true });
    throw new PhotosieveError('E_OUTPUT', `could not write ${target}: ${(cause as Error).message}`, {
      file: target,
      fix: 'check that the output folder is writable and the disk is not full',
      cause,
    });
  }
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}
