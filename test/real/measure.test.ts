// `photosieve measure` on the real instance maps against the table the data set ships (grains_full/*.csv,
// computed with numpy by the data's preparer): minor axes, and 5-bin vectors binned from that table.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BinSpec, MeasureReport } from '../../src/aggregate/index.js';
import { distributionOf, rmse, runMeasure } from '../../src/aggregate/index.js';
import { readCsv } from '../../src/io/index.js';
import { tempDir } from '../helpers/tmp.js';

const DATA = process.env.PHOTOSIEVE_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'segmenteverygrain');
const present = existsSync(join(DATA, 'grains_full'));
if (!present) console.warn(`[skip] real-data measure tests: ${DATA} not found`);

describe.skipIf(!present)('measure on segmenteverygrain instance maps', () => {
  const edges = [25, 40, 60, 90];
  let out: string;
  let files: string[];
  beforeAll(async () => {
    out = join((await tempDir()).dir, 'measure');
    files = (await readdir(join(DATA, 'instances_full'))).filter((f) => f.endsWith('.png')).sort().map((f) => join(DATA, 'instances_full', f));
  });

  async function reference(name: string): Promise<{ id: number; area: number; major: number; minor: number; edge: boolean }[]> {
    const t = await readCsv(join(DATA, 'grains_full', `${name}.csv`));
    const k = (c: string): number => t.header.indexOf(c);
    return t.rows.map((r) => ({ id: Number(r[k('id')]), area: Number(r[k('area_px')]), major: Number(r[k('major_px')]), minor: Number(r[k('minor_px')]), edge: r[k('touches_border')] === '1' }));
  }

  it.each(['count', 'area', 'mass'] as const)('minor axes within 1 % (median) and %s-weighted 5-bin vectors within RMSE 0.005', async (weight) => {
    const spec: BinSpec = { edges, unit: 'px', measure: 'minor', weight, edgePolicy: 'exclude', minSizePx: 0 };
    const report: MeasureReport = await runMeasure({ instances: files, out: join(out, weight), spec });
    expect(report.failed).toEqual([]);
    const rel: number[] = [];
    const errors: number[] = [];
    for (const m of report.images) {
      const ref = await reference(m.image);
      const particles = await readCsv(join(out, weight, 'particles', `${m.image}.csv`));
      const minorCol = particles.header.indexOf('minor_px');
      const byId = new Map(particles.rows.map((r) => [Number(r[0]), Number(r[minorCol])]));
      for (const g of ref) rel.push(Math.abs(byId.get(g.id)! - g.minor) / g.minor);
      const items = ref.map((g) => ({ size: g.minor, sizePx: g.minor, weight: weight === 'count' ? 1 : weight === 'area' ? g.area : g.major * g.minor * g.minor, areaPx: g.area, touchesEdge: g.edge }));
      errors.push(rmse(m.vector, distributionOf(items, spec).fractions));
    }
    rel.sort((a, b) => a - b);
    expect(rel).toHaveLength(5298);
    expect(rel[rel.length >> 1]!).toBeLessThanOrEqual(0.01);
    console.log(`[real] ${weight}: median minor rel. difference ${rel[rel.length >> 1]!.toExponential(1)}, max 5-bin RMSE ${Math.max(...errors).toExponential(1)}`);
    expect(Math.max(...errors)).toBeLessThanOrEqual(0.005);
  }, 120_000);
});
