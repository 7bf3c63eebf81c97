// Paints the tray: each pixel takes the stone the instance map gives it (so the picture and the labels cannot
// disagree), shaded as a dome over the stone's outline and lit from one direction, with cast shadows between
// stones and a fine-sediment matrix in the gaps. Output is three float planes in [0, 1], before the camera.
import type { ParticleShape } from './particleShape.js';
import { radialAt } from './particleShape.js';
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

interface Look {
  colour: [number, number, number];
  /** Weights of the coarse and fine texture fields, so stones differ in pattern. */
  w1: number;
  w2: number;
  speckle: number;
  shine: number;
}

/** Cheap integer hash of a pixel index: the speckle of sand grains and crystals, stable for a seed. */
function hash01(p: number, seed: number): number {
  let h = Math.imul(p ^ seed, 0x27d4eb2d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
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

  const looks: Look[] = particles.map(() => {
    const base = PALETTE[Math.floor(rng.uniform() * PALETTE.length)]!;
    const bright = 0.85 + 0.3 * rng.uniform();
    const tint = (): number => bright * (0.96 + 0.08 * rng.uniform());
    const phase = rng.uniform() * 2 * Math.PI;
    return {
      colour: [base[0] * tint(), base[1] * tint(), base[2] * tint()],
      w1: 0.22 * Math.cos(phase),
      w2: 0.22 * Math.sin(phase),
      speckle: 0.04 + 0.14 * rng.uniform(),
      shine: rng.uniform() < 0.3 ? 0.12 : 0.03,
    };
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
      const part = particles[id - 1]!;
      const s = part.shape;
      const dx = j + 0.5 - s.cx;
      const dy = y - s.cy;
      const u = s.inv[0] * dx + s.inv[1] * dy + s.originX;
      const v = s.inv[2] * dx + s.inv[3] * dy + s.originY;
      // (Math.hypot is several times slower than the square root in V8.)
      const d = Math.min(1, Math.sqrt(u * u + v * v) / radialAt(s.radial, Math.atan2(v, u)));
      edge[p] = d;
      heightMap[p] = 0.5 * part.cPx * (0.25 + 0.75 * Math.sqrt(1 - d * d));
    }
  }

  // Shadow rays: whole-pixel steps towards the light, with the height a step must exceed to block it.
  const steps = [1.5, 3, 5, 8, 12, 17, 23].map((s) => ({
    di: Math.round(s * ly),
    dj: Math.round(s * lx),
    rise: s * tanEl,
  }));
  const R = new Float32Array(n);
  const G = new Float32Array(n);
  const B = new Float32Array(n);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const p = i * width + j;
      const id = ids[p]!;
      const h0 = heightMap[p]!;
      let occl = 0;
      for (const st of steps) {
        const qi = i + st.di;
        const qj = j + st.dj;
        if (qi < 0 || qj < 0 || qi >= height || qj >= width) break;
        const rise = heightMap[qi * width + qj]! - h0 - st.rise;
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
      const look = looks[id - 1]!;
      const nh = Math.max(0, nx * H[0] + ny * H[1] + nz * H[2]);
      const nh3 = nh * nh * nh;
      const nh6 = nh3 * nh3;
      const nh12 = nh6 * nh6;
      const spec = look.shine * nh12 * nh12 * lit;
      const rim = 1 - 0.3 * Math.max(0, (edge[p]! - 0.88) / 0.12);
      const t = (1 + look.w1 * mottle[p]! + look.w2 * sediment[p]! + look.speckle * grain) * rim;
      const shade = t * (0.3 + 0.8 * diffuse * lit);
      R[p] = look.colour[0] * shade + spec;
      G[p] = look.colour[1] * shade + spec;
      B[p] = look.colour[2] * shade + spec;
    }
  }
  return { width, height, planes: [R, G, B] };
}
