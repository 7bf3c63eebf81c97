// Tables keyed by photo (truth.csv, --scales): which row belongs to which photo. A row names its photo by file name
// (`pile.1.png`) or by stem (`pile.1`), with or without folders (`site-a/IMG_1`, the name --recursive gives its
// outputs); a photo is known by its name, the name of its outputs. Only a known image extension is ever taken off a
// name, never "whatever follows the last dot": `pile.1` and `pile.2` are two photos, and `pile` never borrows the
// row of `pile.1`. A row naming the photo with its folders wins; a row naming only the stem fits a photo in any
// folder, when no other photo of the batch could claim it too.
import { PhotosieveError } from './errors.js';

/** Extensions that make a name a file name (compared case-insensitively); anything else is part of the stem. */
export const IMAGE_NAME_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.gif', '.bmp'] as const;

/** The name without folders (either slash). */
export function baseNameOf(name: string): string {
  const parts = name.replace(/\\/g, '/').split('/');
  return parts[parts.length - 1] ?? name;
}

/** The image extension a name ends with (as written), or '' when it has none. */
export function imageExtensionOf(name: string): string {
  const lower = name.toLowerCase();
  const ext = IMAGE_NAME_EXTENSIONS.find((e) => lower.endsWith(e) && lower.length > e.length);
  return ext === undefined ? '' : name.slice(name.length - ext.length);
}

/** A photo's stem from its name or path: folders and one known image extension removed, nothing else. */
export function photoStem(name: string): string {
  const base = baseNameOf(name);
  return base.slice(0, base.length - imageExtensionOf(base).length);
}

export interface StemRow<T> {
  /** The photo as the table names it: a stem or file name, with or without folders (`/` or `\\`). */
  name: string;
  /** 1-based line in the file, for messages. */
  line: number;
  value: T;
}

export interface StemEntry<T> extends StemRow<T> {
  /** The name without folders. */
  base: string;
  /** The stem it names (see photoStem). */
  stem: string;
  /** The folders it names (`site-a`), '' when none. */
  folder: string;
}

/**
 * `full`: the row names the photo with the same folders (or neither has any); `bare`: the row names only the stem
 * (or the photo has no folders and the row has some), which another photo in another folder could mean as well.
 */
export type StemTier = 'full' | 'bare';

export type StemLookup<T> = { kind: 'one'; row: StemEntry<T>; tier: StemTier } | { kind: 'none' } | { kind: 'ambiguous'; rows: StemEntry<T>[] };

export interface StemMatch<T> {
  /** Photos with exactly one row (in the order given). */
  matched: { photo: string; row: StemEntry<T> }[];
  /** Photos no row names (or whose bare-stem row another photo names with its folders). */
  missing: string[];
  /** Photos that more than one row could mean, or whose row another photo also claims. */
  ambiguous: { photo: string; rows: string[] }[];
  /** Rows no photo claimed. */
  unused: StemEntry<T>[];
}

export interface StemTable<T> {
  readonly file: string;
  readonly rows: readonly StemEntry<T>[];
  /** The row of one photo, given by name (`pile.1`, `site-a/IMG_1`) or file name (`pile.1.png`, `site-a/IMG_1.jpg`). */
  lookup(photo: string): StemLookup<T>;
  /** Rows for a batch of photos: rows claimed twice and photos with two rows are ambiguous, never guessed. */
  matchAll(photos: readonly string[]): StemMatch<T>;
}

/** At most this many names in one message line; the rest are counted. */
const LISTED = 6;

/** `a, b, c and 3 more`. */
export function listNames(names: readonly string[], max = LISTED, separator = ', '): string {
  const shown = names.slice(0, max).join(separator);
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** A name as written, with `/` between folders, no `./` in front and no slash at either end. */
function normalizeName(name: string): string {
  return name
    .trim()
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/+/g, '/')
    .replace(/^\/|\/$/g, '');
}

function folderOf(name: string): string {
  const at = name.lastIndexOf('/');
  return at < 0 ? '' : name.slice(0, at);
}

/** Whether the row's last part names the photo's: the same file name, or the same stem (nothing cut but an image extension). */
function sameLast(row: { base: string; stem: string }, base: string, stem: string): boolean {
  return row.base === base || row.stem === base || row.stem === stem;
}

/**
 * Builds the table; refuses rows that name the same photo (`a` and `a.png`, or `site-a/a` twice), listing them by
 * name and line, so no caller ever has to pick one. `site-a/IMG_1` and `site-b/IMG_1` are two photos.
 */
export function createStemTable<T>(rows: readonly StemRow<T>[], file: string, what = 'the table'): StemTable<T> {
  const entries: StemEntry<T>[] = rows.map((r) => {
    const full = normalizeName(r.name);
    const base = baseNameOf(full);
    return { ...r, base, stem: photoStem(base), folder: folderOf(full) };
  });
  const keyOf = (e: StemEntry<T>): string => (e.folder === '' ? e.stem : `${e.folder}/${e.stem}`);
  const byKey = new Map<string, StemEntry<T>[]>();
  for (const e of entries) byKey.set(keyOf(e), [...(byKey.get(keyOf(e)) ?? []), e]);
  const clashes = [...byKey.entries()].filter(([, list]) => list.length > 1);
  if (clashes.length > 0) {
    const described = clashes.map(([key, list]) => `${list.map((e) => `row ${e.line} (${e.name})`).join(' and ')} name photo ${key}`);
    throw new PhotosieveError('E_INPUT', `${what} has more than one row for a photo: ${listNames(described, 3, '; ')}.`, {
      file,
      fix: 'keep one row per photo (a name with and without its extension is the same photo)',
    });
  }
  const lookup = (photo: string): StemLookup<T> => {
    const name = normalizeName(photo);
    const base = baseNameOf(name);
    const stem = photoStem(base);
    const folder = folderOf(name);
    const full = entries.filter((e) => e.folder === folder && sameLast(e, base, stem));
    const found = full.length > 0 ? full : entries.filter((e) => (e.folder === '' || folder === '') && sameLast(e, base, stem));
    const tier: StemTier = full.length > 0 ? 'full' : 'bare';
    if (found.length === 0) return { kind: 'none' };
    if (found.length === 1) return { kind: 'one', row: found[0]!, tier };
    return { kind: 'ambiguous', rows: found };
  };
  return {
    file,
    rows: entries,
    lookup,
    matchAll(photos) {
      const results = photos.map((photo) => ({ photo, found: lookup(photo) }));
      const claims = new Map<StemEntry<T>, { photo: string; tier: StemTier }[]>();
      for (const { photo, found } of results) if (found.kind === 'one') claims.set(found.row, [...(claims.get(found.row) ?? []), { photo, tier: found.tier }]);
      const out: StemMatch<T> = { matched: [], missing: [], ambiguous: [], unused: entries.filter((e) => !claims.has(e)) };
      for (const { photo, found } of results) {
        if (found.kind === 'none') out.missing.push(photo);
        else if (found.kind === 'ambiguous') out.ambiguous.push({ photo, rows: found.rows.map((r) => r.name) });
        else {
          const all = claims.get(found.row) ?? [];
          const fullClaims = all.filter((c) => c.tier === 'full');
          // One photo names the row with its folders: it is that photo's; a photo that only shares the stem has none.
          if (all.length === 1 || (fullClaims.length === 1 && found.tier === 'full')) out.matched.push({ photo, row: found.row });
          else if (fullClaims.length === 1) out.missing.push(photo);
          else out.ambiguous.push({ photo, rows: [found.row.name] });
        }
      }
      return out;
    },
  };
}
