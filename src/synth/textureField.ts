// Smooth random texture for stones and matrix: seeded simplex noise sampled on a coarse grid and interpolated,
// because evaluating noise at every pixel of a 1500² frame costs more than the rest of the rendering.
import { createNoise2D } from 'simplex-noise';
import type { Random } from './random.js';

export interface TextureFieldOptions {
  width: number;
  height: number;
  /** Size of the features, px. */
  wavelengthPx: number;
  /** Octaves, each at half the wavelength and half the amplitude. @default 2 */
  octaves?: number;
}

/** A field in about [-1, 1], row-major width × height. */
export function textureField(rng: Random, options: TextureFieldOptions): Float32Array {
  const { width, height, wavelengthPx } = options;
  const octaves = options.octaves ?? 2;
  const noise = createNoise2D(() => rng.uniform());
  // Grid step: a third of the finest wavelength; the interpolation error is below what the camera blur keeps.
  const finest = wavelengthPx / 2 ** (octaves - 1);
  const step = Math.max(1, Math.floor(finest / 3));
  const gw = Math.ceil(width / step) + 2;
  const gh = Math.ceil(height / step) + 2;
  const grid = new Float32Array(gw * gh);
  let norm = 0;
  for (let o = 0; o < octaves; o++) norm += 0.5 ** o;
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      let v = 0;
      for (let o = 0; o < octaves; o++) {
        const f = 2 ** o / wavelengthPx;
        v += 0.5 ** o * noise(gx * step * f + 17.3 * o, gy * step * f - 9.1 * o);
      }
      grid[gy * gw + gx] = v / norm;
    }
  }
  if (step === 1) {
    const out = new Float32Array(width * height);
    for (let i = 0; i < height; i++) out.set(grid.subarray(i * gw, i * gw + width), i * width);
    return out;
  }
  const out = new Float32Array(width * height);
  for (let i = 0; i < height; i++) {
    const fy = i / step;
    const y0 = Math.floor(fy);
    const wy = fy - y0;
    const r0 = y0 * gw;
    const r1 = r0 + gw;
    for (let j = 0; j < width; j++) {
      const fx = j / step;
      const x0 = Math.floor(fx);
      const wx = fx - x0;
      const a = grid[r0 + x0]! + (grid[r0 + x0 + 1]! - grid[r0 + x0]!) * wx;
      const b = grid[r1 + x0]! + (grid[r1 + x0 + 1]! - grid[r1 + x0]!) * wx;
      out[i * width + j] = a + (b - a) * wy;
    }
  }
  return out;
}
