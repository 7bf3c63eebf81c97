// The three formats on the committed fixtures, with exact pixels where the fixture was designed for it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnnotateReport } from '../../src/annotate/index.js';
import { decodeCocoRleString, encodeCocoRleString, readLabelFile, runAnnotate, runsToBits, sanitizeNonFiniteTokens } from '../../src/annotate/index.js';
import { readImage, readInstancePng } from '../../src/io/index.js';
import { rows } from '../helpers/grid.js';
import { tempDir } from '../helpers/tmp.js';

const F = 'fixtures/labels';
let out: string;
let report: AnnotateReport;

beforeAll(async () => {
  const tmp = await tempDir();
  out = join(tmp.dir, 'out');
  report = await runAnnotate({
    labels: [`${F}/labelme/pebbles.json`, `${F}/labelme/tray.json`, `${F}/coco/two-images.json`, `${F}/cvat/annotations.xml`],
    images: 'fixtures/images',
    out,
  });
});

const crop = (r: string[], y0: number, y1: number, x0: number, x1: number): string[] => r.slice(y0, y1).map((s) => s.slice(x0, x1));

describe('format detection', () => {
  it('tells LabelMe, COCO and CVAT apart', async () => {
    expect((await readLabelFile(`${F}/labelme/pebbles.json`)).format).toBe('labelme');
    expect((await readLabelFile(`${F}/coco/two-images.json`)).format).toBe('coco');
    expect((await readLabelFile(`${F}/cvat/annotations.xml`)).format).toBe('cvat');
    expect(report.inputs.map((i) => i.format)).toEqual(['labelme', 'labelme', 'coco', 'cvat']);
  });
});

describe('LabelMe', () => {
  it('reads polygon, rectangle and circle shapes, skips lines, clips the shape crossing the border', () => {
    const pebbles = report.images.find((i) => i.name === 'pebbles')!;
    expect(pebbles.particles).toBe(5);
    expect(report.issues.filter((i) => i.file.endsWith('pebbles.json')).map((i) => i.code).sort()).toEqual(['outside_image', 'unsupported_shape']);
  });

  it('rectangle [30,2]-[40,10] covers columns 30..39 and rows 2..9', async () => {
    const map = await readInstancePng(join(out, 'instances', 'pebbles.png'));
    const r = rows(map);
    expect(crop(r, 1, 11, 29, 41)).toEqual([
      '............',
      ...Array.from({ length: 8 }, () => '.4444444444.'),
      '............',
    ]);
  });

  it('merges shapes sharing a group_id into one particle and splits a bow-tie', async () => {
    const tray = report.images.find((i) => i.name === 'tray')!;
    expect(tray.particles).toBe(3);
    const map = await readInstancePng(join(out, 'instances', 'tray.png'));
    const ids = new Set(map.data);
    expect([...ids].sort()).toEqual([0, 1, 2, 3]);
    // Group 7: the triangle and the square are both id 2.
    expect(map.data[35 * 64 + 42]).toBe(2);
    expect(map.data[35 * 64 + 50]).toBe(2);
  });
});

describe('COCO', () => {
  it('reads several images, multi-polygon particles, RLE, and crowd regions as ignore', async () => {
    const a = await readInstancePng(join(out, 'instances', 'coco_a.png'));
    const r = rows(a);
    // The two rectangles of annotation 2 are one particle (id 2).
    expect(r[5]!.slice(19, 35)).toBe('.222222..222222.');
    expect(a.data[5 * 40 + 22]).toBe(2);
    expect(a.data[5 * 40 + 30]).toBe(2);
    // RLE: 62 zeros then runs of 4 in columns 2..4, rows 2..5 (column-major), drawn over annotation 1.
    expect(crop(r, 1, 7, 1, 6)).toEqual(['.....', '.3331', '.3331', '.3331', '.3331', '.1111']);
    const maskB = await readImage(join(out, 'masks', 'coco_b.png'));
    // Crowd region x 30..40, y 0..10 is ignore (255) where no particle covers it.
    expect(maskB.data[2 * 40 + 36]).toBe(255);
    expect(maskB.data[20 * 40 + 20]).not.toBe(255);
    const b = report.images.find((i) => i.name === 'coco_b')!;
    expect(b).toMatchObject({ particles: 2, crowdRegions: 1, overlapped: 1 });
  });

  it('decodes and encodes compressed RLE strings (round trip) and checks the pixel count', () => {
    const counts = [62, 4, 26, 4, 26, 4, 1074];
    const s = encodeCocoRleString(counts);
    expect(decodeCocoRleString(s)).toEqual(counts);
    // A known string from the COCO API docs' style: small counts encode as single characters.
    expect(encodeCocoRleString([3, 2, 1])).toBe('321');
    expect(() => runsToBits([1, 2], 2, 2, true)).toThrow(/covers 3 pixels, the mask has 2×2 = 4/);
  });
});

describe('CVAT', () => {
  it('resolves overlaps by z_order, reads box, ellipse and mask, counts occluded, skips polylines', async () => {
    const map = await readInstancePng(join(out, 'instances', 'cvat_1.png'));
    const r = rows(map);
    // Polygon 1 (z 2) lies over polygon 2 (z 1) although it comes first.
    expect(map.data[15 * 48 + 15]).toBe(1);
    expect(map.data[25 * 48 + 25]).toBe(2);
    // Mask rle 0,3,1,3,1,3,1 in a 4×3 box at (2, 32): three rows of three.
    expect(crop(r, 31, 36, 1, 7)).toEqual(['......', '.555..', '.555..', '.555..', '......']);
    const im = report.images.find((i) => i.name === 'cvat_1')!;
    expect(im).toMatchObject({ particles: 5, occluded: 1, overlapped: 1 });
    expect(report.issues.some((i) => i.file.endsWith('annotations.xml') && i.message.includes('<polyline>'))).toBe(true);
  });
});

describe('outputs', () => {
  it('writes the COCO index and one LabelMe file per image, pointing at the copied image', async () => {
    const coco = JSON.parse(await readFile(join(out, 'annotations.json'), 'utf8')) as { images: { file_name: string }[]; annotations: unknown[] };
    expect(coco.images.map((i) => i.file_name)).toEqual(['images/pebbles.png', 'images/tray.jpg', 'images/coco_a.png', 'images/coco_b.png', 'images/cvat_1.png']);
    expect(coco.annotations).toHaveLength(report.totals.particles);
    const lm = JSON.parse(await readFile(join(out, 'labels', 'tray.json'), 'utf8')) as { imagePath: string };
    expect(lm.imagePath).toBe('../images/tray.jpg');
    const img = await readImage(join(out, 'images', 'tray.jpg'));
    expect([img.width, img.height]).toEqual([64, 48]);
  });
});

describe('lenient JSON', () => {
  it('turns bare NaN/Infinity into null but leaves strings alone', () => {
    expect(sanitizeNonFiniteTokens('{"a": NaN, "b": [-Infinity, Infinity], "c": "NaN Infinity"}')).toBe('{"a": null, "b": [null, null], "c": "NaN Infinity"}');
  });
});
