// Reading the CSV tables users hand us (truth vectors) and that photosieve writes (histograms, particles).
import { PhotosieveError } from '../core/index.js';
import { readTextFile } from './files.js';

export interface CsvTable {
  file: string;
  header: string[];
  rows: string[][];
}

/** RFC 4180 parsing: quoted fields with "" escapes, CRLF or LF line ends, a trailing newline allowed. */
export function parseCsv(text: string, file: string): CsvTable {
  const records: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  let k = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; k < text.length; k++) {
    const ch = text[k]!;
    if (quoted) {
      if (ch === '"') {
        if (text[k + 1] === '"') {
          field += '"';
          k++;
        } else quoted = false;
      } else field += ch;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[k + 1] === '\n') k++;
      row.push(field);
      records.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new PhotosieveError('E_INPUT', 'unterminated quoted field.', { file, fix: 'close the quote or re-export the CSV' });
  if (field !== '' || row.length > 0) {
    row.push(field);
    records.push(row);
  }
  const nonEmpty = records.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
  if (nonEmpty.length === 0) throw new PhotosieveError('E_INPUT', 'the CSV file is empty.', { file, fix: 'write a header line and one row per image' });
  const [header, ...rows] = nonEmpty as [string[], ...string[][]];
  rows.forEach((r, i) => {
    if (r.length !== header.length) {
      throw new PhotosieveError('E_INPUT', `row ${i + 2} has ${r.length} fields, the header has ${header.length}.`, { file, fix: 'give every row one value per column' });
    }
  });
  return { file, header: header.map((h) => h.trim()), rows };
}

/** Reads a CSV table from a regular file (a FIFO or a folder is refused, not waited on). */
export async function readCsv(file: string): Promise<CsvTable> {
  return parseCsv(await readTextFile(file, { what: 'CSV file' }), file);
}
