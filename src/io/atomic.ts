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
  const tmp = tempPathFor(target);
  try {
    await mkdir(dirname(target), { recursive: true });
    await write(tmp);
    await rename(tmp, target);
  } catch (cause) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (cause instanceof PhotosieveError) throw cause;
    const { why, fix } = describeWriteError(cause);
    throw new PhotosieveError('E_OUTPUT', `could not be written: ${why.replace(/\.$/, '')}.`, { file: target, fix, cause });
  }
}

/** What a failed write's errno means, and what to do about it, in words. */
export function describeWriteError(cause: unknown): { why: string; fix: string } {
  // sharp's (libvips's) write errors carry no errno code, only the system's words for it.
  const text = String((cause as Error | undefined)?.message ?? cause);
  const code =
    (cause as NodeJS.ErrnoException | undefined)?.code ??
    (/no space left on device/i.test(text) ? 'ENOSPC' : /permission denied/i.test(text) ? 'EACCES' : /input\/output error/i.test(text) ? 'EIO' : /read-only file system/i.test(text) ? 'EROFS' : undefined);
  switch (code) {
    case 'ENOSPC':
      return { why: 'the disk is full (ENOSPC)', fix: 'free space on the output folder\'s disk or choose another --out, then run again (finished images are kept)' };
    case 'EDQUOT':
      return { why: 'the disk quota is used up (EDQUOT)', fix: 'free space within your quota or choose another --out, then run again' };
    case 'EACCES':
    case 'EPERM':
      return { why: `permission denied (${code})`, fix: 'make the output folder writable (chmod u+w) or choose another --out' };
    case 'EROFS':
      return { why: 'the file system is read-only (EROFS)', fix: 'choose an --out on a writable disk' };
    case 'EIO':
      return { why: 'an input/output error (EIO): the disk or its connection failed', fix: 'check the disk (dmesg, its cable or network share), then run again' };
    default:
      return { why: text.split('\n')[0]!.trim(), fix: 'check that the output folder is writable and the disk is not full' };
  }
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}
