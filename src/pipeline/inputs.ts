// What the photos of a batch are called. A file named on the command line is its stem (`a/IMG_1.jpg` → IMG_1); a
// photo found in a folder or by a glob keeps its path below that folder or the glob's fixed part, without the
// extension (`photos --recursive` finds photos/site-a/IMG_1.jpg → site-a/IMG_1), so same-named photos of
// different folders never collide: their outputs go to DIR/instances/site-a/IMG_1.png and so on.
import { stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
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

function isExcluded(file: string, exclude: readonly string[]): boolean {
  const abs = resolve(file);
  return exclude.some((d) => {
    const dir = resolve(d);
    return abs === dir || abs.startsWith(dir + sep);
  });
}

/** Expands files, folders and glob patterns into named images, in a stable order (sorted within each input). */
export async function expandImageInputs(inputs: readonly string[], options: ExpandOptions = {}): Promise<ExpandedInputs> {
  const extensions = options.extensions ?? IMAGE_EXTENSIONS;
  const exclude = options.exclude ?? [];
  const images: ExpandedInputs['images'] = [];
  const notes: string[] = [];
  for (const input of inputs) {
    if (fg.isDynamicPattern(input)) {
      const found = (await fg(input, { onlyFiles: true })).filter((f) => !isExcluded(f, exclude)).sort();
      if (found.length === 0) throw new PhotosieveError('E_INPUT', `no file matches ${input}.`, { fix: 'check the pattern and quote it' });
      const base = fg.generateTasks([input])[0]?.base ?? '.';
      images.push(...found.map((f) => ({ path: f, name: imageNameOf(relative(base, f)) })));
      continue;
    }
    const st = await stat(input).catch(() => null);
    if (!st?.isDirectory()) {
      images.push({ path: input, name: basename(input, extname(input)) });
      continue;
    }
    const pattern = `${options.recursive ? '**/' : ''}${extensionPattern(extensions)}`;
    const found = (await fg(pattern, { cwd: input, onlyFiles: true, caseSensitiveMatch: false }))
      .map((f) => ({ path: join(input, f), name: imageNameOf(f) }))
      .filter((f) => !isExcluded(f.path, exclude))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    images.push(...found);
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
