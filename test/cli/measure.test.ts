// measure → evaluate → calibrate through the CLI on small hand-made instance maps.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { EvaluationReport } from '../../src/aggregate/index.js';
import { main } from '../../src/cli/main.js';
import { writeInstancePng } from '../../src/io/index.js';
import { errorLineOf } from '../helpers/errors.js';
import { capture, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;

/** A 40×40 map with squares of the given sides placed on a diagonal, away from the edges. */
function squares(sides: number[]): { width: number; height: number; data: Int32Array } {
  const W = 60;
  const data = new Int32Array(W * W);
  let x = 2;
  sides.forEach((s, k) => {
    for (let i = 2; i < 2 + s; i++) for (let j = x; j < x + s; j++) data[i * W + j] = k + 1;
    x += s + 2;
  });
  return { width: W, height: W, data };
}

beforeAll(async () => {
  tmp = await tempDir();
  await writeInstancePng(join(tmp.dir, 'inst', 'a1.png'), squares([2, 2, 6]));
  await writeInstancePng(join(tmp.dir, 'inst', 'a2.png'), squares([2, 6, 2]));
  await writeInstancePng(join(tmp.dir, 'inst', 'b1.png'), squares([6, 6, 2]));
  await writeInstancePng(join(tmp.dir, 'inst', 'b2.png'), squares([6, 2, 6, 6]));
  await writeInstancePng(join(tmp.dir, 'inst', 'c1.png'), squares([2, 2, 2, 6]));
  // Count-weighted truth with fines under-counted by the photo: the "sieve" sees twice the share of size 2.
  await tmp.write('truth.csv', 'image,group,small,large\na1.png,A,0.8,0.2\na2.png,A,0.8,0.2\nb1,B,0.5,0.5\nb2,B,0.4,0.6\nc1,C,0.857142857,0.142857143\n');
});
resetCliAfterEach();

describe('measure / evaluate / calibrate', () => {
  it('measure writes particle tables and histograms with the contract columns', async () => {
    const { out, exitCode } = await capture(['measure', join(tmp.dir, 'inst'), '--bins', '4', '--bins-px', '--weight', 'count', '--out', join(tmp.dir, 'm')]);
    expect(exitCode).toBe(0);
    expect(out).toMatch(/measure: 5 image\(s\), 17 particle\(s\); 0 failed/);
    const hist = await readFile(join(tmp.dir, 'm', 'histograms.csv'), 'utf8');
    expect(hist.split('\n')[0]).toBe('image,n_particles,lt_4px,ge_4px,d10,d16,d30,d50,d60,d84,d90,cu,cc');
    expect(hist).toContain('a1,3,0.66666667,0.33333333,');
    // The pooled row: all 17 particles of the five images, with the same columns. Nine 2×2 squares (b-axis 2) and
    // eight 6×6 ones (b-axis 6.8313 in their tables), count-weighted: Hazen positions 4.5/17 and 13/17, so D10 = D16
    // = 2, D84 = D90 = 6.8313, and D50 = 2·(6.8313/2)^(8/17) = 3.5651375 (8/17 of the way in log size).
    const pooled = (await readFile(join(tmp.dir, 'm', 'histograms-pooled.csv'), 'utf8')).split('\n');
    expect(pooled[0]).toBe(hist.split('\n')[0]);
    expect(Number((2 * (6.8313 / 2) ** (8 / 17)).toPrecision(8))).toBe(3.5651375);
    expect(pooled[1]).toBe('pooled,17,0.52941176,0.47058824,2,2,2.1811571,3.5651375,4.5579647,6.8313,6.8313,2.2789823,0.52188273');
    expect(out).toMatch(/^pooled \(5 image\(s\), 17 particle\(s\)\): lt_4px 0\.529, ge_4px 0\.471$/m);
    expect(out).toMatch(/^ {2}D10 [\d.]+, D16 [\d.]+, D30 [\d.]+, D50 [\d.]+, D60 [\d.]+, D84 [\d.]+, D90 [\d.]+ px; Cu [\d.]+, Cc [\d.]+ → .*histograms-pooled\.csv$/m);
  });

  it('warns on stderr, one line per photo, when one bin holds more than 80 % of its vector', async () => {
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
    // Area weighting: a 6×6 square outweighs two 2×2 ones 36:8, so a1 (2, 2, 6) puts 82 % in the upper bin.
    const { out, exitCode } = await capture(['measure', join(tmp.dir, 'inst'), '--bins', '4', '--bins-px', '--out', join(tmp.dir, 'm-area')]);
    vi.restoreAllMocks();
    expect(exitCode).toBe(0);
    const lines = err.split('\n').filter((l) => l.startsWith('warning:'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^warning: a1: 8\d\.\d % of its area-weighted vector is in one bin \(≥ 4 px\), so the vector says little about its sizes: pass --bins with edges inside that bin/);
    expect(out).not.toMatch(/vector is in one bin/);
  });

  it('evaluate scores images and groups against the truth and the constant predictor', async () => {
    const { out, exitCode } = await capture(['evaluate', '--pred', join(tmp.dir, 'm'), '--truth', join(tmp.dir, 'truth.csv'), '--by', 'group']);
    expect(exitCode).toBe(0);
    expect(out).toMatch(/overall: 5 image\(s\), RMSE 0\.\d{4} \(constant predictor 0\.\d{4}, skill/);
    const r = JSON.parse(await readFile(join(tmp.dir, 'm', 'evaluation.json'), 'utf8')) as EvaluationReport;
    const a1 = r.images.find((x) => x.image === 'a1')!;
    expect(a1.rmse).toBeCloseTo(Math.sqrt(((0.8 - 2 / 3) ** 2 * 2) / 2), 6);
    const gA = r.groups.find((g) => g.group === 'A')!;
    // Pooled: six particles of A, four small → 2/3; mean of images is the same here.
    expect(gA.pooled!.pred[0]).toBeCloseTo(4 / 6, 6);
    expect(r.baseline.kind).toBe('leave-one-group-out');
  });

  it('calibrate learns that the photo under-counts fines, and evaluate --calibration uses it', async () => {
    const calib = join(tmp.dir, 'calib.json');
    const { out } = await capture(['calibrate', '--pred', join(tmp.dir, 'm'), '--truth', join(tmp.dir, 'truth.csv'), '--out', calib, '--lambda', '0.0001']);
    expect(out).toMatch(/leave-one-group-out RMSE: 0\.\d{4} without → 0\.\d{4} with calibration/);
    const c = JSON.parse(await readFile(calib, 'utf8')) as { factors: number[]; logo: { none: number; calibrated: number } };
    expect(c.factors[0]! / c.factors[1]!).toBeGreaterThan(1.5);
    expect(c.logo.calibrated).toBeLessThan(c.logo.none);
    const plain = JSON.parse(await readFile(join(tmp.dir, 'm', 'evaluation.json'), 'utf8')) as EvaluationReport;
    await capture(['evaluate', '--pred', join(tmp.dir, 'm'), '--truth', join(tmp.dir, 'truth.csv'), '--calibration', calib, '--out', join(tmp.dir, 'eval-cal.json')]);
    const cal = JSON.parse(await readFile(join(tmp.dir, 'eval-cal.json'), 'utf8')) as EvaluationReport;
    expect(cal.overall.rmse).toBeLessThan(plain.overall.rmse);
  });

  it('a calibration records the vectors it was fitted on and is refused for vectors of another kind', async () => {
    const calib = join(tmp.dir, 'calib.json');
    const c = JSON.parse(await readFile(calib, 'utf8')) as Record<string, unknown>;
    expect(c.vectors).toEqual({ weight: 'count', measure: 'minor', unit: 'px' });
    const measureWith = (file: string, weight: string): Promise<unknown> =>
      capture(['measure', join(tmp.dir, 'inst'), '--bins', '4', '--bins-px', '--weight', weight, '--calibration', file, '--out', join(tmp.dir, `m-cal-${weight}`)]);
    expect(await errorLineOf(() => measureWith(calib, 'area'))).toBe(
      `${calib}: the calibration was fitted on count-weighted minor (px) vectors, these are area-weighted minor (px). Fix: fit it again with photosieve calibrate on vectors made like these, or make them with --weight count --measure minor`,
    );
    expect((await measureWith(calib, 'count')) as { exitCode: number }).toMatchObject({ exitCode: 0 });
    // A file from before the vectors were recorded was fitted on the default of its time: area-weighted b-axes.
    const old = await tmp.write('calib-old.json', JSON.stringify({ ...c, vectors: undefined }));
    await expect(capture(['evaluate', '--pred', join(tmp.dir, 'm'), '--truth', join(tmp.dir, 'truth.csv'), '--calibration', old])).rejects.toThrow(
      /the calibration was fitted on area-weighted minor vectors \(the file does not say; .*\), these are count-weighted minor \(px\)\./,
    );
  });

  it('bad truth tables are refused with the file, the row and the fix', async () => {
    const bad = await tmp.write('bad.csv', 'image,group,small,large\na1,A,0.5,0.2\n');
    expect(await errorLineOf(() => main(['evaluate', '--pred', join(tmp.dir, 'm'), '--truth', bad]))).toMatch(/bad\.csv: row 2 \(a1\) sums to 0\.7000, not 1\. Fix: normalize each row/);
    const wrong = await tmp.write('wrong.csv', 'name,small,large\na1,0.5,0.5\n');
    expect(await errorLineOf(() => main(['evaluate', '--pred', join(tmp.dir, 'm'), '--truth', wrong]))).toMatch(/needs the columns image,group/);
  });

  it('the weighting defaults to mass with a scale (sieve results are mass fractions) and to area without', async () => {
    const weightOf = async (args: string[]): Promise<string> => {
      const dir = join(tmp.dir, `w-${args.join('')}`);
      // One photo of three stones puts most of its vector in one bin: that stderr line is tested above.
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      expect((await capture(['measure', join(tmp.dir, 'inst', 'a1.png'), ...args, '--out', dir])).exitCode).toBe(0);
      return (JSON.parse(await readFile(join(dir, 'measure.json'), 'utf8')) as { spec: { weight: string } }).spec.weight;
    };
    expect(await weightOf(['--scale', '0.5', '--bins', '2'])).toBe('mass');
    expect(await weightOf(['--scale', '0.5'])).toBe('mass');
    expect(await weightOf(['--bins', '4', '--bins-px'])).toBe('area');
    expect(await weightOf(['--scale', '0.5', '--weight', 'area'])).toBe('area');
  });

  it('without a scale, bins must be given and said to be pixels (--bins-px)', async () => {
    expect(await errorLineOf(() => main(['measure', join(tmp.dir, 'inst'), '--out', join(tmp.dir, 'x')]))).toBe(
      'without --scale there are no bin edges to use. Fix: pass --scale MM_PER_PX (the default sieve bins, in mm), or --bins E1,E2,... --bins-px (edges in pixels)',
    );
    expect(await errorLineOf(() => main(['measure', join(tmp.dir, 'inst'), '--bins', '4', '--out', join(tmp.dir, 'x')]))).toBe(
      '--bins without --scale: are the edges millimetres or pixels? Fix: pass --scale MM_PER_PX (or --scales CSV) for edges in mm, or --bins-px for edges in pixels',
    );
    expect(await errorLineOf(() => main(['measure', join(tmp.dir, 'inst'), '--bins-px', '--out', join(tmp.dir, 'x')]))).toBe('--bins-px needs --bins. Fix: pass --bins E1,E2,... (in pixels) with --bins-px');
  });
});
