// Training tiles: cut at a random place (or centred on a boundary pixel: rare but decisive), at a random scale
// (down to 0.3×, so large-grained photos teach small grains too), rotation and flip, then photometric jitter.
// The target is rebuilt from the instance ids at the tile's scale, so the boundary band keeps its width in
// tile pixels and touching stones stay separated however much the tile is shrunk.
import { PixelClass } from '../core/index.js';
import { makeClassMask } from '../annotate/index.js';
import type { Random } from '../synth/random.js';
import type { TrainingImage } from './data.js';

export interface AugmentOptions {
  /** Share of tiles centred on a boundary pixel. @default 0.5 */
  boundaryFraction: number;
  /** Scale range (tile px per image px), drawn log-uniformly. @default [0.3, 1.3] */
  scale: [number, number];
  /** Random flips and quarter turns. @default true */
  flipRotate: boolean;
  /** Extra rotation, ± degrees. @default 12 */
  rotationDeg: number;
  /** ± brightness offset (0–1 scale). @default 0.12 */
  brightness: number;
  /** ± relative contrast. @default 0.25 */
  contrast: number;
  /** ± log-gamma. @default 0.3 */
  gamma: number;
  /** ± per-channel gain. @default 0.1 */
  colour: number;
  /** Probability of a blur pass (1–3 binomial passes). @default 0.3 */
  blur: number;
  /** Largest noise standard deviation. @default 0.04 */
  noise: number;
  /** Probability of turning an RGB tile grey. @default 0.15 */
  grey: number;
  /** Boundary band width in tile pixels. @default 2 */
  boundaryPx: number;
  /**
   * Scale-band targets: a particle whose b-axis at the tile's scale exceeds this many tile px is labelled
   * PixelClass.large (body and boundary alike), so the model learns to hand it to a coarser level. @default none
   */
  largeAbovePx?: number;
  /**
   * What a `large` particle's boundary band is labelled: `large` like its body; `boundary` like any stone's, so
   * the fine level outlines every stone where it sees its edge and only a large one's interior goes to the
   * coarser level; or `ignore`, left out of the loss, so the fine level is taught neither. @default 'large'
   */
  largeRim?: LargeRim;
}

/** How a scale-band model's targets label the boundary band of a `large` particle (see AugmentOptions.largeRim). */
export type LargeRim = 'large' | 'boundary' | 'ignore';

export const DEFAULT_AUGMENT: Readonly<AugmentOptions> = Object.freeze({
  boundaryFraction: 0.5,
  scale: [0.3, 1.3] as [number, number],
  flipRotate: true,
  rotationDeg: 12,
  brightness: 0.12,
  contrast: 0.25,
  gamma: 0.3,
  colour: 0.1,
  blur: 0.3,
  noise: 0.04,
  grey: 0.15,
  boundaryPx: 2,
});

/** No augmentation: a tile at scale 1, for validation. */
export const NO_AUGMENT: Readonly<AugmentOptions> = Object.freeze({
  ...DEFAULT_AUGMENT,
  boundaryFraction: 0,
  scale: [1, 1] as [number, number],
  flipRotate: false,
  rotationDeg: 0,
  brightness: 0,
  contrast: 0,
  gamma: 0,
  colour: 0,
  blur: 0,
  noise: 0,
  grey: 0,
});

export interface Tile {
  /** T × T × channels, values in [0, 1]. */
  x: Float32Array;
  /** T × T PixelClass values (255 = ignore). */
  target: Uint8Array;
}

function bilinear(img: TrainingImage, x: number, y: number, c: number): number {
  const { width: W, height: H, channels: C, pixels } = img;
  const fx = Math.min(Math.max(x - 0.5, 0), W - 1);
  const fy = Math.min(Math.max(y - 0.5, 0), H - 1);
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, W - 1);
  const y1 = Math.min(y0 + 1, H - 1);
  const ax = fx - x0;
  const ay = fy - y0;
  // No helper closure here: this runs ~10⁶ times per tile, and tsx wraps every closure in a __name() call that
  // cost 2/3 of the tile's time.
  const r0 = y0 * W;
  const r1 = y1 * W;
  const p00 = pixels[(r0 + x0) * C + c]!;
  const p10 = pixels[(r0 + x1) * C + c]!;
  const p01 = pixels[(r1 + x0) * C + c]!;
  const p11 = pixels[(r1 + x1) * C + c]!;
  return ((1 - ay) * ((1 - ax) * p00 + ax * p10) + ay * ((1 - ax) * p01 + ax * p11)) / 255;
}

function blurPass(x: Float32Array, T: number, C: number): void {
  const tmp = new Float32Array(x.length);
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      for (let c = 0; c < C; c++) {
        const l = x[(i * T + Math.max(0, j - 1)) * C + c]!;
        const r = x[(i * T + Math.min(T - 1, j + 1)) * C + c]!;
        tmp[(i * T + j) * C + c] = 0.25 * l + 0.5 * x[(i * T + j) * C + c]! + 0.25 * r;
      }
    }
  }
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      for (let c = 0; c < C; c++) {
        const u = tmp[(Math.max(0, i - 1) * T + j) * C + c]!;
        const d = tmp[(Math.min(T - 1, i + 1) * T + j) * C + c]!;
        x[(i * T + j) * C + c] = 0.25 * u + 0.5 * tmp[(i * T + j) * C + c]! + 0.25 * d;
      }
    }
  }
}

/**
 * Cuts one tile of size T from `img`. `centre` (image px) fixes the place (validation); otherwise it is drawn,
 * half the time on a boundary pixel.
 */
export function sampleTile(img: TrainingImage, rng: Random, T: number, o: AugmentOptions, centre?: [number, number]): Tile {
  const C = img.channels;
  const { width: W, height: H } = img;
  const s = o.scale[0] === o.scale[1] ? o.scale[0] : Math.exp(rng.range(Math.log(o.scale[0]), Math.log(o.scale[1])));
  const theta = (o.flipRotate ? (Math.floor(rng.uniform() * 4) * Math.PI) / 2 : 0) + (o.rotationDeg > 0 ? (rng.range(-o.rotationDeg, o.rotationDeg) * Math.PI) / 180 : 0);
  const flip = o.flipRotate && rng.uniform() < 0.5 ? -1 : 1;
  let cx: number;
  let cy: number;
  if (centre) [cx, cy] = centre;
  else if (img.boundary.length > 0 && rng.uniform() < o.boundaryFraction) {
    const p = img.boundary[Math.floor(rng.uniform() * img.boundary.length)]!;
    cx = (p % W) + rng.range(0, 1);
    cy = Math.floor(p / W) + rng.range(0, 1);
  } else {
    // Keep most of the tile inside the image when the image is larger than the tile's footprint.
    const half = T / (2 * s);
    cx = W > 2 * half ? rng.range(half, W - half) : W / 2;
    cy = H > 2 * half ? rng.range(half, H - half) : H / 2;
  }
  const cos = Math.cos(theta) / s;
  const sin = Math.sin(theta) / s;
  const k = Math.min(3, Math.ceil(1 / s - 1e-9));
  const x = new Float32Array(T * T * C);
  const ids = new Int32Array(T * T);
  const valid = new Uint8Array(T * T);
  let anyInvalid = false;
  for (let v = 0; v < T; v++) {
    for (let u = 0; u < T; u++) {
      const du = flip * (u + 0.5 - T / 2);
      const dv = v + 0.5 - T / 2;
      const sx = cx + cos * du - sin * dv;
      const sy = cy + sin * du + cos * dv;
      const q = v * T + u;
      const jj = Math.floor(sx);
      const ii = Math.floor(sy);
      const inside = jj >= 0 && ii >= 0 && jj < W && ii < H;
      // Outside the image: the nearest edge pixel's id (the frame is not an outline), but ignored.
      const src = Math.min(Math.max(ii, 0), H - 1) * W + Math.min(Math.max(jj, 0), W - 1);
      ids[q] = img.instances[src]!;
      const ok = inside && (!img.valid || img.valid[src] === 1);
      valid[q] = ok ? 1 : 0;
      if (!ok) anyInvalid = true;
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let a = 0; a < k; a++) {
          for (let b = 0; b < k; b++) {
            const ou = flip * ((a + 0.5) / k - 0.5);
            const ov = (b + 0.5) / k - 0.5;
            acc += bilinear(img, sx + cos * ou - sin * ov, sy + sin * ou + cos * ov, c);
          }
        }
        x[q * C + c] = acc / (k * k);
      }
    }
  }
  const target = makeClassMask({ width: T, height: T, data: ids }, { boundaryPx: o.boundaryPx, valid: anyInvalid ? valid : undefined }).data;
  if (o.largeAbovePx !== undefined) {
    // The b-axis in tile px is the image's b-axis times the tile scale s (tile px per image px).
    const limit = o.largeAbovePx / s;
    const rim = o.largeRim === 'boundary' ? PixelClass.boundary : o.largeRim === 'ignore' ? PixelClass.ignore : PixelClass.large;
    for (let q = 0; q < T * T; q++) {
      const id = ids[q]!;
      const c = target[q];
      if (id <= 0 || (c !== PixelClass.body && c !== PixelClass.boundary) || !((img.minorPx[id] ?? 0) > limit)) continue;
      target[q] = c === PixelClass.body ? PixelClass.large : rim;
    }
  }
  photometric(x, T, C, rng, o);
  return { x, target };
}

function photometric(x: Float32Array, T: number, C: number, rng: Random, o: AugmentOptions): void {
  if (C === 3 && o.grey > 0 && rng.uniform() < o.grey) {
    for (let p = 0; p < T * T; p++) {
      const g = 0.299 * x[3 * p]! + 0.587 * x[3 * p + 1]! + 0.114 * x[3 * p + 2]!;
      x[3 * p] = g;
      x[3 * p + 1] = g;
      x[3 * p + 2] = g;
    }
  }
  if (o.blur > 0 && rng.uniform() < o.blur) {
    const passes = 1 + Math.floor(rng.uniform() * 3);
    for (let k = 0; k < passes; k++) blurPass(x, T, C);
  }
  const bright = o.brightness > 0 ? rng.range(-o.brightness, o.brightness) : 0;
  const contrast = o.contrast > 0 ? 1 + rng.range(-o.contrast, o.contrast) : 1;
  const gamma = o.gamma > 0 ? Math.exp(rng.range(-o.gamma, o.gamma)) : 1;
  const gains = Array.from({ length: C }, () => (o.colour > 0 && C === 3 ? 1 + rng.range(-o.colour, o.colour) : 1));
  const sigma = o.noise > 0 ? rng.range(0, o.noise) : 0;
  if (bright === 0 && contrast === 1 && gamma === 1 && sigma === 0 && gains.every((g) => g === 1)) return;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  for (let p = 0; p < x.length; p++) {
    let v = (x[p]! - mean) * contrast + mean + bright;
    v = Math.pow(Math.min(1, Math.max(0, v)), gamma) * gains[p % C]!;
    if (sigma > 0) v += sigma * rng.normal();
    x[p] = Math.min(1, Math.max(0, v));
  }
}

/** Pixel counts of a target per class, for logs: [background, body, boundary, large, ignore]. */
export function classCounts(target: Uint8Array): [number, number, number, number, number] {
  const n: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  for (const v of target) n[v === PixelClass.ignore ? 4 : v]! += 1;
  return n;
}
