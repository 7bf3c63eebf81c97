// What the camera does to the tray: lens blur, vignetting, sensor noise, 8-bit quantization, the optional grey
// conversion and the lab's circular crop (black outside). JPEG artefacts come later, from the encoder.
import type { Random } from './random.js';
import type { RenderedScene } from './renderScene.js';

export interface CameraOptions {
  /** Gaussian sigma, px; 0 = none. @default 0.7 */
  blurPx?: number;
  /** Standard deviation of the noise as a fraction of full scale. @default 0.02 */
  noise?: number;
  /** Darkening at the corners, 0–1. @default 0.25 */
  vignette?: number;
  /** One grey channel instead of RGB. @default false */
  gray?: boolean;
  /** 1 inside the region of interest; pixels outside are black. */
  roi?: Uint8Array | undefined;
}

export interface CameraImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Interleaved 8-bit samples. */
  data: Uint8Array;
}

function gaussianKernel(sigma: number): Float32Array {
  // Two sigma, rounded: for the default 0.7 px a 3-tap kernel (the dropped outer taps held 3 % of the weight,
  // invisible under sensor noise) at half the cost of five taps.
  const radius = Math.max(1, Math.round(2 * sigma));
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let d = -radius; d <= radius; d++) {
    const v = Math.exp((-d * d) / (2 * sigma * sigma));
    k[d + radius] = v;
    sum += v;
  }
  for (let d = 0; d < k.length; d++) k[d]! /= sum;
  return k;
}

/** 1-D blur of `n` samples spaced `stride` apart from `src` into `dst`, the end samples repeated. */
function blurLine(src: Float32Array, dst: Float32Array, start: number, n: number, stride: number, kernel: Float32Array): void {
  // (stride is 1 for rows; kept general so a column pass could reuse it.)
  const r = (kernel.length - 1) / 2;
  for (let t = 0; t < n; t++) {
    let s = 0;
    if (t >= r && t < n - r) {
      // Interior: no clamping in the hot loop.
      let q = start + (t - r) * stride;
      for (let d = 0; d < kernel.length; d++, q += stride) s += kernel[d]! * src[q]!;
    } else {
      for (let d = -r; d <= r; d++) {
        const u = t + d < 0 ? 0 : t + d >= n ? n - 1 : t + d;
        s += kernel[d + r]! * src[start + u * stride]!;
      }
    }
    dst[start + t * stride] = s;
  }
}

/** Separable blur with the edge pixel repeated, in place. */
function blurPlane(plane: Float32Array, width: number, height: number, kernel: Float32Array, tmp: Float32Array): void {
  for (let i = 0; i < height; i++) blurLine(plane, tmp, i * width, width, 1, kernel);
  // Vertical pass row by row (whole rows scaled and added) so memory is read in order, not down columns.
  const r = (kernel.length - 1) / 2;
  for (let i = 0; i < height; i++) {
    const out = plane.subarray(i * width, (i + 1) * width);
    out.fill(0);
    for (let d = -r; d <= r; d++) {
      const y = i + d < 0 ? 0 : i + d >= height ? height - 1 : i + d;
      const w = kernel[d + r]!;
      const src = y * width;
      for (let j = 0; j < width; j++) out[j]! += w * tmp[src + j]!;
    }
  }
}

export function applyCamera(rng: Random, scene: RenderedScene, options: CameraOptions = {}): CameraImage {
  const { width, height } = scene;
  const n = width * height;
  const blurPx = options.blurPx ?? 0.7;
  const noise = options.noise ?? 0.02;
  const vignette = options.vignette ?? 0.25;
  const roi = options.roi;
  const planes: Float32Array[] = options.gray
    ? [
        (() => {
          const [r, g, b] = scene.planes;
          const y = new Float32Array(n);
          for (let p = 0; p < n; p++) y[p] = 0.299 * r[p]! + 0.587 * g[p]! + 0.114 * b[p]!;
          return y;
        })(),
      ]
    : [...scene.planes];
  if (blurPx > 0) {
    const kernel = gaussianKernel(blurPx);
    const tmp = new Float32Array(n);
    for (const plane of planes) blurPlane(plane, width, height, kernel, tmp);
  }
  const channels = planes.length as 1 | 3;
  const out = new Uint8Array(n * channels);
  // xorshift32 seeded from the stream, inlined: two draws per sample are the hot loop, pure-rand is too slow here.
  let state = (Math.floor(rng.uniform() * 0xffffffff) | 1) >>> 0;
  // The sum of two uniforms (variance 1/6) scaled by √6: a triangular stand-in for Gaussian sensor noise.
  const noiseScale = (noise * Math.sqrt(6)) / 4294967296;
  const cx = width / 2;
  const cy = height / 2;
  const r2max = cx * cx + cy * cy;
  const colFall = new Float32Array(width);
  for (let j = 0; j < width; j++) colFall[j] = ((j + 0.5 - cx) ** 2 / r2max) * vignette;
  for (let i = 0; i < height; i++) {
    const rowFall = 1 - ((i + 0.5 - cy) ** 2 / r2max) * vignette;
    for (let j = 0; j < width; j++) {
      const p = i * width + j;
      if (roi !== undefined && roi[p] === 0) continue;
      const fall = rowFall - colFall[j]!;
      for (let c = 0; c < channels; c++) {
        let v = planes[c]![p]! * fall;
        if (noiseScale > 0) {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          const u1 = state >>> 0;
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          v += (u1 + (state >>> 0) - 4294967296) * noiseScale;
        }
        // v·255 + 0.5 truncated is rounding for the non-negative values that reach it.
        out[p * channels + c] = v <= 0 ? 0 : v >= 1 ? 255 : (v * 255 + 0.5) | 0;
      }
    }
  }
  return { width, height, channels, data: out };
}
