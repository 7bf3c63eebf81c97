// Tables keyed by photo (truth.csv, a scale table): which row belongs to which photo. A row names its photo by
// file name (`pile.1.png`) or by stem (`pile.1`); a photo is known by its stem, the name of its outputs. Only a
// known image extension is ever taken off a name, never "whatever follows the last dot": `pile.1` and `pile.2`
// are two photos, and `pile` never borrows the row of `pile.1`.
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
  /** The photo as the table names it (folders are ignored). */
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
}

export type StemLookup<T> = { kind: 'one'; row: StemEntry<T> } | { kind: 'none' } | { kind: 'ambiguous'; rows: StemEntry<T>[] };

export interface StemMatch<T> {
  /** Photos with exactly one row (in the order given). */
  matched: { photo: string; row: StemEntry<T> }[];
  /** Photos no row names. */
  missing: string[];
  /** Photos that more than one row could mean, or whose row another photo also claims. */
  ambiguous: { photo: string; rows: string[] }[];
  /** Rows no photo claimed. */
  unused: StemEntry<T>[];
}

export interface StemTable<T> {
  readonly file: string;
  readonly rows: readonly StemEntry<T>[];
  /** The row of one photo, given by stem (`pile.1`) or file name (`pile.1.png`, `photos/pile.1.png`). */
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

/**
 * Builds the table; refuses rows that name the same photo (`a` and `a.png`, or `a` twice), listing them by name
 * and line, so no caller ever has to pick one.
 */
export function createStemTable<T>(rows: readonly StemRow<T>[], file: string, what = 'the table'): StemTable<T> {
  const entries: StemEntry<T>[] = rows.map((r) => {
    const base = baseNameOf(r.name.trim());
    return { ...r, base, stem: photoStem(base) };
  });
  const byStem = new Map<string, StemEntry<T>[]>();
  for (const e of entries) byStem.set(e.stem, [...(byStem.get(e.stem) ?? []), e]);
  const clashes = [...byStem.values()].filter((list) => list.length > 1);
  if (clashes.length > 0) {
    const described = clashes.map((list) => `${list.map((e) => `row ${e.line} (${e.name})`).join(' and ')} name photo ${list[0]!.stem}`);
    throw new PhotosieveError('E_INPUT', `${what} has more than one row for a photo: ${listNames(described, 3, '; ')}.`, {
      file,
      fix: 'keep one row per photo (a name with and without its extension is the same photo)',
    });
  }
  const lookup = (photo: string): StemLookup<T> => {
    const base = baseNameOf(photo);
    const stem = photoStem(base);
    const found = entries.filter((e) => e.base === base || e.stem === base || e.stem === stem);
    if (found.length === 0) return { kind: 'none' };
    if (found.length === 1) return { kind: 'one', row: found[0]! };
    return { kind: 'ambiguous', rows: found };
  };
  return {
    file,
    rows: entries,
    lookup,
    matchAll(photos) {
      const results = photos.map((photo) => ({ photo, found: lookup(photo) }));
      const claims = new Map<StemEntry<T>, string[]>();
      for (const { photo, found } of results) if (found.kind === 'one') claims.set(found.row, [...(claims.get(found.row) ?? []), photo]);
      const out: StemMatch<T> = { matched: [], missing: [], ambiguous: [], unused: entries.filter((e) => !claims.has(e)) };
      for (const { photo, found } of results) {
        if (found.kind === 'none') out.missing.push(photo);
        else if (found.kind === 'ambiguous') out.ambiguous.push({ photo, rows: found.rows.map((r) => r.name) });
        else if ((claims.get(found.row)?.length ?? 0) > 1) out.ambiguous.push({ photo, rows: [found.row.name] });
        else out.matched.push({ photo, row: found.row });
      }
      return out;
    },
  };
}
