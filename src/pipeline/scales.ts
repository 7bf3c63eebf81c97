// --scales CSV: a scale (mm per pixel) per photo, `image,mm_per_px`. The whole table is checked against the batch
// before any image is processed: every photo needs exactly one row, and every problem is listed by name.
import { basename, extname } from 'node:path';
import { PhotosieveError } from '../core/index.js';
import { readCsv } from '../io/readCsv.js';

export const SCALES_COLUMNS = ['image', 'mm_per_px'] as const;

interface ScaleRow {
  key: string;
  scale: number;
  line: number;
}

/** Names listed in a message: the first few, then how many more. */
function listNames(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).map((n) => JSON.stringify(n));
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

function parseRows(file: string, header: string[], rows: string[][]): ScaleRow[] {
  const cols = header.map((h) => h.trim().toLowerCase());
  const at = SCALES_COLUMNS.map((c) => cols.indexOf(c));
  if (at.some((k) => k < 0)) {
    throw new PhotosieveError('E_INPUT', `a scales table needs the columns ${SCALES_COLUMNS.join(',')}; this one has ${header.join(',')}.`, { file, fix: 'write the header image,mm_per_px and one row per photo' });
  }
  const [imageCol, scaleCol] = at as [number, number];
  const bad: string[] = [];
  const out: ScaleRow[] = [];
  rows.forEach((r, i) => {
    const line = i + 2;
    const key = (r[imageCol] ?? '').trim().replace(/\\/g, '/').replace(/^\.\//, '');
    const text = (r[scaleCol] ?? '').trim();
    const scale = Number(text);
    if (key === '' && text === '') return;
    if (key === '') bad.push(`line ${line} has no image name`);
    else if (text === '' || !Number.isFinite(scale) || scale <= 0) bad.push(`line ${line} (${key}): mm_per_px ${JSON.stringify(text)} is not a positive number`);
    else out.push({ key, scale, line });
  });
  if (bad.length > 0) throw new PhotosieveError('E_INPUT', `${bad.length} bad row(s): ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? '; …' : ''}.`, { file, fix: 'give each photo a positive mm_per_px' });
  return out;
}

export interface ScaledImage {
  path: string;
  name: string;
}

export interface ScalesMatch {
  /** mm per pixel per image, in the batch's order. */
  scales: number[];
  /** Rows that name no photo of this batch (a survey's table may list more). */
  unused: string[];
}

/**
 * The keys a row may name an image by: its name (relative path without extension), the same with the photo's
 * extension, and — when they differ — its file stem and file name. Nothing is cut at a dot except the photo's
 * own extension, so `a.b` and `a` are different photos.
 */
function keysOf(image: ScaledImage): { full: string[]; bare: string[] } {
  const ext = extname(image.path);
  const full = [image.name, `${image.name}${ext}`];
  const stem = basename(image.name);
  const bare = stem === image.name ? [] : [stem, `${stem}${ext}`];
  return { full, bare };
}

function sameKey(a: string, b: string): boolean {
  // Extensions are compared without case (IMG_1.JPG names IMG_1.jpg); the rest exactly.
  if (a === b) return true;
  const ea = extname(a);
  const eb = extname(b);
  return ea !== '' && eb !== '' && a.slice(0, -ea.length) === b.slice(0, -eb.length) && ea.toLowerCase() === eb.toLowerCase();
}

/** Reads the table and gives every image of the batch its scale; any missing or ambiguous photo stops the batch. */
export async function matchScales(file: string, images: readonly ScaledImage[]): Promise<ScalesMatch> {
  const table = await readCsv(file);
  const rows = parseRows(file, table.header, table.rows);
  const matchesOf = (image: ScaledImage, which: 'full' | 'bare'): ScaleRow[] => rows.filter((r) => keysOf(image)[which].some((k) => sameKey(k, r.key)));
  const missing: string[] = [];
  const ambiguous: string[] = [];
  const used = new Set<ScaleRow>();
  const scales: number[] = [];
  for (const image of images) {
    const full = matchesOf(image, 'full');
    let chosen: ScaleRow | undefined;
    if (full.length > 1) ambiguous.push(`${image.name} has ${full.length} rows (lines ${full.map((r) => r.line).join(', ')})`);
    else if (full.length === 1) chosen = full[0];
    else {
      const bare = matchesOf(image, 'bare');
      if (bare.length > 1) ambiguous.push(`${image.name} has ${bare.length} rows (lines ${bare.map((r) => r.line).join(', ')})`);
      else if (bare.length === 1) {
        const row = bare[0]!;
        const others = images.filter((o) => o !== image && keysOf(o).bare.some((k) => sameKey(k, row.key)));
        if (others.length > 0) ambiguous.push(`row ${JSON.stringify(row.key)} (line ${row.line}) fits ${[image, ...others].map((o) => o.name).sort().join(' and ')}: name them with their folders`);
        else chosen = row;
      } else missing.push(image.name);
    }
    if (chosen) used.add(chosen);
    scales.push(chosen?.scale ?? NaN);
  }
  if (missing.length > 0 || ambiguous.length > 0) {
    const parts = [
      ...(missing.length > 0 ? [`no row for ${missing.length} photo(s): ${listNames(missing)}`] : []),
      ...(ambiguous.length > 0 ? [`ambiguous: ${[...new Set(ambiguous)].slice(0, 5).join('; ')}${ambiguous.length > 5 ? '; …' : ''}`] : []),
    ];
    throw new PhotosieveError('E_INPUT', `the scales table does not fit the batch: ${parts.join('; ')}.`, {
      file,
      fix: 'give every photo one row image,mm_per_px, the image named as in the outputs (folder/stem) or by its file name',
    });
  }
  return { scales, unused: rows.filter((r) => !used.has(r)).map((r) => r.key) };
}
