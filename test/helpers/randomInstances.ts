// Seeded random instance maps for exactness tests of the measure and overlay code: overlapping ellipses and
// rectangles (so later shapes cut earlier ones into pieces), rings with holes, shapes past the image border,
// one-pixel particles and speckle, with dense 1..N ids or sparse, huge and negative ones.
import type { InstanceMap } from '../../src/core/index.js';

/** A seeded generator (LCG): the same numbers on every machine. */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export interface RandomMapOptions {
  /** dense: ids 1..N in no particular order; sparse: ids up to 2³¹−1 and a few negative ones. @default 'dense' */
  ids?: 'dense' | 'sparse';
  /** @default 30 */
  shapes?: number;
}

export function randomInstanceMap(width: number, height: number, seed: number, options: RandomMapOptions = {}): InstanceMap {
  const rnd = random(seed);
  const data = new Int32Array(width * height);
  const shapes = options.shapes ?? 30;
  const ids = Array.from({ length: shapes + 40 }, (_, k) => k + 1);
  // Shuffled, so painting order and id order differ (what the overlay's drawing order depends on).
  for (let k = ids.length - 1; k > 0; k--) {
    const r = Math.floor(rnd() * (k + 1));
    [ids[k], ids[r]] = [ids[r]!, ids[k]!];
  }
  if (options.ids === 'sparse') {
    for (let k = 0; k < ids.length; k++) ids[k] = k % 7 === 3 ? -1 - Math.floor(rnd() * 1e6) : k % 5 === 1 ? 2147483647 - k : 1 + Math.floor(rnd() * 5e8);
  }
  let next = 0;
  const paint = (inside: (x: number, y: number) => boolean, x0: number, y0: number, x1: number, y1: number): void => {
    const id = ids[next++]!;
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(height, Math.ceil(y1)); y++) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(width, Math.ceil(x1)); x++) if (inside(x + 0.5, y + 0.5)) data[y * width + x] = id;
    }
  };
  for (let s = 0; s < shapes; s++) {
    // Centres may lie a little outside, so shapes are cut by the border.
    const cx = -5 + rnd() * (width + 10);
    const cy = -5 + rnd() * (height + 10);
    const a = 1 + rnd() * Math.min(width, height) * 0.25;
    const b = 1 + rnd() * a;
    const t = rnd() * Math.PI;
    const c = Math.cos(t);
    const sn = Math.sin(t);
    const kind = Math.floor(rnd() * 4);
    const hole = 0.3 + rnd() * 0.5;
    paint(
      (x, y) => {
        const u = ((x - cx) * c + (y - cy) * sn) / a;
        const v = (-(x - cx) * sn + (y - cy) * c) / b;
        if (kind === 0) return u * u + v * v <= 1;
        if (kind === 1) return Math.abs(u) <= 1 && Math.abs(v) <= 1;
        if (kind === 2) return u * u + v * v <= 1 && u * u + v * v >= hole * hole; // a ring: a hole inside
        return Math.abs(u) + Math.abs(v) <= 1;
      },
      cx - a - 1,
      cy - a - 1,
      cx + a + 1,
      cy + a + 1,
    );
  }
  // One-pixel particles, some on the border, and speckle of existing ids (disconnected single pixels).
  for (let s = 0; s < 40 && next < ids.length; s++) {
    const x = s % 4 === 0 ? 0 : Math.floor(rnd() * width);
    const y = s % 4 === 1 ? height - 1 : Math.floor(rnd() * height);
    data[y * width + x] = ids[next++]!;
  }
  for (let s = 0; s < (width * height) / 200; s++) data[Math.floor(rnd() * width * height)] = s % 3 === 0 ? 0 : ids[Math.floor(rnd() * shapes)]!;
  return { width, height, data };
}

/** A random region of interest: a disc, a band, or a blobby union, 1 inside. */
export function randomRoi(width: number, height: number, seed: number): Uint8Array {
  const rnd = random(seed);
  const roi = new Uint8Array(width * height);
  const discs = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ({ x: rnd() * width, y: rnd() * height, r: 3 + rnd() * Math.max(width, height) * 0.6 }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (discs.some((d) => Math.hypot(x - d.x, y - d.y) <= d.r)) roi[y * width + x] = 1;
  }
  return roi;
}
