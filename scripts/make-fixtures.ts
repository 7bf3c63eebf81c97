// Regenerates the small fixture images under fixtures/images and fixtures/instances (npm run fixtures).
// The label files beside them are hand-written inputs; the images only need the right sizes and a plausible look,
// so they are drawn from the same polygons with our own rasterizer: dark stones on a light matrix.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { MultiPolygon } from '../src/core/index.js';
import { fillMultiPolygon } from '../src/annotate/index.js';
import { writeGray16Png } from '../src/io/index.js';

async function paint(path: string, width: number, height: number, shapes: MultiPolygon[]): Promise<void> {
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < height; i++) for (let j = 0; j < width; j++) grey[i * width + j] = 200 + ((i * 7 + j * 13) % 23);
  shapes.forEach((mp, k) => fillMultiPolygon(mp, width, height, grey, 60 + ((k * 37) % 90)));
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < grey.length; p++) {
    rgb[3 * p] = grey[p]!;
    rgb[3 * p + 1] = Math.max(0, grey[p]! - 10);
    rgb[3 * p + 2] = Math.max(0, grey[p]! - 25);
  }
  const img = sharp(rgb, { raw: { width, height, channels: 3 } });
  await (path.endsWith('.jpg') ? img.jpeg({ quality: 92 }) : img.png()).toFile(path);
}

interface LabelmeLike {
  shapes: { points: [number, number][]; shape_type?: string }[];
  imageWidth: number;
  imageHeight: number;
}

async function fromLabelme(label: string, image: string): Promise<void> {
  const doc = JSON.parse(await readFile(label, 'utf8')) as LabelmeLike;
  const shapes: MultiPolygon[] = doc.shapes.filter((s) => (s.shape_type ?? 'polygon') === 'polygon').map((s) => [[s.points]]);
  await paint(image, doc.imageWidth, doc.imageHeight, shapes);
}

await fromLabelme('fixtures/labels/labelme/pebbles.json', 'fixtures/images/pebbles.png');
await fromLabelme('fixtures/labels/labelme/tray.json', 'fixtures/images/tray.jpg');
await paint('fixtures/images/coco_a.png', 40, 30, []);
await paint('fixtures/images/coco_b.png', 40, 30, []);
await paint('fixtures/images/cvat_1.png', 48, 40, []);

// An instance map with what tracing must get right: a hole, a diagonal-only contact, a one-pixel particle,
// a particle in two pieces, and a particle on the image edge.
const W = 24;
const H = 16;
const ids = new Uint16Array(W * H);
const set = (i: number, j: number, id: number): void => {
  ids[i * W + j] = id;
};
for (let i = 1; i <= 6; i++) for (let j = 1; j <= 6; j++) if (!(i >= 3 && i <= 4 && j >= 3 && j <= 4)) set(i, j, 1);
set(8, 8, 2);
set(9, 9, 2);
set(10, 10, 2);
set(12, 2, 3);
for (let i = 2; i <= 4; i++) for (let j = 10; j <= 12; j++) set(i, j, 4);
for (let i = 7; i <= 9; i++) for (let j = 14; j <= 16; j++) set(i, j, 4);
for (let i = 0; i < H; i++) for (let j = 20; j < W; j++) set(i, j, 5);
for (let i = 11; i <= 14; i++) for (let j = 13; j <= 17; j++) set(i, j, i === 11 || j === 13 ? 6 : 7);
await writeGray16Png('fixtures/instances/tricky.png', W, H, ids);
console.log('fixtures written');
