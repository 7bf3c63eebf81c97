// Paints the tray: each pixel takes the stone the instance map gives it (so the picture and the labels cannot
// disagree), shaded as a dome over the stone's outline and lit from one direction, with cast shadows between
// stones and a fine-sediment matrix in the gaps. Output is three float planes in [0, 1], before the camera.
// A look (LookStyle) adds wetness, facets, burial dust, internal texture, sand grains, long shadows and contact
// darkening; with the neutral DRY_STYLE every one of those branches is skipped and the pixels are the original's.
import { grainField } from './grainField.js';
import type { LookStyle } from './looks.js';
import { DRY_STYLE, sedimentColour } from './looks.js';
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
  /** @default DRY_STYLE */
  style?: LookStyle;
  /** Spacing of resolved sand grains and crystals, px. @default 3 */
  grainPx?: number;
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
/** Colours of a second mineral in textured stones: white quartz, black biotite, pink feldspar, rust, green epidote. */
const ACCENTS: readonly (readonly [number, number, number])[] = [
  [0.86, 0.85, 0.82],
  [0.12, 0.12, 0.13],
  [0.78, 0.55, 0.47],
  [0.55, 0.3, 0.16],
  [0.42, 0.5, 0.33],
];
/** Internal texture kinds of textured stones. */
const TEXTURE = { veins: 0, crystals: 1, bands: 2, clasts: 3 } as const;

/** Wet surfaces: water fills the pores, so less light scatters back (darker) and colour is less diluted by it
 * (more saturated). `w` 0 … 1. */
function wetColour(c: [number, number, number], w: number): void {
  const lum = (c[0] + c[1] + c[2]) / 3;
  for (let q = 0; q < 3; q++) c[q] = Math.max(0, (lum + (c[q]! - lum) * (1 + 0.9 * w)) * (1 - 0.38 * w));
}

/** Separable box mean of radius r (running sums), edges clamped: ambient occlusion needs only the local mean. */
function boxMean(src: Float32Array, width: number, height: number, r: number): Float32Array {
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const inv = 1 / (2 * r + 1);
  for (let i = 0; i < height; i++) {
    const row = i * width;
    let acc = 0;
    for (let d = -r; d <= r; d++) acc += src[row + Math.min(width - 1, Math.max(0, d))]!;
    for (let j = 0; j < width; j++) {
      tmp[row + j] = acc * inv;
      acc += src[row + Math.min(width - 1, j + r + 1)]! - src[row + Math.max(0, j - r)]!;
    }
  }
  const col = new Float32Array(width);
  for (let d = -r; d <= r; d++) {
    const src2 = Math.min(height - 1, Math.max(0, d)) * width;
    for (let j = 0; j < width; j++) col[j]! += tmp[src2 + j]!;
  }
  for (let i = 0; i < height; i++) {
    const row = i * width;
    const add = Math.min(height - 1, i + r + 1) * width;
    const sub = Math.max(0, i - r) * width;
    for (let j = 0; j < width; j++) {
      out[row + j] = col[j]! * inv;
      col[j]! += tmp[add + j]! - tmp[sub + j]!;
    }
  }
  return out;
}

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
  const style = options.style ?? DRY_STYLE;
  const MATRIX = style.matrixColour;

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
  // Look-specific draws come from their own streams, after the original ones, so the dry look is untouched.
  const wet = style.wetness;
  const matrixRgb: [number, number, number] = style.variedMatrix ? sedimentColour(rng.split(103)) : [MATRIX[0], MATRIX[1], MATRIX[2]];
  if (wet > 0) {
    for (let k = 0; k < m; k++) {
      const c: [number, number, number] = [colR[k]!, colG[k]!, colB[k]!];
      wetColour(c, wet);
      [colR[k], colG[k], colB[k]] = c;
    }
    wetColour(matrixRgb, wet * 0.8);
  }
  const texture = style.texture;
  const kind = new Uint8Array(m);
  const col2 = new Float64Array(m * 3);
  const bandDir = new Float64Array(m * 3);
  if (texture > 0) {
    const trng = rng.split(101);
    for (let k = 0; k < m; k++) {
      kind[k] = Math.floor(trng.uniform() * 4);
      const accent = ACCENTS[Math.floor(trng.uniform() * ACCENTS.length)]!;
      const other = PALETTE[Math.floor(trng.uniform() * PALETTE.length)]!;
      // Crystals and veins take a mineral accent; bands and clasts another rock's colour.
      const c: [number, number, number] = kind[k] === TEXTURE.veins || kind[k] === TEXTURE.crystals ? [...accent] : [...other];
      if (wet > 0) wetColour(c, wet);
      col2.set(c, k * 3);
      const phi = trng.uniform() * Math.PI;
      // Band period: a few bands across the stone.
      const period = particles[k]!.bPx / (2 + 5 * trng.uniform());
      bandDir.set([(Math.cos(phi) * 2 * Math.PI) / period, (Math.sin(phi) * 2 * Math.PI) / period, trng.uniform() * 2 * Math.PI], k * 3);
    }
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
  const lookRng = rng.split(102);
  const grainPx = options.grainPx ?? 3;
  const grains = style.grains > 0 || texture > 0
    ? grainField({ width, height, grainPx, seed: Math.floor(lookRng.uniform() * 0x7fffffff), lightX: lx, lightY: ly })
    : undefined;
  const crystals = texture > 0
    ? grainField({ width, height, grainPx: Math.max(1.5, grainPx * 0.8), seed: Math.floor(lookRng.uniform() * 0x7fffffff), lightX: lx, lightY: ly })
    : undefined;
  const veinField = texture > 0 ? textureField(lookRng, { width, height, wavelengthPx: Math.max(24, typicalB / 1.5), octaves: 2 }) : undefined;
  const clastField = texture > 0 ? textureField(lookRng, { width, height, wavelengthPx: Math.max(10, typicalB / 5), octaves: 1 }) : undefined;
  const film = wet > 0 ? textureField(lookRng, { width, height, wavelengthPx: Math.max(12, typicalB / 4), octaves: 2 }) : undefined;
  const burial = style.burial > 0;
  const expo = burial ? new Float64Array(m * N).fill(1) : undefined;
  if (expo) particles.forEach((part, k) => part.shape.exposure && expo.set(part.shape.exposure, k * N));
  // How close a buried stone's pixel lies to the sand line (1 = on it): sand dusts the stone there.
  const dust = burial ? new Float32Array(n) : undefined;

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
      // Facets: |p| / r(θ) is linear across each straight edge, so 1 − d is a pyramid of planar faces; the
      // plateau is a flat fracture face on top.
      heightMap[p] = style.facets
        ? domeHeight[k]! * (0.25 + 0.75 * Math.min(1, 1.6 * (1 - d)))
        : domeHeight[k]! * (0.25 + 0.75 * Math.sqrt(1 - d * d));
      if (expo && dust) {
        const e = expo[k * N + i0]! * (1 - w) + expo[k * N + (i0 + 1 === N ? 0 : i0 + 1)]! * w;
        if (e < 1) dust[p] = Math.max(0, (d / e - 0.72) / 0.28) * Math.min(1, (1 - e) * 4);
      }
    }
  }

  // Shadow rays: whole-pixel steps towards the light, with the height a step must exceed to block it.
  // Long shadows (low light): a geometric ladder of steps out to where the tallest stone's shadow ends.
  const maxHeight = domeHeight.reduce((a, h) => Math.max(a, h), 0);
  const stepLengths = style.longShadows
    ? Array.from({ length: 16 }, (_, s) => Math.round(2 * Math.pow(Math.max(2, Math.min(600, maxHeight / tanEl) / 2), s / 15)))
    : [2, 4, 7, 11, 16, 22];
  const stepDi = Int32Array.from(stepLengths, (s) => Math.round(s * ly));
  const stepDj = Int32Array.from(stepLengths, (s) => Math.round(s * lx));
  const stepRise = Float64Array.from(stepLengths, (s) => s * tanEl);
  // Contact darkening: a pixel below the mean height around it sees less sky (ambient occlusion); wet sand also
  // wicks water up against the stones. Zero for the dry look.
  let occlusion: Float32Array | undefined;
  if (style.contact > 0) {
    const typicalH = Math.max(1, 0.5 * (particles.reduce((s, p) => s + p.cPx, 0) / Math.max(1, m)));
    const radius = Math.max(3, Math.round(typicalB * 0.25));
    const mean = boxMean(heightMap, width, height, radius);
    occlusion = new Float32Array(n);
    for (let p = 0; p < n; p++) occlusion[p] = 1 - 0.6 * style.contact * Math.min(1, Math.max(0, mean[p]! - heightMap[p]!) / (0.45 * typicalH));
  }
  const mottleAmp = style.flatBackground ? 0.03 : 0.22;
  const patchAmp = style.flatBackground ? 0.04 : 0.1;
  const speck = style.matrixSpeckle;
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
        let t = 1 + mottleAmp * sediment[p]! + patchAmp * patches[p]! + speck * grain;
        if (grains) t += 0.25 * style.grains * grains.relief[p]!;
        let shade = t * (0.5 + 0.5 * lit);
        if (occlusion) shade *= occlusion[p]!;
        // Wet sand glints where a grain's film faces the camera.
        // (Only the lit crown of one grain in a hundred: more reads as snow.)
        const glint = wet > 0 && grains && grains.cell[p]! > 0.99 && grains.relief[p]! > 0.75 ? 0.25 * wet * lit : 0;
        R[p] = matrixRgb[0] * shade + glint;
        G[p] = matrixRgb[1] * shade + glint;
        B[p] = matrixRgb[2] * shade + glint;
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
      let spec = shine[k]! * nh12 * nh12 * lit;
      if (film) {
        // A water film: a tight, bright highlight, broken where the film has dried.
        const nh48 = nh12 * nh12 * nh12 * nh12;
        spec += wet * 0.9 * nh48 * nh48 * lit * Math.max(0, 0.55 + 0.6 * film[p]!);
      }
      const rim = 1 - 0.3 * Math.max(0, (edge[p]! - 0.88) / 0.12);
      const t = (1 + w1[k]! * mottle[p]! + w2[k]! * sediment[p]! + speckle[k]! * grain) * rim;
      let shade = t * (0.3 + 0.8 * diffuse * lit);
      if (occlusion) shade *= occlusion[p]!;
      let r = colR[k]!;
      let g = colG[k]!;
      let b = colB[k]!;
      if (texture > 0 && crystals && veinField && clastField) {
        // Internal texture: a mix towards the second colour, with hard edges inside the stone only.
        let mix: number;
        switch (kind[k]) {
          case TEXTURE.veins:
            mix = Math.max(0, 1 - Math.abs(veinField[p]!) / 0.07);
            break;
          case TEXTURE.crystals: {
            const c = crystals.cell[p]!;
            mix = c < 0.22 ? 1 : 0;
            shade *= 1 + 0.35 * (c - 0.5) + 0.15 * crystals.relief[p]!;
            break;
          }
          case TEXTURE.bands: {
            const q = k * 3;
            const phase = bandDir[q]! * j + bandDir[q + 1]! * i + bandDir[q + 2]! + 2.5 * mottle[p]!;
            mix = Math.max(0, Math.min(1, Math.sin(phase) * 2.2));
            break;
          }
          default:
            mix = clastField[p]! > 0.25 ? 1 : clastField[p]! > 0.18 ? (clastField[p]! - 0.18) / 0.07 : 0;
        }
        mix *= texture;
        const q = k * 3;
        r += (col2[q]! - r) * mix;
        g += (col2[q + 1]! - g) * mix;
        b += (col2[q + 2]! - b) * mix;
      }
      let outR = r * shade + spec;
      let outG = g * shade + spec;
      let outB = b * shade + spec;
      if (dust && dust[p]! > 0) {
        // Sand dusting the stone along its sand line, in the matrix's colour.
        const f = 0.85 * dust[p]! * dust[p]!;
        const sand = (1 + speck * grain) * (0.5 + 0.5 * lit);
        outR += (matrixRgb[0] * sand - outR) * f;
        outG += (matrixRgb[1] * sand - outG) * f;
        outB += (matrixRgb[2] * sand - outB) * f;
      }
      R[p] = outR;
      G[p] = outG;
      B[p] = outB;
    }
  }
  return { width, height, planes: [R, G, B] };
}
