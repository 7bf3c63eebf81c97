// A deterministic photo of known discs, rendered analytically at any resolution (issue 12's fast check): the same
// physical scene in mm, drawn at `pxPerMm`, so a measuring instrument must report the same diameters in mm at
// every resolution. Discs are shaded domes with a darker rim on a speckled sand background, spaced apart.
import { measureParticles } from '../src/aggregate/index.js';
import type { InstanceMap, Raster } from '../src/core/index.js';

export interface Disc {
  /** Centre and diameter in mm. */
  x: number;
  y: number;
  d: number;
}

/** The scene: diameters from 1 to 30 mm (10-300 px at 10 px/mm), laid out in rows with gaps, on a 100 mm field. */
export function discScene(): { widthMm: number; heightMm: number; discs: Disc[] } {
  const diameters = [30, 22, 16, 11, 8, 5.6, 4, 2.8, 2, 1.4, 1];
  const discs: Disc[] = [];
  let x = 2;
  let y = 2;
  let rowHeight = 0;
  const width = 100;
  // Several of each size below 8 mm so small sizes are not judged on one disc.
  for (const d of diameters.flatMap((d) => (d < 8 ? [d, d, d, d] : d < 20 ? [d, d] : [d]))) {
    if (x + d + 2 > width) {
      x = 2;
      y += rowHeight + 2;
      rowHeight = 0;
    }
    discs.push({ x: x + d / 2, y: y + d / 2, d });
    x += d + 2.5;
    rowHeight = Math.max(rowHeight, d);
  }
  return { widthMm: width, heightMm: y + rowHeight + 2, discs };
}

function hash(i: number, j: number): number {
  let h = (i * 374761393 + j * 668265263) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Renders the scene at `pxPerMm` (RGB, 8-bit), 4×4 supersampled; also returns the true instance ids per pixel. */
export function renderDiscs(pxPerMm: number): { raster: Raster; truth: Int32Array; discs: Disc[] } {
  const { widthMm, heightMm, discs } = discScene();
  const W = Math.round(widthMm * pxPerMm);
  const H = Math.round(heightMm * pxPerMm);
  const S = 4;
  const acc = new Float32Array(W * H * 3);
  const truth = new Int32Array(W * H);
  // Sand everywhere: speckle fixed in mm (0.25 mm grains), so it is the same scene at every resolution.
  const sand = (xm: number, ym: number, out: Float32Array, q: number): void => {
    const n = hash(Math.floor(xm * 4), Math.floor(ym * 4));
    out[q]! += 120 + 40 * n;
    out[q + 1]! += 105 + 35 * n;
    out[q + 2]! += 80 + 30 * n;
  };
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      for (let a = 0; a < S; a++) for (let c = 0; c < S; c++) sand((j + (c + 0.5) / S) / pxPerMm, (i + (a + 0.5) / S) / pxPerMm, acc, (i * W + j) * 3);
    }
  }
  // Each disc over its bounding box only: a sub-sample inside it replaces that sub-sample's sand.
  discs.forEach((dk, k) => {
    const tone = 170 + 40 * hash(k, 7);
    const r = dk.d / 2;
    const i0 = Math.max(0, Math.floor((dk.y - r) * pxPerMm));
    const i1 = Math.min(H - 1, Math.ceil((dk.y + r) * pxPerMm));
    const j0 = Math.max(0, Math.floor((dk.x - r) * pxPerMm));
    const j1 = Math.min(W - 1, Math.ceil((dk.x + r) * pxPerMm));
    const tmp = new Float32Array(3);
    for (let i = i0; i <= i1; i++) {
      for (let j = j0; j <= j1; j++) {
        const q = (i * W + j) * 3;
        for (let a = 0; a < S; a++) {
          for (let c = 0; c < S; c++) {
            const xm = (j + (c + 0.5) / S) / pxPerMm;
            const ym = (i + (a + 0.5) / S) / pxPerMm;
            const rr = Math.hypot(xm - dk.x, ym - dk.y) / r;
            if (rr > 1) continue;
            tmp.fill(0);
            sand(xm, ym, tmp, 0);
            // A dome lit from the top left, darker towards the rim.
            const shade = 0.55 + 0.45 * Math.sqrt(1 - rr * rr) - 0.15 * ((xm - dk.x + ym - dk.y) / dk.d);
            acc[q]! += tone * shade - tmp[0]!;
            acc[q + 1]! += (tone - 10) * shade - tmp[1]!;
            acc[q + 2]! += (tone - 25) * shade - tmp[2]!;
            if (a === S >> 1 && c === S >> 1) truth[i * W + j] = k + 1;
          }
        }
      }
    }
  });
  const data = new Uint8Array(W * H * 3);
  for (let q = 0; q < data.length; q++) data[q] = Math.min(255, Math.max(0, acc[q]! / (S * S)));
  return { raster: { width: W, height: H, channels: 3, depth: 8, data }, truth, discs };
}

/** The check's resolutions (0.5×, 1×, 2× of 10 px/mm) and the smallest b-axis, px at 0.5×, it holds to ±5 %. */
export const DISC_PX_PER_MM = [5, 10, 20] as const;
export const RESOLVABLE_PX = 12;

/** The b-axis in mm of the particle under each disc's centre (NaN where there is none), and the particle count. */
export function discSizesMm(instances: InstanceMap, discs: readonly Disc[], pxPerMm: number): { mm: number[]; particles: number } {
  const byId = new Map(measureParticles(instances).map((p) => [p.id, p]));
  const mm = discs.map((d) => (byId.get(instances.data[Math.floor(d.y * pxPerMm) * instances.width + Math.floor(d.x * pxPerMm)]!)?.minorPx ?? NaN) / pxPerMm);
  return { mm, particles: byId.size };
}

/**
 * Each disc resolvable at the coarsest resolution, with its sizes at the three resolutions (`sizes[r][k]` from
 * discSizesMm) and its worst drift from 1× (NaN when a disc was not found: a failure).
 */
export function discDrifts(sizes: readonly (readonly number[])[]): { disc: Disc; mm: number[]; drift: number; ok: boolean }[] {
  return discScene()
    .discs.map((disc, k) => ({ disc, mm: sizes.map((s) => s[k]!) }))
    .filter(({ disc }) => disc.d * DISC_PX_PER_MM[0] >= RESOLVABLE_PX)
    .map(({ disc, mm }) => {
      const [a, b, c] = mm as [number, number, number];
      const drift = Math.max(Math.abs(a / b - 1), Math.abs(c / b - 1));
      return { disc, mm, drift, ok: drift <= 0.05 };
    });
}
