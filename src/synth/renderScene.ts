// Paints the tray: each pixel takes the stone the instance map gives it (so the picture and the labels cannot
// disagree), shaded as a dome over the stone's outline and lit from one direction, with cast shadows between
// stones and a fine-sediment matrix in the gaps. Output is three float planes in [0, 1], before the camera.
import type { ParticleShape } from './particleShape.js';
import { RADIAL_SAMPLES } from './particleShape.js';
import type { Random } from './random.js';
import { textureField } from './textureField.js';

export interface RenderParticle {
  shape: ParticleShape;
  bPx: number;
  cPx: number;
}

export interface RenderSceneOptions {
  width: number;
  height: number;
  /** Degrees clockwise from the top of the image. @default 315 */
  lightAzimuthDeg?: number;
  /** @default 45 */
  lightElevationDeg?: number;
}

export interface RenderedScene {
  width: number;
  height: number;
  /** Colour planes, row-major, values in [0, 1]. */
  planes: [Float32Array, Float32Array, Float32Array];
}

/** Rock colours (sRGB, 0–1): greys, browns, a red sandstone, dark basalt, pale quartz, a greenish schist. */
const PALETTE: readonly (readonly [number, number, number])[] = [
  [0.52, 0.51, 0.49],
  [0.66, 0.65, 0.62],
  [0.34, 0.34, 0.35],
  [0.55, 0.45, 0.33],
  [0.6, 0.4, 0.3],
  [0.74, 0.66, 0.53],
  [0.23, 0.23, 0.24],
  [0.8, 0.78, 0.73],
  [0.44, 0.46, 0.4],
];
const MATRIX: readonly [number, number, number] = [0.47, 0.41, 0.33];

/** Cheap integer hash of a pixel index: the speckle of sand grains and crystals, stable for a seed. */
function hash01(p: number, seed: number): number {
  let h = Math.imul(p ^ seed, 0x27d4eb2d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

/** atan2 within 1e-5 rad (a minimax polynomial on [0, 1] and octant folding): shading needs no more. */
function fastAtan2(y: number, x: number): number {
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  if (ax === 0 && ay === 0) return 0;
  const a = Math.min(ax, ay) / Math.max(ax, ay);
  const s = a * a;
  let r = ((((-0.0117212 * s + 0.05265332) * s - 0.11643287) * s + 0.19354346) * s - 0.33262348) * s * a + 0.99997726 * a;
  if (ay > ax) r = Math.PI / 2 - r;
  if (x < 0) r = Math.PI - r;
  return y < 0 ? -r : r;
}

/** `ids[p]` is 0 for matrix or k + 1 for `particles[k]`. */
export function renderScene(
  rng: Random,
  ids: Int32Array,
  particles: readonly RenderParticle[],
  options: RenderSceneOptions,
): RenderedScene {
  const { width, height } = options;
  const n = width * height;
  const az = ((options.lightAzimuthDeg ?? 315) * Math.PI) / 180;
  const el = ((options.lightElevationDeg ?? 45) * Math.PI) / 180;
  const lx = Math.sin(az);
  const ly = -Math.cos(az);
  const L = [Math.cos(el) * lx, Math.cos(el) * ly, Math.sin(el)] as const;
  const hLen = Math.hypot(L[0], L[1], L[2] + 1);
  const H = [L[0] / hLen, L[1] / hLen, (L[2] + 1) / hLen] as const;
  const tanEl = Math.tan(el);

  // Per-stone values in flat typed arrays: the pixel loops below read them millions of times, and flat
  // arrays keep those reads monomorphic and cache-friendly (objects per stone were twice as slow).
  const m = particles.length;
  const colR = new Float64Array(m);
  const colG = new Float64Array(m);
  const colB = new Float64Array(m);
  const w1 = new Float64Array(m);
  const w2 = new Float64Array(m);
  const speckle = new Float64Array(m);
  const shine = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const base = PALETTE[Math.floor(rng.uniform() * PALETTE.length)]!;
    const bright = 0.85 + 0.3 * rng.uniform();
    colR[k] = base[0] * bright * (0.96 + 0.08 * rng.uniform());
    colG[k] = base[1] * bright * (0.96 + 0.08 * rng.uniform());
    colB[k] = base[2] * bright * (0.96 + 0.08 * rng.uniform());
    // Weights of the coarse and fine texture fields, so stones differ in pattern.
    const phase = rng.uniform() * 2 * Math.PI;
    w1[k] = 0.22 * Math.cos(phase);
    w2[k] = 0.22 * Math.sin(phase);
    speckle[k] = 0.04 + 0.14 * rng.uniform();
    shine[k] = rng.uniform() < 0.3 ? 0.12 : 0.03;
  }
  const N = RADIAL_SAMPLES;
  const geo = new Float64Array(m * 8);
  const radial = new Float64Array(m * N);
  const domeHeight = new Float64Array(m);
  particles.forEach((part, k) => {
    const sh = part.shape;
    geo.set([sh.cx, sh.cy, sh.inv[0], sh.inv[1], sh.inv[2], sh.inv[3], sh.originX, sh.originY], k * 8);
    radial.set(sh.radial, k * N);
    domeHeight[k] = 0.5 * part.cPx;
  });
  const typicalB = particles.length > 0 ? particles.reduce((s, p) => s + p.bPx, 0) / particles.length : 32;
  // Wavelengths of at least 8 px keep the noise grid at every 2nd pixel or coarser; finer grain is the speckle.
  // Stones mix the coarse mottling with the fine sediment field in their own proportions.
  const mottle = textureField(rng, { width, height, wavelengthPx: Math.max(16, typicalB / 2.5), octaves: 2 });
  const sediment = textureField(rng, { width, height, wavelengthPx: 8, octaves: 1 });
  const patches = textureField(rng, { width, height, wavelengthPx: Math.max(40, typicalB * 3), octaves: 2 });
  const speckleSeed = Math.floor(rng.uniform() * 0x7fffffff);

  // Height above the matrix: a dome over the outline, standing on a low rim so edges cast contact shadows.
  const heightMap = new Float32Array(n);
  const edge = new Float32Array(n);
  for (let i = 0; i < height; i++) {
    const y = i + 0.5;
    for (let j = 0; j < width; j++) {
      const p = i * width + j;
      const id = ids[p]!;
      if (id === 0) continue;
      const k = id - 1;
      const g = k * 8;
      const dx = j + 0.5 - geo[g]!;
      const dy = y - geo[g + 1]!;
      const u = geo[g + 2]! * dx + geo[g + 3]! * dy + geo[g + 6]!;
      const v = geo[g + 4]! * dx + geo[g + 5]! * dy + geo[g + 7]!;
      // r(θ) interpolated in the stone's radial table (θ from atan2 is in [-π, π]).
      let t = (fastAtan2(v, u) / (2 * Math.PI)) * N;
      if (t < 0) t += N;
      const i0 = Math.floor(t) % N;
      const w = t - Math.floor(t);
      const r = radial[k * N + i0]! * (1 - w) + radial[k * N + (i0 + 1 === N ? 0 : i0 + 1)]! * w;
      // (Math.hypot is several times slower than the square root in V8.)
      const d = Math.min(1, Math.sqrt(u * u + v * v) / r);
      edge[p] = d;
      heightMap[p] = domeHeight[k]! * (0.25 + 0.75 * Math.sqrt(1 - d * d));
    }
  }

  // Shadow rays: whole-pixel steps towards the light, with the height a step must exceed to block it.
  const stepLengths = [2, 4, 7, 11, 16, 22];
  const stepDi = Int32Array.from(stepLengths, (s) => Math.round(s * ly));
  const stepDj = Int32Array.from(stepLengths, (s) => Math.round(s * lx));
  const stepRise = Float64Array.from(stepLengths, (s) => s * tanEl);
  const R = new Float32Array(n);
  const G = new Float32Array(n);
  const B = new Float32Array(n);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const p = i * width + j;
      const id = ids[p]!;
      const h0 = heightMap[p]!;
      let occl = 0;
      for (let k = 0; k < stepLengths.length; k++) {
        const qi = i + stepDi[k]!;
        const qj = j + stepDj[k]!;
        if (qi < 0 || qj < 0 || qi >= height || qj >= width) break;
        const rise = heightMap[qi * width + qj]! - h0 - stepRise[k]!;
        if (rise > occl * 3) occl = rise >= 3 ? 1 : rise / 3;
      }
      const lit = 1 - 0.7 * occl;
      const grain = hash01(p, speckleSeed) - 0.5;
      if (id === 0) {
        const t = 1 + 0.22 * sediment[p]! + 0.1 * patches[p]! + 0.35 * grain;
        const shade = t * (0.5 + 0.5 * lit);
        R[p] = MATRIX[0] * shade;
        G[p] = MATRIX[1] * shade;
        B[p] = MATRIX[2] * shade;
        continue;
      }
      // Slope from neighbours of the same stone only; across an outline the heights belong to another stone.
      const left = j > 0 && ids[p - 1] === id ? heightMap[p - 1]! : h0;
      const right = j < width - 1 && ids[p + 1] === id ? heightMap[p + 1]! : h0;
      const up = i > 0 && ids[p - width] === id ? heightMap[p - width]! : h0;
      const down = i < height - 1 && ids[p + width] === id ? heightMap[p + width]! : h0;
      const gx = (right - left) / 2;
      const gy = (down - up) / 2;
      const inv = 1 / Math.sqrt(gx * gx + gy * gy + 1);
      const nx = -gx * inv;
      const ny = -gy * inv;
      const nz = inv;
      const diffuse = Math.max(0, nx * L[0] + ny * L[1] + nz * L[2]);
      const k = id - 1;
      const nh = Math.max(0, nx * H[0] + ny * H[1] + nz * H[2]);
      const nh3 = nh * nh * nh;
      const nh6 = nh3 * nh3;
      const nh12 = nh6 * nh6;
      const spec = shine[k]! * nh12 * nh12 * lit;
      const rim = 1 - 0.3 * Math.max(0, (edge[p]! - 0.88) / 0.12);
      const t = (1 + w1[k]! * mottle[p]! + w2[k]! * sediment[p]! + speckle[k]! * grain) * rim;
      const shade = t * (0.3 + 0.8 * diffuse * lit);
      R[p] = colR[k]! * shade + spec;
      G[p] = colG[k]! * shade + spec;
      B[p] = colB[k]! * shade + spec;
    }
  }
  return { width, height, planes: [R, G, B] };
}
