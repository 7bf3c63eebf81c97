// Where the image a label file names is, confined: a label file is data from someone else, so the paths in it
// may lead only into its own folder, the images/ folder beside it (COCO's layout), or --images DIR, judged on
// real paths after following links. A path that leads out is not opened at all, and its message is the same
// whether anything exists there or not.
import type { Stats } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, win32 } from 'node:path';
import { fileKindOf } from '../io/index.js';

export interface ImageSearch {
  /** The label file that names the image. */
  labelFile: string;
  /** --images DIR: the only place searched when given. */
  images?: string | undefined;
  /** --allow-outside: follow absolute and ../ paths and links that lead out. @default false */
  allowOutside?: boolean | undefined;
}

export type ImageLookup =
  | { kind: 'found'; path: string; real: string }
  | { kind: 'missing' }
  /** The reference (or a link on the way) leads outside the allowed folders; nothing outside was opened. */
  | { kind: 'outside' }
  | { kind: 'not_a_file'; path: string; fileKind: string };

interface Candidate {
  path: string;
  /** The folder the candidate must stay in (real path compared), or undefined with --allow-outside. */
  root: string | undefined;
}

/** Whether `path` is `root` or lies under it (both absolute and normalized). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A reference written as an absolute path, on any system (`/x`, `C:\x`, `\\server\x`). */
function isAbsoluteRef(ref: string): boolean {
  return isAbsolute(ref) || win32.isAbsolute(ref);
}

function candidates(ref: string, search: ImageSearch): { list: Candidate[]; leadsOut: boolean } {
  const norm = ref.replace(/\\/g, '/');
  const base = basename(norm);
  const allow = search.allowOutside ?? false;
  const list: Candidate[] = [];
  let leadsOut = false;
  /** The path as written, from `from`, when it stays inside one of `roots` (or anywhere with --allow-outside). */
  const asWritten = (from: string, roots: string[]): void => {
    const target = resolve(from, norm);
    const root = roots.find((r) => isInside(resolve(r), target));
    if (allow) list.push({ path: target, root: undefined });
    else if (!isAbsoluteRef(ref) && root !== undefined) list.push({ path: target, root });
    else leadsOut = true;
  };
  if (search.images !== undefined) {
    asWritten(search.images, [search.images]);
    list.push({ path: join(search.images, base), root: allow ? undefined : search.images });
  } else {
    const here = dirname(search.labelFile);
    // COCO's layout (annotations/x.json beside images/), which photosieve writes too (labels/x.json names
    // ../images/x.png): the sibling images/ folder is searched as well.
    const sibling = join(here, '..', 'images');
    asWritten(here, [here, sibling]);
    list.push({ path: join(here, base), root: allow ? undefined : here });
    list.push({ path: join(here, 'images', base), root: allow ? undefined : here });
    list.push({ path: join(sibling, base), root: allow ? undefined : sibling });
  }
  // A reference without a file name (`..`, `/`, `images/`) names a folder, never an image.
  const named = base !== '' && base !== '.' && base !== '..';
  return { list: named ? list : [], leadsOut };
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch {
    return null;
  }
}

/**
 * An image the caller names itself, not a label file (review's fine-tune knows each photo from run.json): followed
 * wherever it is, and only checked to be a regular file.
 */
export async function givenImage(path: string): Promise<ImageLookup> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return { kind: 'missing' };
  }
  const st = await stat(real).catch(() => null);
  if (st === null) return { kind: 'missing' };
  if (!st.isFile()) return { kind: 'not_a_file', path, fileKind: fileKindOf(st) };
  return { kind: 'found', path, real };
}

/**
 * Looks for the image a label file names: the path as written (when it stays inside), then the file name beside
 * the label file, in its images/ folder and in ../images (COCO's layout); with --images only there.
 */
export async function locateImage(ref: string, search: ImageSearch): Promise<ImageLookup> {
  const { list, leadsOut } = candidates(ref, search);
  let outside = leadsOut;
  let notFile: ImageLookup | undefined;
  const seen = new Set<string>();
  for (const c of list) {
    const abs = resolve(c.path);
    if (seen.has(abs)) continue;
    seen.add(abs);
    if ((await lstatOrNull(abs)) === null) continue;
    let real: string;
    try {
      real = await realpath(abs);
    } catch {
      // A link to nothing: where it leads is not looked at, only that it does not lead to a file here.
      if (c.root !== undefined) outside = true;
      continue;
    }
    if (c.root !== undefined) {
      let rootReal: string;
      try {
        rootReal = await realpath(c.root);
      } catch {
        continue;
      }
      if (!isInside(rootReal, real)) {
        outside = true;
        continue;
      }
    }
    let st: Stats;
    try {
      st = await stat(real);
    } catch {
      continue;
    }
    if (!st.isFile()) {
      notFile ??= { kind: 'not_a_file', path: c.path, fileKind: fileKindOf(st) };
      continue;
    }
    return { kind: 'found', path: c.path, real };
  }
  if (notFile) return notFile;
  return outside ? { kind: 'outside' } : { kind: 'missing' };
}
