// --scales CSV: a scale (mm per pixel) per photo, `image,mm_per_px`. The whole table is checked against the batch
// before any image is processed: every photo needs exactly one row, and every problem is listed by name. Rows are
// matched to photos by the one matcher of photo tables (core/stemTable.ts), the same as --truth: a name with
// folders (`site-a/IMG_1`, as --recursive names the outputs) wins, a bare stem fits when no other photo claims it.
import { extname } from 'node:path';
import { PhotosieveError, createStemTable } from '../core/index.js';
import type { StemTable } from '../core/index.js';
import { readCsv } from '../io/readCsv.js';

export const SCALES_COLUMNS = ['image', 'mm_per_px'] as const;

/** Names listed in a message: the first few, then how many more. */
function listNames(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).map((n) => JSON.stringify(n));
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

function parseRows(file: string, header: string[], rows: string[][]): StemTable<number> {
  const cols = header.map((h) => h.trim().toLowerCase());
  const at = SCALES_COLUMNS.map((c) => cols.indexOf(c));
  if (at.some((k) => k < 0)) {
    throw new PhotosieveError('E_INPUT', `a scales table needs the columns ${SCALES_COLUMNS.join(',')}; this one has ${header.join(',')}.`, { file, fix: 'write the header image,mm_per_px and one row per photo' });
  }
  const [imageCol, scaleCol] = at as [number, number];
  const bad: string[] = [];
  const out: { name: string; line: number; value: number }[] = [];
  rows.forEach((r, i) => {
    const line = i + 2;
    const name = (r[imageCol] ?? '').trim();
    const text = (r[scaleCol] ?? '').trim();
    const scale = Number(text);
    if (name === '' && text === '') return;
    if (name === '') bad.push(`line ${line} has no image name`);
    else if (text === '' || !Number.isFinite(scale) || scale <= 0) bad.push(`line ${line} (${name}): mm_per_px ${JSON.stringify(text)} is not a positive number`);
    else out.push({ name, line, value: scale });
  });
  if (bad.length > 0) throw new PhotosieveError('E_INPUT', `${bad.length} bad row(s): ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? '; …' : ''}.`, { file, fix: 'give each photo a positive mm_per_px' });
  return createStemTable(out, file, 'the scales table');
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

/** What a photo of the batch is called in a table: its name (with folders) and its own image extension. */
export function tableNameOf(image: ScaledImage): string {
  return `${image.name}${extname(image.path)}`;
}

/** Reads the table and gives every image of the batch its scale; any missing or ambiguous photo stops the batch. */
export async function matchScales(file: string, images: readonly ScaledImage[]): Promise<ScalesMatch> {
  const table = await readCsv(file);
  const rows = parseRows(file, table.header, table.rows);
  const names = images.map(tableNameOf);
  const match = rows.matchAll(names);
  const byName = new Map(match.matched.map((m) => [m.photo, m.row.value]));
  const nameOf = new Map(names.map((n, k) => [n, images[k]!.name]));
  const missing = match.missing.map((n) => nameOf.get(n) ?? n);
  // Photos one row could mean: grouped by the row, so the line names every photo that claims it.
  const lineOf = new Map(rows.rows.map((r) => [r.name, r.line]));
  const byRow = new Map<string, string[]>();
  const several: string[] = [];
  for (const a of match.ambiguous) {
    const photo = nameOf.get(a.photo) ?? a.photo;
    if (a.rows.length > 1) several.push(`${photo} has ${a.rows.length} rows (lines ${a.rows.map((r) => lineOf.get(r)).join(', ')})`);
    else byRow.set(a.rows[0]!, [...(byRow.get(a.rows[0]!) ?? []), photo]);
  }
  const ambiguous = [...[...byRow].map(([row, photos]) => `row ${JSON.stringify(row)} (line ${lineOf.get(row)}) fits ${photos.sort().join(' and ')}: name them with their folders`), ...several];
  if (missing.length > 0 || ambiguous.length > 0) {
    const parts = [
      ...(missing.length > 0 ? [`no row for ${missing.length} photo(s): ${listNames(missing)}`] : []),
      ...(ambiguous.length > 0 ? [`ambiguous: ${ambiguous.slice(0, 5).join('; ')}${ambiguous.length > 5 ? '; …' : ''}`] : []),
    ];
    throw new PhotosieveError('E_INPUT', `the scales table does not fit the batch: ${parts.join('; ')}.`, {
      file,
      fix: 'give every photo one row image,mm_per_px, the image named as in the outputs (folder/stem) or by its file name',
    });
  }
  return { scales: names.map((n) => byName.get(n) ?? NaN), unused: match.unused.map((r) => r.name) };
}
