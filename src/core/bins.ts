// Size bins: interior edges (ascending) split sizes into edges.length + 1 bins. Column names for CSV files are
// made here so truth, visible and histogram tables of every command agree on them.
import { invalidParameter } from './errors.js';

export type LengthUnit = 'mm' | 'px';

/** The project's default sieve classes, mm: 5 bins on ISO 565 sieves (4, 5.6, 8, 11.2 mm), used by synth and measure. */
export const DEFAULT_BIN_EDGES_MM: readonly number[] = [4, 5.6, 8, 11.2];

/** Shortest decimal form of an edge, for names: 2.8 → "2.8", 4 → "4". */
function edgeText(edge: number): string {
  return String(Number(edge.toPrecision(12)));
}

/**
 * Checks interior bin edges: at least one, finite, positive and strictly ascending.
 * `flag` names the option in the error (e.g. `--bins`).
 */
export function validateBinEdges(edges: readonly number[], flag = '--bins'): void {
  const fix = `pass ascending positive edges, e.g. ${flag} 2.8,4,5.6,8`;
  if (edges.length === 0) throw invalidParameter(flag, 'at least one edge', '[]', fix);
  for (let k = 0; k < edges.length; k++) {
    const e = edges[k]!;
    if (!Number.isFinite(e) || e <= 0) throw invalidParameter(flag, 'positive numbers', edges.join(','), fix);
    if (k > 0 && e <= edges[k - 1]!) throw invalidParameter(flag, 'strictly ascending', edges.join(','), fix);
  }
}

/**
 * One column name per bin: `lt_E1unit`, `E1_E2unit`, …, `ge_Enunit` (e.g. `lt_2.8mm,2.8_4mm,4_5.6mm,5.6_8mm,ge_8mm`).
 * A bin holds sizes s with lower ≤ s < upper.
 */
export function binColumnNames(edges: readonly number[], unit: LengthUnit): string[] {
  validateBinEdges(edges);
  const names = [`lt_${edgeText(edges[0]!)}${unit}`];
  for (let k = 1; k < edges.length; k++) names.push(`${edgeText(edges[k - 1]!)}_${edgeText(edges[k]!)}${unit}`);
  names.push(`ge_${edgeText(edges[edges.length - 1]!)}${unit}`);
  return names;
}

/** Index of the bin holding `size` (same unit as the edges): 0 below the first edge, edges.length at or above the last. */
export function binIndex(edges: readonly number[], size: number): number {
  let k = 0;
  while (k < edges.length && size >= edges[k]!) k += 1;
  return k;
}
