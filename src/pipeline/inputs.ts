// What the photos of a batch are called. A file named on the command line is its stem (`a/IMG_1.jpg` → IMG_1); a
// photo found in a folder or by a glob keeps its path below that folder or the glob's fixed part, without the
// extension (`photos --recursive` finds photos/site-a/IMG_1.jpg → site-a/IMG_1), so same-named photos of
// different folders never collide: their outputs go to DIR/instances/site-a/IMG_1.png and so on.
// Only a folder named on the command line is searched as a folder, whatever its name. Anything else a glob or a
// folder search turns up under an image's name that is not a regular file (a FIFO, a device, a socket, a folder
// called x.jpg) stays in the batch, so the planner reports it by name (plan.ts) instead of it vanishing.
import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import fg from 'fast-glob';
import { PhotosieveError } from '../core/index.js';

export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'tif', 'tiff', 'webp'] as const;

export interface ExpandOptions {
  /** File extensions a folder is searched for (without the dot). @default IMAGE_EXTENSIONS */
  extensions?: readonly string[];
  /** Search folders' subfolders too. @default false */
  recursive?: boolean;
  /** Folders whose files are never inputs (the output folder, when it lies inside an input folder). */
  exclude?: readonly string[];
}

export interface ExpandedInputs {
  images: { path: string; name: string }[];
  /** Things the user should know, e.g. subfolders that were not searched. */
  notes: string[];
}

/** A relative path as an image name: `/` between folders, the last extension removed (and only that). */
export function imageNameOf(relativePath: string): string {
  const rel = relativePath.split(sep).join('/').replace(/\\/g, '/');
  const ext = extname(rel);
  return ext === '' ? rel : rel.slice(0, -ext.length);
}

function extensionPattern(extensions: readonly string[]): string {
  return extensions.length === 1 ? `*.${extensions[0]}` : `*.{${extensions.join(',')}}`;
}

/**
 * The real path of `path` (links resolved) even when its last parts do not exist yet (an output folder not yet
 * made): the longest existing prefix is resolved and the rest appended.
 */
export function realPathOf(path: string): string {
  const abs = resolve(path);
  const rest: string[] = [];
  let at = abs;
  for (;;) {
    try {
      return join(realpathSync(at), ...rest.reverse());
    } catch {
      const up = dirname(at);
      if (up === at) return abs;
      rest.push(basename(at));
      at = up;
    }
  }
}

function isExcluded(file: string, exclude: readonly string[]): boolean {
  const abs = realPathOf(file);
  return exclude.some((d) => {
    const dir = realPathOf(d);
    return abs === dir || abs.startsWith(dir + sep);
  });
}

const hasImageExtension = (file: string, extensions: readonly string[]): boolean => extensions.includes(extname(file).slice(1).toLowerCase());

/**
 * What a glob or a folder search found, kept when it is an image to read or something to report: regular files,
 * and under an image's name a folder or a special file. Folders with other names are what a `*` also matches.
 */
async function keepFound(path: string, extensions: readonly string[], folders: 'report' | 'skip'): Promise<boolean> {
  const st = await stat(path).catch(() => null);
  if (st === null || st.isFile()) return true;
  if (st.isDirectory()) return folders === 'report' && hasImageExtension(path, extensions);
  return true;
}

async function filterFound<T extends { path: string }>(found: T[], extensions: readonly string[], folders: 'report' | 'skip'): Promise<T[]> {
  const keep = await Promise.all(found.map((f) => keepFound(f.path, extensions, folders)));
  return found.filter((_, k) => keep[k]);
}

/** Expands files, folders and glob patterns into named images, in a stable order (sorted within each input). */
export async function expandImageInputs(inputs: readonly string[], options: ExpandOptions = {}): Promise<ExpandedInputs> {
  const extensions = options.extensions ?? IMAGE_EXTENSIONS;
  const exclude = options.exclude ?? [];
  const images: ExpandedInputs['images'] = [];
  const notes: string[] = [];
  for (const input of inputs) {
    if (fg.isDynamicPattern(input)) {
      const matched = (await fg(input, { onlyFiles: false })).filter((f) => !isExcluded(f, exclude)).sort();
      const found = await filterFound(matched.map((f) => ({ path: f })), extensions, 'report');
      if (found.length === 0) throw new PhotosieveError('E_INPUT', `no file matches ${input}.`, { fix: 'check the pattern and quote it' });
      const base = fg.generateTasks([input])[0]?.base ?? '.';
      images.push(...found.map((f) => ({ path: f.path, name: imageNameOf(relative(base, f.path)) })));
      continue;
    }
    const st = await stat(input).catch(() => null);
    if (!st?.isDirectory()) {
      images.push({ path: input, name: basename(input, extname(input)) });
      continue;
    }
    const pattern = `${options.recursive ? '**/' : ''}${extensionPattern(extensions)}`;
    const listed = (await fg(pattern, { cwd: input, onlyFiles: false, caseSensitiveMatch: false }))
      .map((f) => ({ path: join(input, f), name: imageNameOf(f) }))
      .filter((f) => !isExcluded(f.path, exclude))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    // With --recursive a folder called x.jpg is searched like any other; without, it is reported.
    images.push(...(await filterFound(listed, extensions, options.recursive ? 'skip' : 'report')));
    if (!options.recursive) {
      const below = (await fg(`*/**/${extensionPattern(extensions)}`, { cwd: input, onlyFiles: true, caseSensitiveMatch: false })).filter((f) => !isExcluded(join(input, f), exclude));
      const folders = [...new Set(below.map((f) => f.split('/')[0]!))].sort();
      if (folders.length > 0) {
        const shown = folders.slice(0, 3).join(', ') + (folders.length > 3 ? `, … (${folders.length} in all)` : '');
        notes.push(`${input}: ${below.length} photo(s) in subfolders (${shown}) were not read; pass --recursive to include them`);
      }
    }
  }
  return { images, notes };
}
