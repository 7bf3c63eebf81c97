// Every malformed case of the issue gives its own message, naming file, annotation and label, and what was done.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnnotateReport, AnnotationIssue } from '../../src/annotate/index.js';
import { formatIssue, runAnnotate } from '../../src/annotate/index.js';
import { readInstancePng } from '../../src/io/index.js';
import { rows } from '../helpers/grid.js';
import { tempDir } from '../helpers/tmp.js';

const labelme = (shapes: unknown[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ version: '5.5.0', shapes, imagePath: 'missing.png', imageData: null, imageWidth: 8, imageHeight: 6, ...extra });
const poly = (points: unknown, label = 'stone'): unknown => ({ label, points, shape_type: 'polygon', group_id: null });
const SQUARE = [
  [1, 1],
  [4, 1],
  [4, 4],
  [1, 4],
];

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});

async function run(name: string, content: string, strict = false): Promise<AnnotateReport> {
  const file = await tmp.write(`${name}/${name}.json`, content);
  return runAnnotate({ labels: [file], out: join(tmp.dir, name, 'out'), strict });
}

function only(report: AnnotateReport, code: AnnotationIssue['code']): AnnotationIssue {
  const found = report.issues.filter((i) => i.code === code);
  expect(found, JSON.stringify(report.issues)).toHaveLength(1);
  return found[0]!;
}

describe('validation and repair messages', () => {
  it('fewer than 3 points: error, shape skipped, others kept', async () => {
    const r = await run('few', labelme([poly([[1, 1], [3, 3]]), poly(SQUARE)]));
    const i = only(r, 'too_few_points');
    expect(i).toMatchObject({ severity: 'error', annotation: '#0', label: 'stone', image: 'missing.png' });
    expect(formatIssue(i)).toMatch(/few\.json missing\.png #0 label "stone": a polygon needs at least 3 distinct points, this one has 2 → shape skipped/);
    expect(r.totals.particles).toBe(1);
  });

  it('zero area: error', async () => {
    const r = await run('zero', labelme([poly([[1, 1], [2, 2], [3, 3]])]));
    expect(only(r, 'zero_area')).toMatchObject({ severity: 'error', message: expect.stringMatching(/zero area/) });
  });

  it('NaN and infinite coordinates (as Python writes them): dropped and reported', async () => {
    const text = labelme([poly([[1, 1], [4, 1], [4, 4], [1, 4], ['NAN_X', 2], [2, 'INF_Y']])])
      .replace('"NAN_X"', 'NaN')
      .replace('"INF_Y"', '-Infinity');
    const r = await run('nan', text);
    expect(only(r, 'non_finite')).toMatchObject({ severity: 'repair', message: '2 point(s) with NaN, infinite or missing coordinates' });
    expect(r.totals.particles).toBe(1);
  });

  it('self-intersection: repaired with polygon-clipping into a bow-tie of two triangles', async () => {
    const r = await run('bowtie', labelme([poly([[0, 0], [6, 6], [0, 6], [6, 0]])]));
    expect(only(r, 'self_intersection')).toMatchObject({ severity: 'repair', action: expect.stringMatching(/polygon-clipping/) });
    const map = await readInstancePng(join(tmp.dir, 'bowtie', 'out', 'instances', 'missing.png'));
    expect(rows(map)).toEqual(['11111...', '.111....', '..1.....', '..1.....', '.111....', '11111...']);
  });

  it('points outside the image: clipped, with the share that was cut', async () => {
    const r = await run('outside', labelme([poly([[4, 2], [12, 2], [12, 4], [4, 4]])]));
    expect(only(r, 'outside_image')).toMatchObject({ severity: 'repair', message: '50.0 % of the shape lies outside the 8×6 image', action: 'clipped to the image' });
  });

  it('a shape entirely outside the image: error', async () => {
    const r = await run('away', labelme([poly([[20, 20], [30, 20], [30, 30]])]));
    expect(only(r, 'outside_image')).toMatchObject({ severity: 'error', message: expect.stringMatching(/entirely outside/) });
  });

  it('--strict turns repairs into errors and skips the shape', async () => {
    await tmp.write('strict/missing.png', await (await import('sharp')).default({ create: { width: 8, height: 6, channels: 3, background: '#888' } }).png().toBuffer());
    const r = await run('strict', labelme([poly([[4, 2], [12, 2], [12, 4], [4, 4]]), poly(SQUARE)]), true);
    const i = r.issues.find((x) => x.code === 'outside_image')!;
    expect(i.severity).toBe('error');
    expect(i.action).toMatch(/--strict.*clipped to the image/);
    expect(r.totals.particles).toBe(1);
  });

  it('image size in the label file differs from the real image', async () => {
    const dir = join(tmp.dir, 'size');
    await tmp.write('size/real.png', await (await import('sharp')).default({ create: { width: 16, height: 12, channels: 3, background: '#888' } }).png().toBuffer());
    const file = await tmp.write('size/a.json', labelme([poly(SQUARE)], { imagePath: 'real.png', imageWidth: 8, imageHeight: 6 }));
    const r = await runAnnotate({ labels: [file], out: join(dir, 'out') });
    expect(only(r, 'size_mismatch')).toMatchObject({ severity: 'repair', message: expect.stringMatching(/says 8×6, the image .*real\.png is 16×12/), action: expect.stringMatching(/scaled the polygons by 2\.0000×2\.0000/) });
    const file2 = await tmp.write('size/b.json', labelme([poly(SQUARE)], { imagePath: 'real.png', imageWidth: 10, imageHeight: 3 }));
    const r2 = await runAnnotate({ labels: [file2], out: join(dir, 'out2') });
    expect(only(r2, 'size_mismatch')).toMatchObject({ severity: 'error', action: expect.stringMatching(/image skipped/) });
    expect(r2.totals.skippedImages).toBe(1);
  });

  it('unknown image reference (COCO image_id not in images)', async () => {
    const coco = { images: [{ id: 1, file_name: 'a.png', width: 8, height: 6 }], annotations: [{ id: 1, image_id: 9, category_id: 1, segmentation: [[1, 1, 4, 1, 4, 4]] }], categories: [{ id: 1, name: 'stone' }] };
    const r = await run('unknownimage', JSON.stringify(coco));
    expect(only(r, 'unknown_image')).toMatchObject({ severity: 'error', annotation: 'annotations[0] id=1', message: 'image_id 9 is not in images' });
  });

  it('an image file that cannot be found: the size in the label file is used, with a warning', async () => {
    const r = await run('noimage', labelme([poly(SQUARE)]));
    expect(only(r, 'image_not_found')).toMatchObject({ severity: 'warning', action: expect.stringMatching(/used the size in the label file \(8×6\)/) });
    const none = await run('nosize', labelme([poly(SQUARE)], { imageWidth: null, imageHeight: null }));
    expect(only(none, 'image_not_found')).toMatchObject({ severity: 'error', action: expect.stringMatching(/--images DIR/) });
  });

  it('duplicate ids: annotation ids kept apart (repair), image ids refused (error)', async () => {
    const coco = {
      images: [
        { id: 1, file_name: 'a.png', width: 8, height: 6 },
        { id: 1, file_name: 'b.png', width: 8, height: 6 },
      ],
      annotations: [
        { id: 5, image_id: 1, segmentation: [[0, 0, 3, 0, 3, 3, 0, 3]] },
        { id: 5, image_id: 1, segmentation: [[4, 0, 7, 0, 7, 3, 4, 3]] },
      ],
    };
    const r = await run('dup', JSON.stringify(coco));
    const dups = r.issues.filter((i) => i.code === 'duplicate_id');
    expect(dups.map((d) => d.severity).sort()).toEqual(['error', 'repair']);
    expect(dups.find((d) => d.severity === 'error')!.message).toBe('image id 1 is used twice (images[1])');
    expect(r.totals.particles).toBe(2);
  });

  it('malformed files never crash the batch: each is reported, the good one is written, errors counted', async () => {
    const good = await tmp.write('batch/good.json', labelme([poly(SQUARE)]));
    const broken = await tmp.write('batch/broken.json', '{"shapes": [');
    const wrong = await tmp.write('batch/wrong.json', JSON.stringify({ shapes: [{ label: 1, points: [] }], imagePath: 'x.png' }));
    const unknown = await tmp.write('batch/unknown.json', JSON.stringify({ hello: 'world' }));
    const xml = await tmp.write('batch/bad.xml', '<annotations><image name="a.png"></annotations>');
    const r = await runAnnotate({ labels: [broken, good, wrong, unknown, xml, join(tmp.dir, 'batch', 'absent.json')], out: join(tmp.dir, 'batch', 'out') });
    expect(r.totals.failedFiles).toBe(5);
    expect(r.totals.images).toBe(1);
    const msgs = r.issues.filter((i) => i.code === 'malformed_file').map((i) => `${i.file.split('/').pop()}: ${i.message}`);
    expect(msgs).toEqual([
      expect.stringMatching(/^broken\.json: not valid JSON/),
      expect.stringMatching(/^wrong\.json: not a valid LabelMe file: shapes\[0\]\.label: .*Fix: fix that field/),
      expect.stringMatching(/^unknown\.json: cannot tell the format.*--format/),
      expect.stringMatching(/^bad\.xml: not valid XML \(line 1/),
      expect.stringMatching(/^absent\.json: label file not found/),
    ]);
  });
});

describe('grouped parts', () => {
  it('overlapping parts of one group_id are united, not cancelled by the even-odd fill', async () => {
    const shapes = [
      { label: 'stone', points: [[0, 0], [4, 0], [4, 4], [0, 4]], shape_type: 'polygon', group_id: 3 },
      { label: 'stone', points: [[2, 2], [6, 2], [6, 6], [2, 6]], shape_type: 'polygon', group_id: 3 },
    ];
    const r = await run('group', labelme(shapes, { imageWidth: 7, imageHeight: 7 }));
    expect(r.totals.particles).toBe(1);
    const map = await readInstancePng(join(tmp.dir, 'group', 'out', 'instances', 'missing.png'));
    expect(rows(map)).toEqual(['1111...', '1111...', '111111.', '111111.', '..1111.', '..1111.', '.......']);
  });
});
