// The malformed-input corpus: every case is generated here into ROOT/NAME/in (its inputs) and run as a CLI command
// whose outputs go to ROOT/NAME/out. Each names the one line it must give. Generated, not committed, because
// several cases are not files git can hold (FIFOs, symbolic links, a sparse 600 MB file, files with no end).
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp, { type PngOptions } from 'sharp';
import { pngDeclaring } from '../helpers/pngHeader.js';

export type CorpusKind = 'image' | 'labelme' | 'coco' | 'cvat' | 'truth' | 'model';

export interface CorpusCase {
  name: string;
  kind: CorpusKind;
  /** CLI arguments (after `photosieve`). */
  argv: string[];
  /** The one error line it must print (annotate/measure: `error: …`; thrown: `photosieve: …`). */
  expect: RegExp;
  /** Files inside out/ that must keep their content (inputs placed there on purpose). */
  unchanged?: string[];
}

type Content = string | Buffer | { fifo: true } | { link: string } | { folder: true } | { sparse: number };

const SQUARE = [
  [1, 1],
  [5, 1],
  [5, 5],
  [1, 5],
];

const labelme = (imagePath: string, extra: Record<string, unknown> = {}, shapes: unknown[] = [{ label: 'stone', points: SQUARE, shape_type: 'polygon', group_id: null }]): string =>
  JSON.stringify({ version: '5.5.0', flags: {}, shapes, imagePath, imageData: null, ...extra });

const coco = (images: unknown[], annotations: unknown[]): string => JSON.stringify({ images, annotations, categories: [{ id: 1, name: 'stone' }] });

const cvat = (body: string): string => `<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version>${body}</annotations>\n`;

const truthCsv = (rows: string[]): string => `image,group,small,large\n${rows.join('\n')}\n`;

async function write(path: string, content: Content): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  if (typeof content === 'string' || Buffer.isBuffer(content)) await writeFile(path, content);
  else if ('fifo' in content) execFileSync('mkfifo', [path]);
  else if ('link' in content) await symlink(content.link, path);
  else if ('folder' in content) await mkdir(path, { recursive: true });
  else {
    await writeFile(path, '');
    await truncate(path, content.sparse);
  }
}

/** Writes the corpus under `root` and returns its cases. `root/outside` holds files no case may read or touch. */
export async function buildCorpus(root: string): Promise<CorpusCase[]> {
  const outside = join(root, 'outside');
  const secret = join(outside, 'secret.png');
  const grey = (w: number, h: number): Promise<Buffer> => sharp({ create: { width: w, height: h, channels: 3, background: '#777' } }).png().toBuffer();
  const ids = await sharp(Buffer.from([0, 1, 1, 0, 2, 2, 0, 0, 0]), { raw: { width: 3, height: 3, channels: 1 } }).toColourspace('b-w').png().toBuffer();
  await write(secret, await grey(8, 6));

  const jpeg = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#468' } }).jpeg().toBuffer();
  const bombPng = await sharp(Buffer.alloc(1e8), { raw: { width: 10000, height: 10000, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9 }).toBuffer();
  const bits1Png = await sharp(Buffer.alloc(16e6), { raw: { width: 4000, height: 4000, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9, palette: false, colours: 2, bitdepth: 1 } as PngOptions).toBuffer();
  const goodPng = await grey(48, 32);
  const frame = await grey(8, 8);
  const gif = await sharp([frame, await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } }).png().toBuffer()], { join: { animated: true } }).gif().toBuffer();
  const tiff = await sharp([frame, frame, frame], { join: { animated: true } }).tiff().toBuffer();

  // A valid model folder to break one piece at a time.
  const model = {
    meta: await readFile('models/default/meta.json', 'utf8'),
    json: await readFile('models/default/model.json', 'utf8'),
    weights: await readFile('models/default/weights.bin'),
  };
  const metaWith = (patch: Record<string, unknown>): string => JSON.stringify({ ...(JSON.parse(model.meta) as object), ...patch });
  const jsonWithPaths = (paths: string[]): string => {
    const j = JSON.parse(model.json) as { weightsManifest: { paths: string[] }[] };
    j.weightsManifest[0]!.paths = paths;
    return JSON.stringify(j);
  };

  // A run folder with predictions for the truth cases (histograms.csv of photos a, b, x, x.tif).
  const pred = join(root, 'pred');
  await write(join(pred, 'histograms.csv'), 'image,n_particles,small,large,d10,d50,d90\na,5,0.5,0.5,1,2,3\nb,5,0.4,0.6,1,2,3\nx,5,0.5,0.5,1,2,3\nx.tif,5,0.5,0.5,1,2,3\n');

  const cases: CorpusCase[] = [];
  /** One case: its files (relative to NAME/in), then argv built from the in/ and out/ folders. */
  const add = async (name: string, kind: CorpusKind, files: Record<string, Content>, argv: (io: { in: string; out: string }) => string[], expect: RegExp, unchanged?: string[]): Promise<void> => {
    const dir = join(root, name);
    for (const [rel, content] of Object.entries(files)) await write(join(dir, 'in', rel), content);
    cases.push({ name, kind, argv: argv({ in: join(dir, 'in'), out: join(dir, 'out') }), expect, ...(unchanged ? { unchanged } : {}) });
  };
  const measure = (file: string) => (io: { in: string; out: string }): string[] => ['measure', join(io.in, file), '--out', io.out, '--bins', '2,4,8,16', '--bins-px'];
  const fromInstances = (...flags: string[]) => (io: { in: string; out: string }): string[] => ['annotate', '--from-instances', io.in, '--out', io.out, ...flags];
  const annotate = (file: string, ...flags: string[]) => (io: { in: string; out: string }): string[] => ['annotate', join(io.in, file), '--out', io.out, ...flags];
  const evaluate = (file: string) => (io: { in: string; out: string }): string[] => ['evaluate', '--pred', pred, '--truth', join(io.in, file), '-o', join(io.out, 'evaluation.json')];
  const exportModel = (io: { in: string; out: string }): string[] => ['export', join(io.in, 'model')];

  // ── images ────────────────────────────────────────────────────────────────────────────────────────────────
  await add('img-truncated-jpeg', 'image', { 'a.jpg': jpeg.subarray(0, Math.floor(jpeg.length / 2)) }, measure('a.jpg'), /^error: .*a\.jpg: cannot decode the image \(the JPEG file is truncated: it ends before its end-of-image marker\)\. Fix: copy or export the file again/);
  await add('img-truncated-png', 'image', { 'a.png': goodPng.subarray(0, goodPng.length - 20) }, measure('a.png'), /^error: .*a\.png: cannot decode the image \(the PNG file is truncated: it ends before its end-of-image marker\)\./);
  await add('img-header-only-png', 'image', { 'a.png': goodPng.subarray(0, 40) }, measure('a.png'), /^error: .*a\.png: cannot decode the image \(the PNG file is truncated/);
  await add('img-bomb-1e10-px', 'image', { 'bomb.png': pngDeclaring(100000, 100000) }, measure('bomb.png'), /^error: .*bomb\.png: the image is 100000×100000 = 10000000000 px, over the limit of 100000000 px\. Fix: raise the limit with --max-pixels N/);
  await add('img-bomb-max-pixels', 'image', { 'bomb.png': pngDeclaring(5000, 5000) }, fromInstances('--max-pixels', '1000000'), /^ {2}error: .*bomb\.png: the image is 5000×5000 = 25000000 px, over the limit of 1000000 px\. Fix: raise the limit with --max-pixels N/);
  await add('img-bomb-max-memory', 'image', { 'bomb.png': pngDeclaring(10000, 10000) }, fromInstances('--max-memory', '1G', '--max-expansion', '1e12'), /^ {2}error: .*bomb\.png: the image is 10000×10000 px; to read the instance map it needs about 1.65 GB \(13 bytes per pixel \+ 350 MB\), over the limit of 1 GB set by --max-memory\. Fix: raise the limit with --max-memory SIZE/);
  await add('img-animated-gif', 'image', { 'a.gif': gif }, measure('a.gif'), /^error: .*a\.gif: the file holds 2 frames \(an animated GIF\); photosieve measures one photo per file and will not guess which frame\./);
  await add('img-multipage-tiff', 'image', { 'a.tif': tiff }, measure('a.tif'), /^error: .*a\.tif: the file holds 3 frames \(a multi-page TIFF\)/);
  await add('img-text-as-png', 'image', { 'a.png': 'not an image at all\n' }, measure('a.png'), /^error: .*a\.png: cannot decode the image \(its header cannot be read: Input file contains unsupported image format\)\. Fix: pass a JPEG, PNG, TIFF or WebP file/);
  await add('img-empty-file', 'image', { 'a.png': '' }, measure('a.png'), /^error: .*a\.png: the image file is empty \(0 bytes\)\./);
  await add('img-fifo', 'image', { 'a.png': { fifo: true } }, measure('a.png'), /^error: .*a\.png: this image is a FIFO \(named pipe\), not a regular file: not read\./);
  await add('img-folder-named-png', 'image', { 'x.png': { folder: true } }, fromInstances(), /^ {2}error: .*x\.png: this image is a folder, not a regular file: not read\./);
  await add('img-colour-instance-map', 'image', { 'a.png': goodPng }, measure('a.png'), /^error: .*a\.png: an instance map must have one channel \(grey, 8 or 16 bit\), this one has 3\./);
  await add('img-link-loop', 'image', { 'a.png': { link: 'b.png' }, 'b.png': { link: 'a.png' } }, measure('a.png'), /^error: .*a\.png: image is a loop of symbolic links\./);
  await add('img-dangling-link', 'image', { 'a.png': { link: 'gone.png' } }, measure('a.png'), /^error: .*a\.png: image not found\./);

  // ── LabelMe ───────────────────────────────────────────────────────────────────────────────────────────────
  await add('lm-not-json', 'labelme', { 'a.json': '{"shapes": [' }, annotate('a.json'), /^ {2}error: .*a\.json: not valid JSON \(.*\)\. Fix: check that the file is complete; re-export it/);
  await add('lm-empty-file', 'labelme', { 'a.json': '' }, annotate('a.json'), /^ {2}error: .*a\.json: not valid JSON/);
  await add('lm-bad-field', 'labelme', { 'a.json': JSON.stringify({ shapes: 'many', imagePath: 'a.png' }) }, annotate('a.json'), /^ {2}error: .*a\.json: not a valid LabelMe file: shapes: .*Fix: fix that field/);
  await add('lm-absolute-path', 'labelme', { 'a.json': labelme(secret) }, annotate('a.json'), /^ {2}error: .*a\.json .*secret\.png: image ".*secret\.png" leads outside the label file's folder \(links followed\): not read → image skipped; pass --images DIR with the images, or --allow-outside/);
  await add('lm-dotdot-escape', 'labelme', { 'sub/a.json': labelme('../../../outside/secret.png') }, annotate('sub/a.json'), /^ {2}error: .*a\.json \.\.\/\.\.\/\.\.\/outside\/secret\.png: image "\.\.\/\.\.\/\.\.\/outside\/secret\.png" leads outside the label file's folder/);
  await add('lm-dotdot-missing', 'labelme', { 'sub/a.json': labelme('../../../outside/nothing.png') }, annotate('sub/a.json'), /^ {2}error: .*image "\.\.\/\.\.\/\.\.\/outside\/nothing\.png" leads outside the label file's folder \(links followed\): not read/);
  await add('lm-link-escape', 'labelme', { 'a.json': labelme('photo.png'), 'photo.png': { link: secret } }, annotate('a.json'), /^ {2}error: .*image "photo\.png" leads outside the label file's folder \(links followed\): not read/);
  await add('lm-images-escape', 'labelme', { 'a.json': labelme('../secret.png'), 'photos/b.png': goodPng }, (io) => ['annotate', join(io.in, 'a.json'), '--images', join(io.in, 'photos'), '--out', io.out], /^ {2}error: .*image "\.\.\/secret\.png" leads outside --images DIR/);
  await add('lm-fifo-image', 'labelme', { 'a.json': labelme('pipe.png', { imageWidth: 8, imageHeight: 6 }), 'pipe.png': { fifo: true } }, annotate('a.json'), /^ {2}error: .*image "pipe\.png" \(.*pipe\.png\) is a FIFO \(named pipe\), not a regular file: not read → image skipped/);
  await add('lm-folder-image', 'labelme', { 'a.json': labelme('x.jpg', { imageWidth: 8, imageHeight: 6 }), 'x.jpg': { folder: true } }, annotate('a.json'), /^ {2}error: .*image "x\.jpg" \(.*x\.jpg\) is a folder, not a regular file: not read/);
  await add('lm-declared-30000', 'labelme', { 'a.json': labelme('absent.png', { imageWidth: 30000, imageHeight: 30000 }) }, annotate('a.json'), /^ {2}error: .*the image size declared for "absent\.png" is 30000×30000 = 900000000 px, over the limit of 100000000 px\. Fix: raise the limit with --max-pixels N/);
  await add('lm-declared-over-memory', 'labelme', { 'a.json': labelme('absent.png', { imageWidth: 20000, imageHeight: 20000 }) }, annotate('a.json', '--max-pixels', '1000000000', '--max-memory', '2G'), /^ {2}error: .*the image size declared for "absent\.png" is 20000×20000 px; to annotate it needs about 4.35 GB \(10 bytes per pixel \+ 350 MB\), over the limit of 2 GB set by --max-memory/);
  await add('lm-image-header-bomb', 'labelme', { 'a.json': labelme('bomb.png'), 'bomb.png': pngDeclaring(50000, 50000) }, annotate('a.json'), /^ {2}error: .*bomb\.png: the image is 50000×50000 = 2500000000 px, over the limit of 100000000 px/);
  await add('lm-two-points', 'labelme', { 'a.json': labelme('a.png', { imageWidth: 8, imageHeight: 6 }, [{ label: 's', points: [[1, 1], [4, 4]], shape_type: 'polygon' }]) }, annotate('a.json'), /^ {2}error: .*#0 label "s": a polygon needs at least 3 distinct points, this one has 2 → shape skipped/);
  await add('lm-circle-one-point', 'labelme', { 'a.json': labelme('a.png', { imageWidth: 8, imageHeight: 6 }, [{ label: 's', points: [[3, 3]], shape_type: 'circle' }]) }, annotate('a.json'), /^ {2}error: .*#0 label "s": a polygon needs at least 3 distinct points, this one has 1/);
  await add('lm-nan-points', 'labelme', { 'a.json': '{"shapes":[{"label":"s","points":[[NaN,1],[Infinity,2],[3,-Infinity]],"shape_type":"polygon"}],"imagePath":"a.png","imageWidth":8,"imageHeight":6}' }, annotate('a.json'), /^ {2}error: .*#0 label "s": a polygon needs at least 3 distinct points, this one has 0/);
  await add('lm-far-coordinate-strict', 'labelme', { 'a.json': labelme('p.png', {}, [{ label: 's', points: [[1, 1], [1e308, 1], [5, 5]], shape_type: 'polygon' }]), 'p.png': await grey(8, 6) }, annotate('a.json', '--strict'), /^ {2}error: .*#0 label "s": the outline reaches far outside the 8×6 image \(a coordinate of 1\.00e\+308\) → not repaired \(--strict\)/);
  await add('lm-rotated-size', 'labelme', { 'a.json': labelme('p.png', { imageWidth: 6, imageHeight: 8 }), 'p.png': await grey(8, 6) }, annotate('a.json'), /^ {2}error: .*the label file says 6×8, the image .*p\.png is 8×6 \(rotated: labels made on the image before EXIF rotation\?\)/);
  await add('lm-600mb-file', 'labelme', { 'a.json': { sparse: 600e6 } }, annotate('a.json'), /^ {2}error: .*a\.json: this label file is too large: 600 MB, over the limit of 537 MB \(the longest text Node\.js can hold in one piece\)\. Fix: split it/);
  await add('lm-fifo-label-file', 'labelme', { 'a.json': { fifo: true } }, annotate('a.json'), /^ {2}error: .*a\.json: this label file is a FIFO \(named pipe\), not a regular file: not read\./);
  {
    // The label file lies inside --out: annotating it there would overwrite it with the export.
    const name = 'lm-overwrites-input';
    const dir = join(root, name);
    await write(join(dir, 'out', 'images', 'p.png'), await grey(8, 6));
    await write(join(dir, 'out', 'labels', 'p.json'), labelme('../images/p.png'));
    cases.push({ name, kind: 'labelme', argv: ['annotate', join(dir, 'out', 'labels', 'p.json'), '--out', join(dir, 'out')], expect: /^ {2}error: .*p\.json p: writing .*labels\/p\.json would overwrite this input file → image skipped; choose another --out/, unchanged: ['labels/p.json', 'images/p.png'] });
  }

  // ── COCO ──────────────────────────────────────────────────────────────────────────────────────────────────
  const ann = (id: number, imageId: number, segmentation: unknown = [[1, 1, 5, 1, 5, 5]]): unknown => ({ id, image_id: imageId, category_id: 1, segmentation, iscrowd: 0 });
  await add('coco-declared-30000', 'coco', { 'c.json': coco([{ id: 1, file_name: 'big.png', width: 30000, height: 30000 }], [ann(1, 1)]) }, annotate('c.json'), /^ {2}error: .*big\.png: the image size declared for "big\.png" is 30000×30000 = 900000000 px, over the limit of 100000000 px/);
  await add('coco-declared-1e6', 'coco', { 'c.json': coco([{ id: 1, file_name: 'huge.png', width: 1e6, height: 1e6 }], [ann(1, 1)]) }, annotate('c.json'), /^ {2}error: .*huge\.png: the image size declared for "huge\.png" is 1000000×1000000 = 1000000000000 px, over the limit/);
  await add('coco-rle-over-limit', 'coco', { 'c.json': coco([{ id: 1, file_name: 'a.png' }], [ann(1, 1, { size: [100000, 100000], counts: [1e10] })]), 'a.png': await grey(8, 6) }, annotate('c.json'), /^ {2}error: .*annotations\[0\] id=1 label "stone": RLE size 100000×100000 = 10000000000 px is over the limit of 100000000 px \(--max-pixels\) → skipped/);
  await add('coco-rle-wrong-size', 'coco', { 'c.json': coco([{ id: 1, file_name: 'a.png', width: 8, height: 6 }], [ann(1, 1, { size: [3, 3], counts: [9] })]) }, annotate('c.json'), /^ {2}error: .*RLE size 3×3 \(size: \[3, 3\]\) is not the image's 8×6 → skipped/);
  await add('coco-rle-bad-counts', 'coco', { 'c.json': coco([{ id: 1, file_name: 'a.png', width: 8, height: 6 }], [ann(1, 1, { size: [6, 8], counts: [10, 5] })]) }, annotate('c.json'), /^ {2}error: .*RLE segmentation cannot be decoded \(RLE covers 15 pixels, the mask has 8×6 = 48\)/);
  await add('coco-unknown-image-id', 'coco', { 'c.json': coco([{ id: 1, file_name: 'a.png', width: 8, height: 6 }], [ann(1, 7)]) }, annotate('c.json'), /^ {2}error: .*annotations\[0\] id=1 label "stone": image_id 7 is not in images → skipped/);
  await add('coco-bad-schema', 'coco', { 'c.json': JSON.stringify({ images: [{ id: 1 }], annotations: [] }) }, annotate('c.json'), /^ {2}error: .*c\.json: not a valid COCO file: images\[0\]\.file_name: /);
  await add('coco-truncated', 'coco', { 'c.json': coco([{ id: 1, file_name: 'a.png', width: 8, height: 6 }], [ann(1, 1)]).slice(0, 50) }, annotate('c.json'), /^ {2}error: .*c\.json: not valid JSON/);
  await add('coco-absolute-file-name', 'coco', { 'c.json': coco([{ id: 1, file_name: secret }], [ann(1, 1)]) }, annotate('c.json'), /^ {2}error: .*leads outside the label file's folder \(links followed\): not read/);

  // ── CVAT ──────────────────────────────────────────────────────────────────────────────────────────────────
  await add('cvat-not-xml', 'cvat', { 'a.xml': '<annotations><image id="0" name="a.png">' }, annotate('a.xml'), /^ {2}error: .*a\.xml: not valid XML \(line 1: /);
  await add('cvat-no-root', 'cvat', { 'a.xml': '<?xml version="1.0"?><dataset/>' }, annotate('a.xml', '--format', 'cvat'), /^ {2}error: .*a\.xml: no <annotations> root element: not a CVAT for images file\./);
  await add('cvat-xxe', 'cvat', { 'a.xml': '<?xml version="1.0"?>\n<!DOCTYPE annotations [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n<annotations><image id="0" name="a.png" width="8" height="6"><polygon label="&x;" points="1,1;5,1;5,5"/></image></annotations>' }, annotate('a.xml'), /^ {2}error: .*a\.xml: the XML cannot be read \(External entities are not supported\)/);
  await add('cvat-bad-width', 'cvat', { 'a.xml': cvat('<image id="0" name="a.png" width="abc" height="6"><polygon label="s" points="1,1;5,1;5,5"/></image>') }, annotate('a.xml'), /^ {2}error: .*a\.png: <image> width="abc" is not a positive whole number of pixels → image skipped/);
  await add('cvat-declared-huge', 'cvat', { 'a.xml': cvat('<image id="0" name="a.png" width="1000000" height="1000000"><polygon label="s" points="1,1;5,1;5,5"/></image>') }, annotate('a.xml'), /^ {2}error: .*the image size declared for "a\.png" is 1000000×1000000 = 1000000000000 px, over the limit/);
  await add('cvat-mask-over-limit', 'cvat', { 'a.xml': cvat('<image id="0" name="a.png" width="8" height="6"><mask label="s" rle="200000000" left="0" top="0" width="20000" height="10000"/></image>') }, annotate('a.xml'), /^ {2}error: .*#0 label "s": <mask> cannot be decoded \(a 20000×10000 mask must have a positive size of at most 100000000 px \(--max-pixels\)\)/);
  await add('cvat-dotdot-name', 'cvat', { 'a.xml': cvat('<image id="0" name="../../../outside/secret.png"><polygon label="s" points="1,1;5,1;5,5"/></image>') }, annotate('a.xml'), /^ {2}error: .*leads outside the label file's folder \(links followed\): not read/);

  // ── truth tables ──────────────────────────────────────────────────────────────────────────────────────────
  await add('truth-bad-sum', 'truth', { 't.csv': truthCsv(['a,A,0.5,0.2', 'b,A,0.4,0.6']) }, evaluate('t.csv'), /^photosieve: .*t\.csv: row 2 \(a\) sums to 0\.7000, not 1\. Fix: normalize each row/);
  await add('truth-negative', 'truth', { 't.csv': truthCsv(['a,A,-0.5,1.5']) }, evaluate('t.csv'), /^photosieve: .*t\.csv: row 2 \(a\) has a value that is not a non-negative number\./);
  await add('truth-text-value', 'truth', { 't.csv': truthCsv(['a,A,half,0.5', 'b,A,0.5,']) }, evaluate('t.csv'), /^photosieve: .*t\.csv: 2 rows have values that are not non-negative numbers: row 2 \(a\) .*; row 3 \(b\) /);
  await add('truth-same-photo-twice', 'truth', { 't.csv': truthCsv(['a,A,0.5,0.5', 'a.png,A,0.4,0.6']) }, evaluate('t.csv'), /^photosieve: .*t\.csv: the truth table has more than one row for a photo: row 2 \(a\) and row 3 \(a\.png\) name photo a\./);
  await add('truth-ambiguous-row', 'truth', { 't.csv': truthCsv(['x.tif,A,0.5,0.5']) }, evaluate('t.csv'), /^photosieve: .*t\.csv: the truth table does not say which row belongs to 2 photo\(s\): x \(rows x\.tif\), x\.tif \(rows x\.tif\)\./);
  await add('truth-wrong-header', 'truth', { 't.csv': 'name,small,large\na,0.5,0.5\n' }, evaluate('t.csv'), /^photosieve: .*t\.csv: a truth table needs the columns image,group,<one per bin, at least 2>; this one has name,small,large\./);
  await add('truth-empty', 'truth', { 't.csv': '' }, evaluate('t.csv'), /^photosieve: .*t\.csv: the CSV file is empty\./);
  await add('truth-header-only', 'truth', { 't.csv': 'image,group,small,large\n' }, evaluate('t.csv'), /^photosieve: .*t\.csv: the truth table has a header but no rows\./);
  await add('truth-unterminated-quote', 'truth', { 't.csv': 'image,group,small,large\n"a,A,0.5,0.5\n' }, evaluate('t.csv'), /^photosieve: .*t\.csv: unterminated quoted field\./);
  await add('truth-ragged-row', 'truth', { 't.csv': 'image,group,small,large\na,A,0.5\n' }, evaluate('t.csv'), /^photosieve: .*t\.csv: row 2 has 3 fields, the header has 4\./);
  await add('truth-no-name', 'truth', { 't.csv': truthCsv([',A,0.5,0.5']) }, evaluate('t.csv'), /^photosieve: .*t\.csv: row 2 has no photo name\./);
  await add('truth-other-bins', 'truth', { 't.csv': 'image,group,s,m,l\na,A,0.2,0.3,0.5\n' }, evaluate('t.csv'), /^photosieve: .*t\.csv: the predictions have 2 bins, the truth 3\./);
  await add('truth-fifo', 'truth', { 't.csv': { fifo: true } }, evaluate('t.csv'), /^photosieve: .*t\.csv: this CSV file is a FIFO \(named pipe\), not a regular file: not read\./);
  await add('truth-missing', 'truth', {}, evaluate('t.csv'), /^photosieve: .*t\.csv: CSV file not found\. Fix: check the path/);

  // ── segment: inputs, tables and limits of a batch (issue 15) ───────────────────────────────────────────────
  // A photo beside the bad input is done; the bad one gets its `failed:` line (exit 1), or a bad table stops the
  // batch before any image with one line (exit 2).
  const segment = (target: string, ...flags: string[]) => (io: { in: string; out: string }): string[] => ['segment', target === '' ? io.in : join(io.in, target), '--out', io.out, '--model', 'classical', '--workers', '0', '--overlays', 'none', ...flags];
  await add('seg-fifo-in-folder', 'image', { 'good.png': goodPng, 'pipe.png': { fifo: true } }, segment(''), /^segment: \[\d\/2\] failed: .*pipe\.png: is a FIFO \(named pipe\), not an image: not read\. Fix: copy the image into a regular file first/);
  await add('seg-folder-named-jpg', 'image', { 'good.png': goodPng, 'x.jpg/inner.png': goodPng }, (io) => ['segment', join(io.in, '*.{png,jpg}'), '--out', io.out, '--model', 'classical', '--workers', '0'], /^segment: \[\d\/2\] failed: .*x\.jpg: is a folder, not an image: not read\. Fix: name it as a folder argument of its own/);
  await add('seg-device', 'image', { 'good.png': goodPng }, (io) => [...segment('good.png')(io), '/dev/zero'], /^segment: \[\d\/2\] failed: \/dev\/zero: is a character device, not an image: not read\./);
  // 8000² (64 MP, above the strip threshold): even in strips it needs more than 1 GB.
  await add('seg-bomb-max-memory', 'image', { 'good.png': goodPng, 'bomb.png': pngDeclaring(8000, 8000) }, segment('', '--max-memory', '1G', '--max-expansion', '1e12'), /^segment: \[1\/2\] failed: .*bomb\.png: the image is 8000×8000 px; to segment in strips of 2000 rows it needs about 1\.5 GB \(18 bytes per pixel \+ 350 MB\), over the limit of 1 GB set by --max-memory\. Fix: raise the limit with --max-memory SIZE \(e\.g\. --max-memory 16G\) on a machine that has it, or shrink the image$/);
  // 6000² (36 MP, below the strip threshold): whole it needs 2 GB, over --max-memory 1.5G, so it is not refused
  // but segmented in strips (1.16 GB), whose first decode finds the file holds one row.
  await add('seg-over-memory-goes-in-strips', 'image', { 'good.png': goodPng, 'big.png': pngDeclaring(6000, 6000) }, segment('', '--max-memory', '1.5G', '--max-expansion', '1e12'), /^segment: \[\d\/2\] failed: .*big\.png: cannot decode the image \(vipspng: libpng read error\)\./);
  // The bomb: 10000² zeros in a 97 kB PNG (deflate's ceiling), refused before any worker starts.
  await add('seg-bomb-expansion', 'image', { 'good.png': goodPng, 'bomb.png': bombPng }, segment('', '--max-memory', '64G'), /^segment: \[1\/2\] failed: .*bomb\.png: the image is 10000×10000 px, 100 MB decoded from a file of 97\.\d kB: it expands 10\d\d:1, over the limit of 1000:1 \(a decompression bomb\?\); not decoded\. Fix: if you trust the file, raise the limit with --max-expansion N \(e\.g\. --max-expansion 11\d\d\)$/);
  await add('seg-expansion-low-limit', 'image', { 'good.png': goodPng }, segment('good.png', '--max-expansion', '1.5'), /^segment: \[1\/1\] failed: .*good\.png: the image is 48×32 px, 4\.61 kB decoded from a file of \d+ B: it expands \d+:1, over the limit of 1\.5:1 \(a decompression bomb\?\); not decoded\. Fix: if you trust the file, raise the limit with --max-expansion N \(e\.g\. --max-expansion \d+\)$/);
  await add('seg-expansion-bad-flag', 'image', { 'good.png': goodPng }, segment('good.png', '--max-expansion', '0.5'), /^photosieve: --max-expansion must be a number ≥ 1/);
  await add('measure-instances-1bit-bomb', 'image', { 'ids.png': bits1Png }, measure('ids.png'), /^error: .*ids\.png: the image is 4000×4000 px, 16 MB decoded from a file of [\d.]+ kB: it expands \d+:1, over the limit of 1100:1 \(a decompression bomb\?\); not decoded\. Fix: if you trust the file, raise the limit with --max-expansion N/);
  {
    // --out is a link to a folder whose instances/ holds the photo: its own instance map would replace it. The link
    // is the input side (in/link → ../out), so everything written lands in out/, where the photo must stay as it was.
    const name = 'seg-out-links-to-input';
    const dir = join(root, name);
    await write(join(dir, 'out', 'instances', 'p.png'), goodPng);
    await write(join(dir, 'in', 'link'), { link: join(dir, 'out') });
    cases.push({
      name,
      kind: 'image',
      argv: ['segment', join(dir, 'out', 'instances', 'p.png'), '--out', join(dir, 'in', 'link'), '--model', 'classical', '--workers', '0'],
      expect: /^segment: \[1\/1\] failed: .*p\.png: is inside the output folder \(.*in\/link leads to .*out\) and would be overwritten\. Fix: choose another --out/,
      unchanged: ['instances/p.png'],
    });
  }
  const segTruth = (file: string) => segment('', '--recursive', '--bins', '8,16', '--bins-px', '--truth', file);
  const photosTwoSites = { 'site-a/IMG_1.png': goodPng, 'site-b/IMG_1.png': goodPng };
  await add('seg-truth-missing', 'truth', photosTwoSites, (io) => segTruth(join(io.in, 'absent.csv'))(io), /^photosieve: .*absent\.csv: CSV file not found\. Fix: check the path/);
  await add('seg-truth-ambiguous', 'truth', { ...photosTwoSites, 't.csv': 'image,group,a,b,c\nIMG_1,A,0.2,0.3,0.5\n' }, (io) => segTruth(join(io.in, 't.csv'))(io), /^photosieve: .*t\.csv: the truth table does not say which row belongs to 2 photo\(s\): site-a\/IMG_1 \(rows IMG_1\), site-b\/IMG_1 \(rows IMG_1\)\. Fix: name those photos as in the outputs, with their folders/);
  await add('seg-truth-bad-sum', 'truth', { ...photosTwoSites, 't.csv': 'image,group,a,b,c\nsite-a/IMG_1,A,0.2,0.3,0.4\n' }, (io) => segTruth(join(io.in, 't.csv'))(io), /^photosieve: .*t\.csv: row 2 \(site-a\/IMG_1\) sums to 0\.9000, not 1\./);
  await add('seg-truth-other-bins', 'truth', { ...photosTwoSites, 't.csv': 'image,group,a,b\nsite-a/IMG_1,A,0.5,0.5\n' }, (io) => segTruth(join(io.in, 't.csv'))(io), /^photosieve: .*t\.csv: the truth table has 2 bins, the batch 3 \(/);
  await add('seg-truth-fifo', 'truth', { ...photosTwoSites, 't.csv': { fifo: true } }, (io) => segTruth(join(io.in, 't.csv'))(io), /^photosieve: .*t\.csv: this CSV file is a FIFO \(named pipe\), not a regular file: not read\./);
  await add('seg-scales-ambiguous', 'truth', { ...photosTwoSites, 's.csv': 'image,mm_per_px\nIMG_1,0.2\n' }, (io) => segment('', '--recursive', '--scales', join(io.in, 's.csv'))(io), /^photosieve: .*s\.csv: the scales table does not fit the batch: ambiguous: row "IMG_1" \(line 2\) fits site-a\/IMG_1 and site-b\/IMG_1: name them with their folders\./);

  // ── model folders ─────────────────────────────────────────────────────────────────────────────────────────
  await add('model-no-meta', 'model', { 'model/model.json': model.json, 'model/weights.bin': model.weights }, exportModel, /^photosieve: .*model\/meta\.json: the model folder has no readable meta\.json\. Fix: pass --model DIR/);
  await add('model-meta-not-json', 'model', { 'model/meta.json': '{"format": "photosieve-unet/1",', 'model/model.json': model.json }, exportModel, /^photosieve: .*meta\.json: meta\.json is not valid JSON/);
  await add('model-meta-format', 'model', { 'model/meta.json': metaWith({ format: 'keras-h5' }), 'model/model.json': model.json }, exportModel, /^photosieve: .*meta\.json: meta\.json field format: /);
  await add('model-meta-classes', 'model', { 'model/meta.json': metaWith({ classes: ['background', 'stone'] }), 'model/model.json': model.json }, exportModel, /^photosieve: .*meta\.json: meta\.json field classes: must be \["background","body","boundary"\]/);
  await add('model-meta-tile', 'model', { 'model/meta.json': metaWith({ tileSize: 100 }), 'model/model.json': model.json }, exportModel, /^photosieve: .*meta\.json: meta\.json field tileSize: must be a multiple of 16 for depth 5\./);
  await add('model-meta-fifo', 'model', { 'model/meta.json': { fifo: true }, 'model/model.json': model.json }, exportModel, /^photosieve: .*meta\.json: this model file meta\.json is a FIFO \(named pipe\), not a regular file: not read\./);
  await add('model-no-model-json', 'model', { 'model/meta.json': model.meta, 'model/weights.bin': model.weights }, exportModel, /^photosieve: .*model\.json: the model folder has no readable model\.json\./);
  await add('model-json-not-layers', 'model', { 'model/meta.json': model.meta, 'model/model.json': JSON.stringify({ format: 'graph-model' }) }, exportModel, /^photosieve: .*model\.json: model\.json is not a TensorFlow\.js layers model\./);
  await add('model-weights-missing', 'model', { 'model/meta.json': model.meta, 'model/model.json': model.json }, exportModel, /^photosieve: .*weights\.bin: the model folder has no readable weights\.bin\./);
  await add('model-weights-short', 'model', { 'model/meta.json': model.meta, 'model/model.json': model.json, 'model/weights.bin': model.weights.subarray(0, 1000) }, exportModel, /^photosieve: .*weights\.bin: the weight files hold 1000 bytes, model\.json's manifest needs \d+\. Fix: the weights are incomplete/);
  await add('model-weights-outside', 'model', { 'model/meta.json': model.meta, 'model/model.json': jsonWithPaths(['../../../outside/secret.png']) }, exportModel, /^photosieve: .*model\.json: model\.json names weight files outside the model folder \("\.\.\/\.\.\/\.\.\/outside\/secret\.png"\): not read\./);
  await add('model-weights-folder', 'model', { 'model/meta.json': model.meta, 'model/model.json': model.json, 'model/weights.bin': { folder: true } }, exportModel, /^photosieve: .*weights\.bin: this model file weights\.bin is a folder, not a regular file: not read\./);

  // The instance map used by --from-instances cases that need one good file beside the bad one.
  await write(join(root, 'img-bomb-max-pixels', 'in', 'good.png'), ids);
  return cases;
}
