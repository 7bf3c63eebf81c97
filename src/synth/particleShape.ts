// The outline of one stone: an irregular star-shaped polygon whose moment ellipse has exactly the drawn a- and
// b-axes, so that `measure` (ellipse axes from second moments) reads back the sizes the generator binned by.
//
// In a unit frame the outline is a radial function r(θ): a random convex polygon (5–9 corners) for angularity,
// smoothed over an angle window that grows with roundness, with a few random high harmonics for roughness.
// A linear map then sets the moment ellipse to (a, b) and rotates it. Shading reuses the radial table to find,
// for any pixel, how far it lies from the centre relative to the outline (0 = centre, 1 = edge).
import type { Ring } from '../core/index.js';
import type { Random } from './random.js';

/** Samples of the radial function over a full turn. */
export const RADIAL_SAMPLES = 128;
const COS = Float64Array.from({ length: RADIAL_SAMPLES }, (_, i) => Math.cos((2 * Math.PI * i) / RADIAL_SAMPLES));
const SIN = Float64Array.from({ length: RADIAL_SAMPLES }, (_, i) => Math.sin((2 * Math.PI * i) / RADIAL_SAMPLES));

export interface ParticleShapeOptions {
  aPx: number;
  bPx: number;
  cx: number;
  cy: number;
  /** Rotation of the a-axis from the image x axis, radians. */
  angleRad: number;
  /** 0 = angular … 1 = well rounded. */
  roundness: number;
  /** 0 = smooth … 1 = rough. */
  roughness: number;
  /** Up to this many flat fracture faces cut through the outline (1 at least when > 0); 0 draws nothing. @default 0 */
  fractures?: number;
}

export interface ParticleShape {
  cx: number;
  cy: number;
  /** Unit-frame point that maps to (cx, cy). */
  originX: number;
  originY: number;
  /** Image → unit frame: p_unit = inv · (p − (cx, cy)) + origin, row-major 2×2. */
  inv: [number, number, number, number];
  /** r(θ) at θ = 2πi / RADIAL_SAMPLES in the unit frame, without the roughness: shading domes follow the
   * stone's body, not every notch of its outline. */
  radial: Float64Array;
  /** The outline in image pixels (vertices rounded to 1/1000 px): the visible outline once buried. */
  outline: Ring;
  /** Buried stones only: the exposed fraction s(θ) of r(θ) at the same angles as `radial` (see buryShape). */
  exposure?: Float64Array;
}

function cross(ax: number, ay: number, bx: number, by: number): number {
  return ax * by - ay * bx;
}

function smoothCircular(values: Float64Array, half: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = -half; d <= half; d++) s += values[(i + d + n) % n]!;
    out[i] = s / (2 * half + 1);
  }
  return out;
}

/** r(θ) by linear interpolation in the radial table. */
export function radialAt(radial: Float64Array, theta: number): number {
  const n = radial.length;
  // theta from atan2 lies in [-π, π]: one shift by a full turn is enough.
  let t = (theta / (2 * Math.PI)) * n;
  if (t < 0) t += n;
  const i = Math.floor(t);
  const w = t - i;
  const i0 = i >= n ? i - n : i;
  const i1 = i0 + 1 >= n ? 0 : i0 + 1;
  return radial[i0]! * (1 - w) + radial[i1]! * w;
}

export function makeParticleShape(rng: Random, o: ParticleShapeOptions): ParticleShape {
  const N = RADIAL_SAMPLES;
  // Angular base: a convex-ish polygon with jittered corner angles and radii.
  const corners = 5 + Math.floor(rng.uniform() * 5);
  const step = (2 * Math.PI) / corners;
  const phase = rng.uniform() * 2 * Math.PI;
  const vx: number[] = [];
  const vy: number[] = [];
  for (let j = 0; j < corners; j++) {
    const t = phase + j * step + (rng.uniform() - 0.5) * 0.7 * step;
    const rho = 1 - 0.22 * rng.uniform();
    vx.push(rho * Math.cos(t));
    vy.push(rho * Math.sin(t));
  }
  let radial: Float64Array = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const ux = COS[i]!;
    const uy = SIN[i]!;
    // The ray from the origin leaves the polygon through exactly one edge (the polygon is star-shaped).
    let r = 1;
    for (let j = 0; j < corners; j++) {
      const px = vx[j]!;
      const py = vy[j]!;
      const dx = vx[(j + 1) % corners]! - px;
      const dy = vy[(j + 1) % corners]! - py;
      const den = cross(ux, uy, dx, dy);
      if (Math.abs(den) < 1e-12) continue;
      const t = cross(px, py, dx, dy) / den;
      const s = cross(px, py, ux, uy) / den;
      if (t > 0 && s >= 0 && s <= 1) {
        r = t;
        break;
      }
    }
    radial[i] = r;
  }
  // Squared so that mid roundness still shows corners: only well-rounded stones lose them entirely.
  const half = Math.round((o.roundness * o.roundness * N) / (corners * 1.2));
  if (half > 0) radial = smoothCircular(smoothCircular(radial, half), half);
  // Fracture faces: a half-plane at distance dist from the centre, normal at angle phi, caps r(θ) at
  // dist / cos(θ − phi). Cut after rounding so the face stays flat (a broken pebble), and again after roughness.
  // A half-plane through which the centre is kept leaves the outline star-shaped.
  const cuts: [number, number][] = [];
  const fractures = o.fractures ?? 0;
  if (fractures > 0) {
    const count = 1 + Math.floor(rng.uniform() * fractures);
    for (let c = 0; c < count; c++) {
      const phi = rng.uniform() * 2 * Math.PI;
      cuts.push([phi, radialAt(radial, phi > Math.PI ? phi - 2 * Math.PI : phi) * (0.55 + 0.35 * rng.uniform())]);
    }
  }
  const cut = (table: Float64Array): void => {
    for (const [phi, dist] of cuts) {
      for (let i = 0; i < N; i++) {
        const c = COS[i]! * Math.cos(phi) + SIN[i]! * Math.sin(phi);
        if (c > 1e-9) table[i] = Math.min(table[i]!, dist / c);
      }
    }
  };
  if (cuts.length > 0) {
    radial = Float64Array.from(radial);
    cut(radial);
  }
  const body = radial;
  if (o.roughness > 0) {
    radial = Float64Array.from(body);
    for (let h = 0; h < 8; h++) {
      const m = 4 + Math.floor(rng.uniform() * 36);
      const amp = (o.roughness * 0.04 * rng.normal() * 7) / m;
      const ph = rng.uniform() * 2 * Math.PI;
      const cph = Math.cos(ph);
      const sph = Math.sin(ph);
      // cos(mθ + φ) from the tables: mθ_i is sample (m·i mod N).
      for (let i = 0; i < N; i++) {
        const k = (m * i) % N;
        radial[i]! *= 1 + amp * (COS[k]! * cph - SIN[k]! * sph);
      }
    }
    for (let i = 0; i < N; i++) radial[i] = Math.max(0.3, radial[i]!);
    if (cuts.length > 0) cut(radial);
  }

  // The outline is the radial function sampled at n angles. Fewer vertices for small stones keep polygon
  // clipping fast (its cost grows with vertices, and it dominates the run time); edges of ~5 px still look
  // round once the camera blurs them.
  const perimeter = (Math.PI * (o.aPx + o.bPx)) / 2;
  const n = Math.max(12, Math.min(56, Math.round(perimeter / 5)));
  const px: number[] = [];
  const py: number[] = [];
  for (let j = 0; j < n; j++) {
    const th = (2 * Math.PI * j) / n;
    const r = radialAt(radial, th);
    px.push(r * Math.cos(th));
    py.push(r * Math.sin(th));
  }
  // Second moments of that polygon itself (not of the finer table), so the map below gives the outline
  // that is written and rasterized a moment ellipse of exactly (a, b).
  let area2 = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const i1 = (i + 1) % n;
    const x0 = px[i]!;
    const y0 = py[i]!;
    const x1 = px[i1]!;
    const y1 = py[i1]!;
    const c = cross(x0, y0, x1, y1);
    area2 += c;
    sx += (x0 + x1) * c;
    sy += (y0 + y1) * c;
    sxx += (x0 * x0 + x0 * x1 + x1 * x1) * c;
    syy += (y0 * y0 + y0 * y1 + y1 * y1) * c;
    sxy += (x0 * y1 + 2 * x0 * y0 + 2 * x1 * y1 + x1 * y0) * c;
  }
  const area = area2 / 2;
  const mx = sx / (6 * area);
  const my = sy / (6 * area);
  const cxx = sxx / (12 * area) - mx * mx;
  const cyy = syy / (12 * area) - my * my;
  const cxy = sxy / (24 * area) - mx * my;
  const mean = (cxx + cyy) / 2;
  const dev = Math.sqrt(((cxx - cyy) / 2) ** 2 + cxy * cxy);
  const l1 = mean + dev;
  const l2 = Math.max(mean - dev, 1e-12);
  const phi = 0.5 * Math.atan2(2 * cxy, cxx - cyy);
  // M = R(angle) · diag(a / 4√λ1, b / 4√λ2) · R(−φ): the moment ellipse's full axes become a and b.
  const s1 = o.aPx / (4 * Math.sqrt(l1));
  const s2 = o.bPx / (4 * Math.sqrt(l2));
  const cp = Math.cos(phi);
  const sp = Math.sin(phi);
  const ca = Math.cos(o.angleRad);
  const sa = Math.sin(o.angleRad);
  // D · R(−φ) first, then R(angle).
  const d00 = s1 * cp;
  const d01 = s1 * sp;
  const d10 = -s2 * sp;
  const d11 = s2 * cp;
  const m00 = ca * d00 - sa * d10;
  const m01 = ca * d01 - sa * d11;
  const m10 = sa * d00 + ca * d10;
  const m11 = sa * d01 + ca * d11;
  const det = m00 * m11 - m01 * m10;
  const inv: [number, number, number, number] = [m11 / det, -m01 / det, -m10 / det, m00 / det];

  const outline: Ring = [];
  for (let j = 0; j < n; j++) {
    const ux = px[j]! - mx;
    const uy = py[j]! - my;
    const x = o.cx + m00 * ux + m01 * uy;
    const y = o.cy + m10 * ux + m11 * uy;
    outline.push([Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000]);
  }
  return { cx: o.cx, cy: o.cy, originX: mx, originY: my, inv, radial: body, outline };
}
