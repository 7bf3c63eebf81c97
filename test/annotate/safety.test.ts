// annotate against hostile or careless label files: confined image paths (real paths, links followed), regular
// files only, declared sizes checked before allocation, far-out coordinates counted as repairs, inputs never
// overwritten. Each case: its one issue, the rest of the run written.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnnotateOptions, AnnotateReport, AnnotationIssue } from '../../src/annotate/index.js';
import { runAnnotate } from '../../src/annotate/index.js';
import { readInstancePng } from '../../src/io/index.js';
import { pngDeclaring } from '../helpers/pngHeader.js';
import { tempDir } from '../helpers/tmp.js';

const SQUARE = [
  [1, 1],
  [5, 1],
  [5, 5],
  [1, 5],
];
const labelme = (imagePath: string, extra: Record<string, unknown> = {}, points: unknown = SQUARE): string =>
  JSON.stringify({ version: '5.5.0', shapes: [{ label: 'stone', points, shape_type: 'polygon', group_id: null }], imagePath, imageData: null, ...extra });

let tmp: Awaited<ReturnType<typeof tempDir>>;
let secret: string;
beforeAll(async () => {
  tmp = await tempDir();
  // An image outside every folder a label file may reach.
  secret = join(tmp.dir, 'outside', 'secret.png');
  await mkdir(join(tmp.dir, 'outside'), { recursive: true });
  await sharp({ create: { width: 8, height: 6, channels: 3, background: '#fff' } }).png().toFile(secret);
});

async function annotate(name: string, files: Record<string, string | Buffer>, label: string, options: Partial<AnnotateOptions> = {}): Promise<{ report: AnnotateReport; out: string }> {
  for (const [rel, content] of Object.entries(files)) await tmp.write(`${name}/${rel}`, content);
  const out = join(tmp.dir, name, 'out');
  const report = await runAnnotate({ labels: [join(tmp.dir, name, label)], out, ...options });
  return { report, out };
}

function issuesOf(report: AnnotateReport, code: AnnotationIssue['code']): AnnotationIssue[] {
  return report.issues.filter((i) => i.code === code);
}

const png = (w = 8, h = 6): Promise<Buffer> => sharp({ create: { width: w, height: h, channels: 3, background: '#888' } }).png().toBuffer();

describe('confined image paths', () => {
  it('absolute and ../ paths are not opened; the line is the same whether the file exists or not', async () => {
    const refs = [secret, join(tmp.dir, 'outside', 'nothing.png'), '../../outside/secret.png', '../../outside/nothing.png'];
    const messages: string[] = [];
    for (const [k, ref] of refs.entries()) {
      const { report, out } = await annotate(`abs${k}`, { 'labels/a.json': labelme(ref) }, 'labels/a.json');
      const [issue] = issuesOf(report, 'path_refused');
      expect(issue).toMatchObject({ severity: 'error', action: 'image skipped; pass --images DIR with the images, or --allow-outside to follow such paths' });
      messages.push(issue!.message.replace(ref, 'REF'));
      expect(existsSync(join(out, 'images'))).toBe(false);
      expect(report.totals.skippedImages).toBe(1);
    }
    expect(new Set(messages)).toEqual(new Set(['image "REF" leads outside the label file\'s folder (links followed): not read']));
  });

  it('a link inside the folder that leads out is refused like a path, dangling or not', async () => {
    const messages: string[] = [];
    for (const [k, target] of [secret, join(tmp.dir, 'outside', 'gone.png')].entries()) {
      const dir = join(tmp.dir, `link${k}`);
      await mkdir(dir, { recursive: true });
      await symlink(target, join(dir, 'photo.png'));
      const { report } = await annotate(`link${k}`, { 'a.json': labelme('photo.png') }, 'a.json');
      messages.push(issuesOf(report, 'path_refused')[0]!.message);
    }
    expect(messages).toEqual(Array(2).fill('image "photo.png" leads outside the label file\'s folder (links followed): not read'));
  });

  it('a link that stays inside, the file name beside the label file, and COCO\'s ../images are found', async () => {
    const dir = join(tmp.dir, 'inside');
    await tmp.write('inside/real/photo.png', await png());
    await symlink(join(dir, 'real', 'photo.png'), join(dir, 'photo.png'));
    const viaLink = await annotate('inside', { 'a.json': labelme('photo.png') }, 'a.json');
    expect(viaLink.report.totals).toMatchObject({ images: 1, errors: 0 });
    // LabelMe written on another machine: only the file name is looked up here.
    const elsewhere = await annotate('moved', { 'a.json': labelme('C:\\Users\\me\\shots\\b.png'), 'b.png': await png() }, 'a.json');
    expect(elsewhere.report.totals).toMatchObject({ images: 1, errors: 0, warnings: 0 });
    const coco = JSON.stringify({ images: [{ id: 1, file_name: 'c.png', width: 8, height: 6 }], annotations: [{ id: 1, image_id: 1, segmentation: [[1, 1, 5, 1, 5, 5]] }] });
    const layout = await annotate('cocolayout', { 'annotations/x.json': coco, 'images/c.png': await png() }, 'annotations/x.json');
    expect(layout.report.images.map((i) => i.image)).toEqual([join(tmp.dir, 'cocolayout', 'annotations', '..', 'images', 'c.png')]);
  });

  it('--allow-outside follows them (and copies the image)', async () => {
    const { report, out } = await annotate('allowed', { 'labels/a.json': labelme(secret) }, 'labels/a.json', { allowOutside: true });
    expect(report.totals).toMatchObject({ images: 1, errors: 0 });
    expect(existsSync(join(out, 'images', 'secret.png'))).toBe(true);
  });

  it('with --images, paths leading out of it are refused and the message names --images', async () => {
    await tmp.write('imgs/photos/d.png', await png());
    const { report } = await annotate('imgs', { 'a.json': labelme('../../outside/secret.png') }, 'a.json', { images: join(tmp.dir, 'imgs', 'photos') });
    expect(issuesOf(report, 'path_refused')[0]!.message).toBe('image "../../outside/secret.png" leads outside --images DIR (links followed): not read');
  });
});

describe('only regular files', () => {
  it('a FIFO named as the image is reported at once, not waited on', async () => {
    const dir = join(tmp.dir, 'fifo');
    await mkdir(dir, { recursive: true });
    execFileSync('mkfifo', [join(dir, 'pipe.png')]);
    const { report } = await annotate('fifo', { 'a.json': labelme('pipe.png', { imageWidth: 8, imageHeight: 6 }) }, 'a.json');
    expect(issuesOf(report, 'not_a_file')[0]).toMatchObject({ severity: 'error', message: `image "pipe.png" (${join(dir, 'pipe.png')}) is a FIFO (named pipe), not a regular file: not read` });
  });

  it('a folder named x.jpg is reported as a folder', async () => {
    await mkdir(join(tmp.dir, 'folder', 'x.jpg'), { recursive: true });
    const { report } = await annotate('folder', { 'a.json': labelme('x.jpg') }, 'a.json');
    expect(issuesOf(report, 'not_a_file')[0]!.message).toMatch(/^image "x\.jpg" \(.*x\.jpg\) is a folder, not a regular file: not read$/);
  });

  it('a 600 MB label file is too large (with the limit), not "not found"', async () => {
    const big = join(tmp.dir, 'huge.json');
    await writeFile(big, '');
    await truncate(big, 600e6);
    const report = await runAnnotate({ labels: [big], out: join(tmp.dir, 'huge-out') });
    expect(report.issues.map((i) => i.message)).toEqual(['this label file is too large: 600 MB, over the limit of 537 MB (the longest text Node.js can hold in one piece). Fix: split it into smaller label files']);
  });
});

describe('declared sizes are checked before anything is allocated', () => {
  it('COCO 30000×30000 and 1e6×1e6 without images: one line each; the other image and the report are written', async () => {
    const coco = JSON.stringify({
      images: [
        { id: 1, file_name: 'big.png', width: 30000, height: 30000 },
        { id: 2, file_name: 'huge.png', width: 1e6, height: 1e6 },
        { id: 3, file_name: 'ok.png', width: 8, height: 6 },
      ],
      annotations: [1, 2, 3].map((k) => ({ id: k, image_id: k, segmentation: [[1, 1, 5, 1, 5, 5]] })),
    });
    const { report, out } = await annotate('declared', { 'c.json': coco }, 'c.json');
    expect(issuesOf(report, 'image_too_large').map((i) => i.message)).toEqual([
      'the image size declared for "big.png" is 30000×30000 = 900000000 px, over the limit of 100000000 px. Fix: raise the limit with --max-pixels N if you trust the file',
      'the image size declared for "huge.png" is 1000000×1000000 = 1000000000000 px, over the limit of 100000000 px. Fix: raise the limit with --max-pixels N if you trust the file',
    ]);
    expect(report.images.map((i) => i.name)).toEqual(['ok']);
    const written = JSON.parse(await readFile(join(out, 'annotate-report.json'), 'utf8')) as AnnotateReport;
    expect(written.totals).toMatchObject({ images: 1, skippedImages: 2, errors: 2 });
  });

  it('within --max-pixels but over --max-memory: the estimate and the flag', async () => {
    const lm = labelme('absent.png', { imageWidth: 30000, imageHeight: 30000 });
    const { report } = await annotate('declared-mem', { 'a.json': lm }, 'a.json', { maxPixels: 1e9, maxMemory: 2e9 });
    expect(issuesOf(report, 'image_too_large')[0]!.message).toBe(
      'the image size declared for "absent.png" is 30000×30000 px; to annotate it needs about 9.35 GB (10 bytes per pixel + 350 MB), over the limit of 2 GB set by --max-memory. Fix: raise the limit with --max-memory SIZE (e.g. --max-memory 16G) on a machine that has it, or shrink the image',
    );
  });

  it('an image file whose header is a bomb is refused from its header', async () => {
    const { report } = await annotate('bombimg', { 'a.json': labelme('bomb.png'), 'bomb.png': pngDeclaring(20000, 20000) }, 'a.json');
    expect(issuesOf(report, 'image_too_large')[0]!.message).toBe(`${join(tmp.dir, 'bombimg', 'bomb.png')}: the image is 20000×20000 = 400000000 px, over the limit of 100000000 px. Fix: raise the limit with --max-pixels N if you trust the file`);
  });

  it('CVAT: a size that is not a whole number of pixels; a mask over the limit', async () => {
    const xml = `<annotations><version>1.1</version>
<image id="0" name="a.png" width="abc" height="6"><polygon label="s" points="1,1;5,1;5,5"/></image>
<image id="1" name="b.png" width="8" height="6"><mask label="s" rle="0,4" left="0" top="0" width="2" height="2"/>
<mask label="s" rle="200000000" left="0" top="0" width="20000" height="10000"/></image>
</annotations>`;
    const { report } = await annotate('cvatsize', { 'a.xml': xml }, 'a.xml');
    const messages = issuesOf(report, 'malformed_file').map((i) => `${i.image} ${i.annotation ?? ''} ${i.message}`);
    expect(messages).toEqual(['a.png  <image> width="abc" is not a positive whole number of pixels', 'b.png #1 <mask> cannot be decoded (a 20000×10000 mask must have a positive size of at most 100000000 px (--max-pixels))']);
    expect(report.images.map((i) => [i.name, i.particles])).toEqual([['b', 1]]);
  });

  it('COCO RLE: a size other than the image\'s, or over the limit, is refused before decoding', async () => {
    const coco = JSON.stringify({
      images: [{ id: 1, file_name: 'a.png', width: 8, height: 6 }, { id: 2, file_name: 'b.png' }],
      annotations: [
        { id: 1, image_id: 1, segmentation: { size: [100000, 100000], counts: [1e10] } },
        { id: 2, image_id: 2, segmentation: { size: [20000, 20000], counts: [4e8] } },
        { id: 3, image_id: 1, segmentation: [[1, 1, 5, 1, 5, 5]] },
      ],
    });
    const { report } = await annotate('rle', { 'c.json': coco }, 'c.json');
    expect(issuesOf(report, 'malformed_file').map((i) => i.message)).toEqual([
      "RLE size 100000×100000 (size: [100000, 100000]) is not the image's 8×6",
      'RLE size 20000×20000 = 400000000 px is over the limit of 100000000 px (--max-pixels)',
    ]);
  });
});

describe('coordinates far outside the image', () => {
  const FAR = [
    [1, 1],
    [1e308, 1],
    [5, 5],
    [1, 5],
  ];
  it('1e308 is clipped and counted as a repair (it used to vanish in an Infinity − Infinity area)', async () => {
    for (const pixelOrigin of ['corner', 'center'] as const) {
      const { report, out } = await annotate(`far-${pixelOrigin}`, { 'a.json': labelme('none.png', { imageWidth: 8, imageHeight: 6 }, FAR) }, 'a.json', { pixelOrigin });
      expect(issuesOf(report, 'outside_image')).toMatchObject([{ severity: 'repair', message: 'the outline reaches far outside the 8×6 image (a coordinate of 1.00e+308)', action: 'clipped to the image' }]);
      expect(report.totals.repairs).toBe(1);
      const map = await readInstancePng(join(out, 'instances', 'none.png'));
      // The wedge from (1,1) towards x = 1e308 covers the top rows to the right edge.
      expect(map.data[1 * 8 + 7]).toBe(1);
      expect(map.data[0]).toBe(0);
    }
  });

  it('--strict makes it an error; a shape entirely far away is "entirely outside"', async () => {
    const strict = await annotate('far-strict', { 'a.json': labelme('p.png', { imageWidth: 8, imageHeight: 6 }, FAR), 'p.png': await png() }, 'a.json', { strict: true });
    expect(issuesOf(strict.report, 'outside_image')[0]).toMatchObject({ severity: 'error', action: 'not repaired (--strict): shape skipped; would have clipped to the image' });
    const away = await annotate('far-away', { 'a.json': labelme('none.png', { imageWidth: 8, imageHeight: 6 }, [[1e300, 1e300], [2e300, 1e300], [2e300, 2e300]]) }, 'a.json');
    expect(issuesOf(away.report, 'outside_image')[0]).toMatchObject({ severity: 'error', message: 'the shape lies entirely outside the 8×6 image' });
  });
});

describe('inputs are never overwritten', () => {
  it('--out equal to the folder the label file came from: the image is refused, the label file is intact', async () => {
    const dir = join(tmp.dir, 'inplace');
    const content = labelme('../images/p.png');
    await tmp.write('inplace/images/p.png', await png());
    const file = await tmp.write('inplace/labels/p.json', content);
    const report = await runAnnotate({ labels: [file], out: dir });
    expect(issuesOf(report, 'overwrites_input')[0]).toMatchObject({ severity: 'error', message: `writing ${join(dir, 'labels', 'p.json')} would overwrite this input file` });
    expect(await readFile(file, 'utf8')).toBe(content);
  });

  it('an --out reached through a link is the same folder', async () => {
    const dir = join(tmp.dir, 'viaLink');
    await tmp.write('viaLink/images/q.png', await png());
    const file = await tmp.write('viaLink/labels/q.json', labelme('../images/q.png'));
    await symlink(dir, join(tmp.dir, 'viaLink-alias'));
    const report = await runAnnotate({ labels: [file], out: join(tmp.dir, 'viaLink-alias') });
    expect(issuesOf(report, 'overwrites_input')).toHaveLength(1);
  });
});
