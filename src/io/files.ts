// Reading files users hand us: only regular files (a FIFO would block the read forever, a device never ends, a
// folder is not a file), within a size limit, with one line naming the file and what is wrong with it.
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { PhotosieveError, formatBytes } from '../core/index.js';

/**
 * Text files (label files, CSV tables) are read into one string; V8 cannot hold a longer one (2^29 − 24
 * characters), and a UTF-8 file never has more characters than bytes.
 */
export const MAX_TEXT_FILE_BYTES = 2 ** 29 - 24;

export type FileKind = 'regular file' | 'folder' | 'FIFO (named pipe)' | 'socket' | 'character device' | 'block device' | 'symbolic link' | 'special file';

export function fileKindOf(st: Stats): FileKind {
  if (st.isFile()) return 'regular file';
  if (st.isDirectory()) return 'folder';
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isSymbolicLink()) return 'symbolic link';
  return 'special file';
}

export interface RegularFileOptions {
  /** What the file is, for messages ("label file", "image"). @default 'file' */
  what?: string;
  /** Refuse larger files. @default no limit */
  maxBytes?: number;
  /** Why maxBytes is what it is, for the message. */
  maxBytesReason?: string;
  /** The fix when the file is missing or unreadable. @default 'check the path' */
  fix?: string;
}

function accessError(path: string, err: NodeJS.ErrnoException, options: RegularFileOptions): PhotosieveError {
  const what = options.what ?? 'file';
  const fix = options.fix ?? 'check the path';
  switch (err.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new PhotosieveError('E_INPUT', `${what} not found.`, { file: path, fix, cause: err });
    case 'EACCES':
    case 'EPERM':
      return new PhotosieveError('E_INPUT', `${what} not readable (permission denied).`, { file: path, fix: 'give yourself read permission (chmod u+r), or copy the file', cause: err });
    case 'ELOOP':
      return new PhotosieveError('E_INPUT', `${what} is a loop of symbolic links.`, { file: path, fix: 'point the link at a real file', cause: err });
    case 'ENAMETOOLONG':
      return new PhotosieveError('E_INPUT', `${what} path is too long for the file system.`, { file: path, fix: 'move the file to a shorter path', cause: err });
    default:
      return new PhotosieveError('E_INPUT', `${what} cannot be read (${err.code ?? err.message}).`, { file: path, fix, cause: err });
  }
}

function checkStats(path: string, st: Stats, options: RegularFileOptions): void {
  const what = options.what ?? 'file';
  if (!st.isFile()) {
    const kind = fileKindOf(st);
    throw new PhotosieveError('E_INPUT', `this ${what} is a ${kind}, not a regular file: not read.`, {
      file: path,
      fix: kind === 'folder' ? `pass the ${what}s inside it, or rename the folder` : `pass a regular ${what} (copy the data into a file first)`,
    });
  }
  if (options.maxBytes !== undefined && st.size > options.maxBytes) {
    const reason = options.maxBytesReason ? ` (${options.maxBytesReason})` : '';
    throw new PhotosieveError('E_INPUT', `this ${what} is too large: ${formatBytes(st.size)}, over the limit of ${formatBytes(options.maxBytes)}${reason}.`, {
      file: path,
      fix: `split it into smaller ${what}s`,
    });
  }
}

/**
 * Checks, without opening it, that `path` is a readable regular file within the size limit (symbolic links are
 * followed). Stat never blocks on a FIFO, so a pipe among the inputs is reported instead of hanging the run.
 */
export async function statRegularFile(path: string, options: RegularFileOptions = {}): Promise<Stats> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (err) {
    throw accessError(path, err as NodeJS.ErrnoException, options);
  }
  checkStats(path, st, options);
  return st;
}

/**
 * Reads a regular file whole. The file is checked before it is opened, then opened non-blocking and checked
 * again on the open handle, so a file swapped for a FIFO in between cannot block the read.
 */
export async function readRegularFile(path: string, options: RegularFileOptions = {}): Promise<Buffer> {
  await statRegularFile(path, options);
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw accessError(path, err as NodeJS.ErrnoException, options);
  }
  try {
    checkStats(path, await handle.stat(), options);
    return await handle.readFile();
  } catch (err) {
    if (err instanceof PhotosieveError) throw err;
    throw accessError(path, err as NodeJS.ErrnoException, options);
  } finally {
    await handle.close();
  }
}

/** Reads a regular text file (UTF-8) up to MAX_TEXT_FILE_BYTES. */
export async function readTextFile(path: string, options: RegularFileOptions = {}): Promise<string> {
  const buf = await readRegularFile(path, {
    maxBytes: MAX_TEXT_FILE_BYTES,
    maxBytesReason: 'the longest text Node.js can hold in one piece',
    ...options,
  });
  return buf.toString('utf8');
}
