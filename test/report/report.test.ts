// The report without a browser: loading a run folder, the page's text (numbers, escaping, missing parts), the files
// written beside it, errors for folders that are not runs, and the CLI.
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CLIENT_SCRIPT, barChart, binLabel, escapeHtml, jsonForScript, loadRun, renderReport, writeReport } from '../../src/report/index.js';
import type { ReportAssets } from '../../src/report/index.js';
import { capture, resetCliAfterEach } from '../helpers/cli.js';
import { errorLineOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { BINS, ODD_NAME, writeFakeRun } from './fakeRun.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
const noAssets: ReportAssets = { overlaySrc: () => null, csvHref: () => null };
const now = new Date('2026-02-03T04:05:06.000Z');

beforeAll(async () => {
  tmp = await tempDir();
  await writeFakeRun(join(tmp.dir, 'full'));
  await writeFakeRun(join(tmp.dir, 'notruth'), { truth: false });
  await writeFakeRun(join(tmp.dir, 'nobins'), { bins: false });
  await writeFakeRun(join(tmp.dir, 'eval'), { evaluation: true });
  await writeFakeRun(join(tmp.dir, 'jpg'), { overlays: 'jpg' });
  await writeFakeRun(join(tmp.dir, 'none'), { overlays: 'none' });
});
resetCliAfterEach();

describe('html helpers', () => {
  it('escapes text and keeps JSON blocks closed', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const tricky = { s: '</script><script>alert(1)</script><!--', line: '\u2028' };
    const text = jsonForScript(tricky);
    expect(text).not.toMatch(/<|>|\u2028/);
    expect(JSON.parse(text)).toEqual(tricky);
  });

  it('names bins for people and draws one bar per value', () => {
    expect(BINS.map(binLabel)).toEqual(['< 4 mm', '4–8 mm', '≥ 8 mm']);
    expect(binLabel('2.8_4px')).toBe('2.8–4 px');
    expect(binLabel('custom')).toBe('custom');
    const both = barChart(BINS, [0.2, 0.3, 0.5], [0.1, 0.4, 0.5]);
    expect(both.match(/<rect class="pred" x/g)).toHaveLength(3);
    expect(both.match(/<rect class="truth" x/g)).toHaveLength(3);
    expect(both).toContain('&lt; 4 mm measured: 0.200');
    const empty = barChart(BINS, [null, null, null], null);
    expect(empty).not.toMatch(/<rect class="pred" x/);
    expect(empty).toContain('no measurable particle');
  });

  it('the inline script is valid JavaScript', () => {
    expect(() => new Script(CLIENT_SCRIPT, { filename: 'report-client.js' })).not.toThrow();
  });
});

describe('loadRun', () => {
  it('reads vectors and percentiles from histograms.csv, truth and RMSE from run.json, edge counts from the particle table', async () => {
    const d = await loadRun(join(tmp.dir, 'full'));
    expect(d.bins).toEqual(BINS);
    expect(d.images.map((im) => im.status)).toEqual(['done', 'done', 'failed']);
    const odd = d.images[0]!;
    expect(odd.name).toBe(ODD_NAME);
    expect(odd.vector).toEqual([0.125, 0.5, 0.375]);
    expect(odd.percentiles).toEqual([
      { name: 'D10', value: 2.5 },
      { name: 'D50', value: 5.25 },
      { name: 'D90', value: 9.75 },
    ]);
    expect(odd.truth).toEqual([0.2, 0.4, 0.4]);
    expect(odd.metrics).toMatchObject({ rmse: 0.0790569415, source: 'run.json' });
    expect(odd.particles).toBe(3);
    expect(odd.binned).toBe(2);
    expect(odd.edgeTouching).toBe(1);
    expect(odd.seconds).toBeCloseTo(1.5, 9);
    expect(odd.table?.rows[1]?.slice(0, 3)).toEqual([2, 20.25, 12.5]);
    expect(d.images[2]!.error).toMatch(/cannot decode/);
    expect(d.summary.meanRmse).toBeCloseTo(0.0395284708, 9);
    expect(d.problems).toEqual([]);
  });

  it('takes the scores of evaluation.json when it is there', async () => {
    const d = await loadRun(join(tmp.dir, 'eval'));
    expect(d.evaluation?.overall.skill).toBe(0.6797);
    expect(d.images[0]!.metrics).toMatchObject({ mae: 0.0666666667, group: 'G0', source: 'evaluation.json' });
  });

  it('refuses folders that are not segment runs, naming the file and the fix', async () => {
    expect(await errorLineOf(() => loadRun(join(tmp.dir, 'nope')))).toMatch(/nope: not a folder\. Fix: pass the --out folder of a photosieve segment run/);
    await writeFile(join(tmp.dir, 'x.txt'), '');
    expect(await errorLineOf(() => loadRun(tmp.dir))).toBe(`no run.json in ${tmp.dir}. Fix: run photosieve segment IMAGES... --out ${tmp.dir} first`);
    const bad = join(tmp.dir, 'badjson');
    await writeFakeRun(bad);
    await writeFile(join(bad, 'run.json'), '{"tool": "photosieve segment", "images": [');
    expect(await errorLineOf(() => loadRun(bad))).toMatch(/badjson\/run\.json: not valid JSON \(.*\)\. Fix: run photosieve segment IMAGES\.\.\. --out .*badjson --force again/);
    await writeFile(join(bad, 'run.json'), JSON.stringify({ tool: 'photosieve segment', model: {}, images: [{ name: 'a', status: 3 }] }));
    expect(await errorLineOf(() => loadRun(bad))).toMatch(/run\.json: not a run\.json written by photosieve segment: images\[0\]\.(path|status): /);
    await writeFile(join(bad, 'run.json'), JSON.stringify({ tool: 'photosieve segment', model: {}, images: [{ name: '../../etc/passwd', status: 'done' }] }));
    expect(await errorLineOf(() => loadRun(bad))).toMatch(/images\[0\]\.name: must be a file stem/);
  });

  it('names a damaged histograms.csv or evaluation.json with the fix', async () => {
    const dir = join(tmp.dir, 'badcsv');
    await writeFakeRun(dir);
    await writeFile(join(dir, 'histograms.csv'), 'image,n_particles,lt_4mm\n"plain,2\n');
    expect(await errorLineOf(() => loadRun(dir))).toMatch(/histograms\.csv: unterminated quoted field\. Fix: run photosieve segment/);
    await writeFile(join(dir, 'histograms.csv'), 'name,value\nplain,2\n');
    expect(await errorLineOf(() => loadRun(dir))).toMatch(/histograms\.csv: not a photosieve histograms\.csv/);
    await writeFakeRun(dir, { evaluation: true });
    await writeFile(join(dir, 'evaluation.json'), '{"tool": "photosieve evaluate"}');
    expect(await errorLineOf(() => loadRun(dir))).toMatch(/evaluation\.json: not a evaluation\.json written by photosieve evaluate: bins: .* Fix: run photosieve evaluate --pred .* again, or delete it/);
  });

  it('a damaged or missing per-image file is a problem line, not a stop', async () => {
    const dir = join(tmp.dir, 'partial');
    await writeFakeRun(dir);
    await writeFile(join(dir, 'particles', 'plain.csv'), 'a,b\n1,2\n');
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, 'overlays', `${ODD_NAME}.png`));
    const d = await loadRun(dir);
    expect(d.problems).toHaveLength(2);
    expect(d.problems.join('\n')).toMatch(/particles\/plain\.csv: not a photosieve particle table: no column id/);
    expect(d.problems.join('\n')).toMatch(/overlays\/a<b>&"c #1\.png: missing/);
    expect(d.images[1]!.table).toBeNull();
    expect(d.images[0]!.overlay).toBeNull();
  });
});

describe('renderReport', () => {
  it('shows the numbers of the files, escapes every name and error, and loads nothing from the network', async () => {
    const html = renderReport(await loadRun(join(tmp.dir, 'full')), { assets: noAssets, now });
    expect(html).toContain('a&lt;b&gt;&amp;&quot;c #1');
    expect(html).not.toContain(ODD_NAME);
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('cannot decode &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toMatch(/<td>0\.125<\/td><td>0\.500<\/td><td>0\.375<\/td>/);
    expect(html).toContain('<b>0.0395</b>'); // mean RMSE of run.json
    expect(html).toContain('<td>0.0791</td>'); // the image's RMSE
    expect(html).toContain('<td>5.25</td>'); // D50
    expect(html).toMatch(/3 image\(s\): 2 done, 0 skipped .*, 1 failed/);
    expect(html).toContain('1 of 3 particles touch the image or ROI edge, left out of the vector (--edge exclude)');
    expect(html).toContain('6.3 % of the particle area lies in particles below the detection limit (3 px)');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('2026-02-03T04:05:06.000Z');
    // The particle table's data parses back to the CSV's numbers.
    const block = /<script type="application\/json" id="particles-0">(.*?)<\/script>/.exec(html)?.[1];
    expect((JSON.parse(block!) as { rows: number[][] }).rows[2]).toContain(30.5);
  });

  it('without truth: no truth bars, columns or scores', async () => {
    const html = renderReport(await loadRun(join(tmp.dir, 'notruth')), { assets: noAssets, now });
    expect(html).not.toContain('<rect class="truth" x');
    expect(html).not.toContain('<th>truth</th>');
    expect(html).not.toContain('Scores against the truth');
    expect(html).toContain('<td>0.125</td>');
  });

  it('without bins: particle tables, no vectors', async () => {
    const html = renderReport(await loadRun(join(tmp.dir, 'nobins')), { assets: noAssets, now });
    expect(html).toContain('the run had no <code>--scale</code> or <code>--bins</code>');
    expect(html).not.toContain('<svg');
    expect(html).toContain('id="particles-1"');
  });

  it('with evaluation.json: MAE, KL, the constant predictor and skill', async () => {
    const html = renderReport(await loadRun(join(tmp.dir, 'eval')), { assets: noAssets, now });
    for (const text of ['mean MAE', '<b>0.0333</b>', 'constant predictor RMSE', '<b>0.1234</b>', 'skill', '<b>0.680</b>', '(group G0)']) expect(html).toContain(text);
  });
});

describe('writeReport', () => {
  it('copies overlays and tables beside the page under their names, links them URL-encoded, leaves no temp file', async () => {
    const dir = join(tmp.dir, 'full');
    const r = await writeReport({ dir, now });
    expect(r.file).toBe(join(dir, 'report', 'index.html'));
    const html = await readFile(r.file, 'utf8');
    const enc = encodeURIComponent(ODD_NAME);
    expect(html).toContain(`src="overlays/${enc}.png"`);
    expect(html).toContain(`href="particles/${enc}.csv"`);
    expect(existsSync(join(dir, 'report', 'overlays', `${ODD_NAME}.png`))).toBe(true);
    expect(existsSync(join(dir, 'report', 'particles', 'plain.csv'))).toBe(true);
    expect(existsSync(join(dir, 'report', 'histograms.csv'))).toBe(true);
    expect(html).toContain('<a href="histograms.csv" download>histograms.csv</a>');
    expect(r.copied).toHaveLength(5); // 2 overlays, 2 particle tables, histograms.csv
    const all = [...(await readdir(join(dir, 'report'))), ...(await readdir(join(dir, 'report', 'overlays')))];
    expect(all.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('JPEG overlays (the segment default) are found, copied under their own extension and embedded as JPEG', async () => {
    const dir = join(tmp.dir, 'jpg');
    const d = await loadRun(dir);
    expect(d.problems).toEqual([]);
    expect(d.images[1]!.overlay).toBe(join(dir, 'overlays', 'plain.jpg'));
    const r = await writeReport({ dir, now });
    const html = await readFile(r.file, 'utf8');
    expect(html).toContain(`src="overlays/${encodeURIComponent(ODD_NAME)}.jpg"`);
    expect(existsSync(join(dir, 'report', 'overlays', 'plain.jpg'))).toBe(true);
    const embedded = await readFile((await writeReport({ dir, out: join(tmp.dir, 'jpg-embed', 'one.html'), embed: true, now })).file, 'utf8');
    expect(embedded.match(/src="data:image\/jpeg;base64,\/9j\//g)).toHaveLength(2);
  });

  it('a run with --overlays none: no problem lines, a note instead of the viewer, nothing copied for overlays', async () => {
    const dir = join(tmp.dir, 'none');
    const d = await loadRun(dir);
    expect(d.problems).toEqual([]);
    expect(d.images.map((im) => im.overlay)).toEqual([null, null, null]);
    const r = await writeReport({ dir, now });
    const html = await readFile(r.file, 'utf8');
    expect(html).toContain('No overlay for plain: the run was made with --overlays none.');
    expect(html).not.toMatch(/<img src="overlays\//);
    expect(existsSync(join(dir, 'report', 'overlays'))).toBe(false);
    expect(r.copied).toHaveLength(3);
  });

  it('--embed puts the overlays inside the page and copies nothing', async () => {
    const dir = join(tmp.dir, 'notruth');
    const out = join(tmp.dir, 'single', 'one.html');
    const r = await writeReport({ dir, out, embed: true, now });
    const html = await readFile(out, 'utf8');
    expect(html.match(/src="data:image\/png;base64,iVBORw0KGgo/g)).toHaveLength(2);
    expect(r.copied).toEqual([]);
    expect(await readdir(join(tmp.dir, 'single'))).toEqual(['one.html']);
  });

  it('a page written into the run folder itself uses its files in place', async () => {
    const dir = join(tmp.dir, 'eval');
    const r = await writeReport({ dir, out: join(dir, 'report.html'), now });
    expect(r.copied).toEqual([]);
    expect(await readFile(r.file, 'utf8')).toContain('src="overlays/plain.png"');
  });

  it('refuses an --out that is not an .html file (it could overwrite the run)', async () => {
    expect(await errorLineOf(() => writeReport({ dir: join(tmp.dir, 'full'), out: join(tmp.dir, 'full', 'run.json') }))).toMatch(/--out must be an HTML file name ending in \.html/);
  });
});

describe('photosieve report (CLI, in-process)', () => {
  it('--help explains the output and gives examples', async () => {
    const { out, exitCode } = await capture(['report', '--help']);
    expect(exitCode).toBe(0);
    expect(out).toContain('DIR/report/index.html');
    expect(out).toMatch(/Examples:\n {2}photosieve segment .* && photosieve report results/);
    expect(out).toContain('--embed');
  });

  it('the command list names report', async () => {
    const { out } = await capture(['--help']);
    expect(out).toMatch(/report .*HTML report/);
  });

  it('writes the page and says where; a damaged image file sets exit code 1 and is listed', async () => {
    const ok = await capture(['report', join(tmp.dir, 'notruth')]);
    expect(ok.exitCode).toBe(0);
    expect(ok.out).toMatch(/^report: 3 image\(s\) \(1 failed\), 6 particle\(s\); .* 5 file\(s\) copied beside it$/m);
    expect(ok.out).toContain(`written: ${join(tmp.dir, 'notruth', 'report', 'index.html')}`);
    const dir = join(tmp.dir, 'damaged');
    await writeFakeRun(dir);
    await writeFile(join(dir, 'particles', 'plain.csv'), '"id\n');
    const bad = await capture(['report', dir]);
    expect(bad.exitCode).toBe(1);
    expect(bad.out).toMatch(/warning: .*plain\.csv: unterminated quoted field/);
    expect(existsSync(join(dir, 'report', 'index.html'))).toBe(true);
  });

  it('a folder without run.json: one line naming the fix', async () => {
    expect(await errorLineOf(() => main(['report', join(tmp.dir, 'single')]))).toMatch(/no run\.json in .*single\. Fix: run photosieve segment IMAGES\.\.\. --out .*single first/);
  });
});
