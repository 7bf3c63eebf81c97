// CSV text for the tables photosieve writes (truth, visible, histograms): RFC 4180 quoting, "\n" line ends, and
// numbers in their shortest exact form so a reader gets back the same float64.
import { writeFileAtomic } from './atomic.js';

export type CsvCell = string | number;

function cellText(cell: CsvCell): string {
  const text = typeof cell === 'number' ? String(cell) : cell;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV text of a header and rows, ending with a newline. */
export function formatCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const lines = [header.map(cellText).join(',')];
  for (const row of rows) lines.push(row.map(cellText).join(','));
  return `${lines.join('\n')}\n`;
}

/** Writes a CSV file atomically. */
export async function writeCsvAtomic(
  target: string,
  header: readonly string[],
  rows: readonly (readonly CsvCell[])[],
): Promise<void> {
  await writeFileAtomic(target, formatCsv(header, rows));
}
