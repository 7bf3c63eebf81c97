// A tiny segment run folder for the review tests, written with the project's own writers: a 160×120 photo outside
// the run folder, its 16-bit instance PNG with shapes whose pixels the tests know, and run.json. A second photo is
// listed by a path relative to the run folder's parent, and a failed one is listed too.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstanceMap } from '../../src/core/index.js';
import { writeImage8, writeInstancePng, writeJsonAtomic } from '../../src/io/index.js';

export const W = 160;
export const H = 120;

/** Pixel boxes [x0, y0, x1, y1] (inclusive) of the rectangular particles; E is a disc, R a ring (a hole). */
export const SHAPES = {
  A: { id: 1, box: [10, 10, 29, 29] },
  B: { id: 2, box: [40, 10, 59, 29] },
  C: { id: 3, box: [60, 10, 79, 29] },
  D: { id: 4, box: [10, 50, 49, 79] },
  G: { id: 6, box: [100, 70, 139, 99] },
} as const;
export const DISC = { id: 5, cx: 110, cy: 40, r: 14 };
export const RING = { id: 7, cx: 142, cy: 18, r: 11, hole: 4 };

function inDisc(j: number, i: number, cx: number, cy: number, r: number): boolean {
  return (j + 0.5 - cx) ** 2 + (i + 0.5 - cy) ** 2 <= r * r;
}

export function trayInstances(): InstanceMap {
  const data = new Int32Array(W * H);
  for (const s of Object.values(SHAPES)) {
    const [x0, y0, x1, y1] = s.box;
    for (let i = y0; i <= y1; i++) for (let j = x0; j <= x1; j++) data[i * W + j] = s.id;
  }
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      if (inDisc(j, i, DISC.cx, DISC.cy, DISC.r)) data[i * W + j] = DISC.id;
      if (inDisc(j, i, RING.cx, RING.cy, RING.r) && !inDisc(j, i, RING.cx, RING.cy, RING.hole)) data[i * W + j] = RING.id;
    }
  }
  return { width: W, height: H, data };
}

/** A grey tray with lighter stones where the instance map has particles, so screenshots look like something. */
function photoOf(map: InstanceMap): Uint8Array {
  const rgb = new Uint8Array(map.width * map.height * 3);
  for (let p = 0; p < map.data.length; p++) {
    const id = map.data[p]!;
    const v = id === 0 ? 70 : 150 + ((id * 37) % 80);
    rgb.set([v, v - 10, v - 25], p * 3);
  }
  return rgb;
}

export interface FakeReviewRun {
  /** The run folder (DIR). */
  dir: string;
  /** The tray photo, outside DIR. */
  photo: string;
  second: string;
  map: InstanceMap;
}

/** Writes ROOT/photos/{tray,second}.png and the run folder ROOT/run. */
export async function writeFakeReviewRun(root: string): Promise<FakeReviewRun> {
  const dir = join(root, 'run');
  const photos = join(root, 'photos');
  await mkdir(photos, { recursive: true });
  const map = trayInstances();
  const photo = join(photos, 'tray.png');
  await writeImage8(photo, W, H, 3, photoOf(map));
  await writeInstancePng(join(dir, 'instances', 'tray.png'), map);
  const small = new Int32Array(40 * 30);
  for (let i = 5; i < 20; i++) for (let j = 8; j < 30; j++) small[i * 40 + j] = 1;
  const secondMap = { width: 40, height: 30, data: small };
  const second = join(photos, 'second.png');
  await writeImage8(second, 40, 30, 3, photoOf(secondMap));
  await writeInstancePng(join(dir, 'instances', 'second.png'), secondMap);
  await writeJsonAtomic(join(dir, 'run.json'), {
    tool: 'photosieve segment',
    model: { kind: 'classical' },
    images: [
      { name: 'tray', path: photo, status: 'done', width: W, height: H, particles: 7 },
      { name: 'second', path: 'photos/second.png', status: 'done', width: 40, height: 30, particles: 1 },
      { name: 'broken', path: join(photos, 'broken.jpg'), status: 'failed', error: 'broken.jpg: cannot decode the image.' },
    ],
  });
  return { dir, photo, second, map };
}

export interface NestedReviewRun {
  dir: string;
  /** ROOT/photos/a/x.png: the tray (160×120, the 7 particles of trayInstances). */
  ax: string;
  /** ROOT/photos/b/x.png: a 40×30 photo with one particle. */
  bx: string;
}

/**
 * A `segment --recursive` run: photos named a/x and b/x (same stem, other folders), their instance maps at
 * DIR/instances/a/x.png and b/x.png, a/x listed by its absolute path and b/x by a path relative to DIR's parent.
 */
export async function writeNestedReviewRun(root: string): Promise<NestedReviewRun> {
  const dir = join(root, 'run');
  const map = trayInstances();
  const ax = join(root, 'photos', 'a', 'x.png');
  const bx = join(root, 'photos', 'b', 'x.png');
  await mkdir(join(root, 'photos', 'a'), { recursive: true });
  await mkdir(join(root, 'photos', 'b'), { recursive: true });
  await writeImage8(ax, W, H, 3, photoOf(map));
  await writeInstancePng(join(dir, 'instances', 'a', 'x.png'), map);
  const small = new Int32Array(40 * 30);
  for (let i = 5; i < 20; i++) for (let j = 8; j < 30; j++) small[i * 40 + j] = 1;
  const smallMap = { width: 40, height: 30, data: small };
  await writeImage8(bx, 40, 30, 3, photoOf(smallMap));
  await writeInstancePng(join(dir, 'instances', 'b', 'x.png'), smallMap);
  await writeJsonAtomic(join(dir, 'run.json'), {
    tool: 'photosieve segment',
    model: { kind: 'classical' },
    options: { recursive: true },
    images: [
      { name: 'a/x', path: ax, status: 'done', width: W, height: H, particles: 7 },
      { name: 'b/x', path: 'photos/b/x.png', status: 'done', width: 40, height: 30, particles: 1 },
    ],
  });
  return { dir, ax, bx };
}

/** Pixels of `map` equal to `id`. */
export function countId(map: { data: ArrayLike<number> }, id: number): number {
  let n = 0;
  for (let k = 0; k < map.data.length; k++) if (map.data[k] === id) n += 1;
  return n;
}
