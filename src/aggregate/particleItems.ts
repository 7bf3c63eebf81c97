// Particle tables (particles/NAME.csv) read back as sized, weighted items: what evaluate's pooled groups, the
// batch's pooled row and the report's curves bin, under the run's own size measure and weighting.
import { PhotosieveError } from '../core/index.js';
import { readCsv } from '../io/index.js';
import type { BinSpec, SizedItem } from './distribution.js';
import { weightOf } from './distribution.js';

/** The px column of each size measure in a particle table. */
export const SIZE_COLUMNS = { minor: 'minor_px', major: 'major_px', ecd: 'eq_diam_px', feret_min: 'feret_min_px', feret_max: 'feret_max_px' } as const;

/** Cells as CsvTable gives them (text) or as already parsed (numbers, null for an empty cell). */
type Cell = string | number | null | undefined;

/**
 * Items of a particle table in file order, each with its instance id. Sizes and weights in the unit of the edges:
 * px × scale for mm bins, weights from those mm sizes (mm², mm³), so the items of photos at different mm/px pool
 * as one sample; NaN without a scale, so nothing is binned on a guess.
 */
export function particleTableItems(
  table: { header: readonly string[]; rows: readonly (readonly Cell[])[]; file?: string },
  spec: Pick<BinSpec, 'measure' | 'weight' | 'unit'>,
  scale: number | null | undefined,
): (SizedItem & { id: number })[] {
  const col = (name: string): number => {
    const k = table.header.indexOf(name);
    if (k < 0) throw new PhotosieveError('E_INPUT', `no column ${name}.`, { file: table.file, fix: 'use particle tables written by photosieve' });
    return k;
  };
  const [id, size, area, major, minor, edge] = [col('id'), col(SIZE_COLUMNS[spec.measure]), col('area_px'), col('major_px'), col('minor_px'), col('touches_edge')];
  const factor = spec.unit === 'mm' ? (scale ?? NaN) : 1;
  const num = (c: Cell): number => (c === null || c === undefined || c === '' ? NaN : Number(c));
  return table.rows.map((r) => {
    const sizePx = num(r[size]);
    const a = num(r[area]);
    return { id: num(r[id]), size: sizePx * factor, sizePx, weight: weightOf(spec.weight, a, num(r[major]), num(r[minor]), factor), areaPx: a, touchesEdge: num(r[edge]) === 1 };
  });
}

/** Items for binning from a particles CSV (same size measure and weighting as the run). */
export async function itemsFromParticles(file: string, spec: BinSpec, scale: number | null): Promise<SizedItem[]> {
  return particleTableItems(await readCsv(file), spec, scale);
}
