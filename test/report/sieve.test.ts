// The report's sieve view: the percent-passing chart, the outlines coloured by bin on hand-made input, and on a real
// classical-mode segment run of two demo photos (no hand-written run.json): the curves are the ones histograms.csv's
// D-values were read from, the batch row is histograms-pooled.csv's, the outline layer has each particle's bin colour.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PERCENTILE_KEYS, classifyItem, particleTableItems, passingCurve, passingDiameter } from '../../src/aggregate/index.js';
import type { BinSpec } from '../../src/aggregate/index.js';
import { readCsv, readImage, readInstancePng } from '../../src/io/index.js';
import type { ParticleClasses, RunData } from '../../src/report/index.js';
import { EDGE_RGB, UNMEASURED_RGB, binColours, curveChart, drawnCurve, loadRun, outlineLayer, passingAtEdges, writeReport } from '../../src/report/index.js';
import { capture } from '../helpers/cli.js';
import { grid } from '../helpers/grid.js';
import { tempDir } from '../helpers/tmp.js';
import { writeFakeRun } from './fakeRun.js';

describe('the percent-passing chart', () => {
  it('draws from 0 % at the smallest size to 100 % at the largest through every point', () => {
    const curve = passingCurve([1, 2, 4].map((size) => ({ size, weight: 1 })));
    expect(drawnCurve(curve)).toEqual([
      { size: 1, passing: 0 },
      { size: 1, passing: 1 / 6 },
      { size: 2, passing: 0.5 },
      { size: 4, passing: 5 / 6 },
      { size: 4, passing: 1 },
    ]);
  });

  it('resamples a long curve in log size, exactly on the curve', () => {
    const curve = passingCurve(Array.from({ length: 1000 }, (_, k) => ({ size: 1 + k, weight: 1 })));
    const d = drawnCurve(curve, 50);
    expect(d).toHaveLength(52);
    expect(d[1]).toEqual(curve[0]);
    expect(d[50]).toEqual(curve[999]);
    // A resampled point lies on the curve: the D of its passing is its size.
    expect(passingDiameter(curve, 100 * d[25]!.passing)).toBeCloseTo(d[25]!.size, 9);
  });

  it('the passing at each bin edge of a vector is the share of the bins below it', () => {
    expect(passingAtEdges([0.25, 0.5, 0.25])).toEqual([0.25, 0.75]);
    expect(passingAtEdges([null, 0.5, 0.5])).toEqual([null, null]);
  });

  it('SVG: the measured path, squares at the edges, the truth at the edges, D markers; a note without particles', () => {
    const curve = passingCurve([1, 2, 4, 8].map((size) => ({ size, weight: 1 })));
    const svg = curveChart({ curve, edges: [2, 4], unit: 'mm', vector: [0.125, 0.5, 0.375], truth: [0.2, 0.4, 0.4], dValues: [{ name: 'D50', value: 2.83 }] });
    expect(svg.match(/<path class="pred" d="M[\d.,L]+"/g)).toHaveLength(1);
    expect(svg.match(/<rect class="pred-edge"/g)).toHaveLength(2);
    expect(svg).toContain('measured vector: 62.5 % passing 4 mm');
    expect(svg.match(/<polyline class="truth" points="[\d., ]+"\/>/g)).toHaveLength(1);
    expect(svg).toContain('truth: 60.0 % passing 4 mm');
    expect(svg).toContain('D50 = 2.830 mm');
    expect(svg).toContain('size (mm, log scale)');
    const none = curveChart({ curve: [], edges: [2, 4], unit: 'mm', vector: null, truth: null, dValues: [] });
    expect(none).not.toContain('class="pred"');
    expect(none).toContain('no measurable particle');
  });
});

describe('outlines coloured by bin', () => {
  it('paints outline pixels in their bin colour, dashes edge particles, greys unmeasured ones, skips unknown ids', () => {
    const map = grid([
      '111111..',
      '.......5',
      '...2222.',
      '...2222.',
      '...2222.',
      '...2222.',
      '.33.....',
      '.33...4.',
    ]);
    const classes: ParticleClasses = new Map([
      [1, { cls: 'edge' as const, touchesEdge: true }],
      [2, { cls: 0, touchesEdge: false }],
      [3, { cls: 1, touchesEdge: false }],
      [4, { cls: 'unmeasured' as const, touchesEdge: false }],
    ]);
    const rgba = outlineLayer(map, classes, 2);
    const px = (x: number, y: number): number[] => [...rgba.subarray((y * 8 + x) * 4, (y * 8 + x) * 4 + 4)];
    const [bin0, bin1] = binColours(2);
    expect(px(3, 2)).toEqual([...bin0!, 255]);
    expect(px(6, 5)).toEqual([...bin0!, 255]);
    expect(px(4, 3)).toEqual([0, 0, 0, 0]); // inside particle 2
    expect(px(1, 6)).toEqual([...bin1!, 255]);
    expect(px(6, 7)).toEqual([...UNMEASURED_RGB, 255]);
    expect(px(7, 1)).toEqual([0, 0, 0, 0]); // id 5 is in no table
    // Particle 1 is dashed: on for x + y in 0–2, off in 3–5.
    expect([0, 1, 2, 3, 4, 5].map((x) => px(x, 0)[3])).toEqual([255, 255, 255, 0, 0, 0]);
    expect(px(0, 0)).toEqual([...EDGE_RGB, 255]);
    expect(binColours(5)[0]).toEqual([40, 110, 255]);
    expect(binColours(5)[4]).toEqual([230, 60, 230]);
  });
});

describe('a run from before the sieve columns', () => {
  it('histograms.csv ending d10,d50,d90 and no pooled file: D-values shown, no Cu/Cc, the batch curve from the tables', async () => {
    const tmp = await tempDir();
    await writeFakeRun(tmp.dir);
    const d = await loadRun(tmp.dir);
    expect(d.images[0]!.percentiles.map((p) => p.name)).toEqual(['D10', 'D50', 'D90']);
    expect([d.images[0]!.cu, d.images[0]!.cc]).toEqual([null, null]);
    expect(d.batch!.file).toBeNull();
    expect(d.batch!.row).toBeNull();
    // Two particles per image inside the frame (b-axes 1.12 and 0.83 mm, areas 120 and 75 px, 1.2 and 0.75 mm² at
    // 0.1 mm/px): positions 37.5/195, 135/195. The weights are mm² (area_px·0.1·0.1, not exact in binary), so the
    // shares agree with the px fractions to the last bits only.
    const close = (got: number[], want: number[]): void => {
      expect(got).toHaveLength(want.length);
      got.forEach((x, k) => expect(x).toBeCloseTo(want[k]!, 15));
    };
    close(d.images[0]!.curve!.map((p) => p.passing), [37.5 / 195, 135 / 195]);
    close(d.batch!.curve.map((p) => p.passing), [75 / 390, 270 / 390]);
  });
});

describe('the sieve view of a real segment run', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let run: string;
  let d: RunData;
  let err = '';
  const spec: BinSpec = { edges: [4, 5.6, 8, 11.2], unit: 'mm', measure: 'minor', weight: 'mass', edgePolicy: 'exclude', minSizePx: 0 };

  beforeAll(async () => {
    tmp = await tempDir();
    for (const p of ['g02_001', 'g03_001']) await tmp.write(`photos/${p}.jpg`, await readFile(join('fixtures', 'demo', 'images', `${p}.jpg`)));
    run = join(tmp.dir, 'run');
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
    const seg = await capture(['segment', join(tmp.dir, 'photos'), '--out', run, '--model', 'classical', '--workers', '0', '--scale', '0.1', '--truth', 'fixtures/demo/truth.csv']);
    vi.restoreAllMocks();
    expect(seg.exitCode).toBe(0);
    expect(seg.out).toMatch(/^ {2}pooled \(2 image\(s\), \d+ particle\(s\)\): lt_4mm 0\.\d{3}, /m);
    await writeReport({ dir: run });
    d = await loadRun(run);
  }, 120_000);
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('with --scale the weighting is mass, and no bin of these photos holds 80 %: nothing on stderr', () => {
    expect(d.summary.spec?.weight).toBe('mass');
    expect(err).not.toMatch(/vector is in one bin/);
  });

  it("each image's curve is the one its D-values in histograms.csv were read from", async () => {
    const hist = await readCsv(join(run, 'histograms.csv'));
    for (const row of hist.rows) {
      const im = d.images.find((x) => x.name === row[0])!;
      expect(im.curve!.length).toBeGreaterThan(50);
      for (const key of PERCENTILE_KEYS) {
        const written = Number(row[hist.header.indexOf(key)]);
        // The tables hold px to 4 decimals; the run binned unrounded sizes.
        expect(passingDiameter(im.curve!, Number(key.slice(1)))).toBeCloseTo(written, 3);
      }
      expect(im.cu).toBe(Number(row[hist.header.indexOf('cu')]));
      expect(im.cc).toBe(Number(row[hist.header.indexOf('cc')]));
    }
  });

  it('the batch row is histograms-pooled.csv, its curve pools both images, its truth is their mean', async () => {
    const pooled = await readCsv(join(run, 'histograms-pooled.csv'));
    const row = pooled.rows[0]!;
    const b = d.batch!;
    expect(b.row!.n).toBe(Number(row[1]));
    expect(b.row!.vector).toEqual(row.slice(2, 7).map(Number));
    expect(b.row!.percentiles.map((p) => p.value)).toEqual(PERCENTILE_KEYS.map((k) => Number(row[pooled.header.indexOf(k)])));
    expect(b.images).toBe(2);
    expect(passingDiameter(b.curve, 50)).toBeCloseTo(Number(row[pooled.header.indexOf('d50')]), 3);
    const truths = d.images.map((im) => im.truth!);
    expect(b.truth).toEqual(truths[0]!.map((t, k) => (t + truths[1]![k]!) / 2));
  });

  it("the outline layer gives every binned particle its bin's colour, at the instance map's size", async () => {
    for (const name of ['g02_001', 'g03_001']) {
      const map = await readInstancePng(join(run, 'instances', `${name}.png`));
      const layer = await readImage(join(run, 'report', 'outlines', `${name}.png`));
      expect([layer.width, layer.height, layer.channels]).toEqual([map.width, map.height, 4]);
      const items = particleTableItems(await readCsv(join(run, 'particles', `${name}.csv`)), spec, 0.1);
      const colours = binColours(5);
      let checked = 0;
      for (const it of items) {
        const cls = classifyItem(it, spec);
        if (typeof cls !== 'number' || it.touchesEdge) continue;
        // The particle's first pixel in raster order is on its outline (the pixel above is not the particle).
        const p = map.data.indexOf(it.id);
        expect([...layer.data.subarray(p * 4, p * 4 + 4)]).toEqual([...colours[cls]!, 255]);
        checked += 1;
      }
      expect(checked).toBeGreaterThan(50);
    }
  });

  it('the page shows the curves, the batch section, the layer over the overlay, the legend and links to the CSVs', async () => {
    const html = await readFile(join(run, 'report', 'index.html'), 'utf8');
    expect(html.match(/<svg class="curve"/g)).toHaveLength(3);
    expect(html).toMatch(/<section class="card" id="batch"><h2>Batch: all particles pooled<\/h2>/);
    expect(html).toContain('truth (mean of 2 photos), at the bin edges');
    expect(html).toContain('<img class="layer" src="outlines/g02_001.png"');
    expect(html).toContain('<a href="histograms-pooled.csv" download>histograms-pooled.csv</a>');
    expect(html).toContain('<a href="histograms.csv" download>histograms.csv</a>');
    expect(html).toMatch(/Outlines by bin: .*&lt; 4 mm.*≥ 11\.2 mm.*touching the edge, not in the vector/);
    expect(html).toMatch(/<th>Cu<\/th><th>Cc<\/th>/);
    expect(await readFile(join(run, 'report', 'histograms-pooled.csv'), 'utf8')).toBe(await readFile(join(run, 'histograms-pooled.csv'), 'utf8'));
  });

  it('one bin holding > 80 % of a photo: segment names it on stderr, the report lists it under the photo', async () => {
    const out = join(tmp.dir, 'coarse');
    let lines = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines += String(chunk);
      return true;
    });
    const seg = await capture(['segment', join(tmp.dir, 'photos', 'g02_001.jpg'), '--out', out, '--model', 'classical', '--workers', '0', '--scale', '0.1', '--bins', '1', '--overlays', 'none']);
    vi.restoreAllMocks();
    expect(seg.exitCode).toBe(0);
    expect(lines).toMatch(/^warning: g02_001: \d+\.\d % of its mass-weighted vector is in one bin \(≥ 1 mm\), so the vector says little about its sizes: pass --bins with edges inside that bin, e\.g\. --bins [\d.,]+ \(the batch's D20\/D40\/D60\/D80 on standard sieves\)$/m);
    expect(seg.out).not.toMatch(/vector is in one bin/);
    await writeReport({ dir: out });
    const html = await readFile(join(out, 'report', 'index.html'), 'utf8');
    expect(html).toMatch(/g02_001<\/a>: \d+\.\d % of its mass-weighted vector is in one bin \(≥ 1 mm\)/);
    // Without overlays the outlines are shown alone.
    expect(html).toContain('The outlines are shown alone.');
  });
});
