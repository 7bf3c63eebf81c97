// The particle set of one image, drawn so that its MASS fractions per bin match a prescribed vector.
//
// Mass model: a particle has axes a ≥ b ≥ c with a = b·e (elongation, per particle) and c = b·f (flatness, per
// particle); mass ∝ a·b·c = e·f·b³ (uniform density, so the constant drops out of fractions). The b-axis decides
// the bin, as a square-mesh sieve does.
//
// Budget: the frame needs a total footprint of coverage × frame area; a particle's footprint is ≈ π/4·a·b. From
// the expected footprint per unit mass of each bin (b log-uniform in the bin) follows the total mass M that
// covers the frame, and bin k receives the mass target M·f_k. Particles are drawn in the bin until the target
// is met; the last one is shrunk (b, then e and f) to land on the remainder exactly. What is left is below the
// mass of the smallest particle the bin allows (b = lower bound, e = 1, c = 0.15·b).
//
// A bin is too coarse for the frame when its whole target is below that smallest particle: it gets no particle
// and its realized fraction is 0 (the other bins grow accordingly). Realized fractions are returned per image.
import { PhotosieveError } from '../core/index.js';
import type { Random } from './random.js';
import { FLATNESS_RANGE, FLATNESS_SPREAD } from './options.js';

export interface ParticleSize {
  /** Bin index (0 = finest). */
  bin: number;
  aPx: number;
  bPx: number;
  cPx: number;
  /** a·b·c in px³. */
  mass: number;
}

export interface SampleSizesOptions {
  /** [lower bound, interior edges…, upper bound] in px; bin k spans [boundsPx[k], boundsPx[k+1]). */
  boundsPx: readonly number[];
  frameAreaPx: number;
  /** @default 1.3 */
  coverage?: number;
  /** Mean a/b. @default 1.4 */
  elongation?: number;
  /** Mean c/b. @default 0.6 */
  flatness?: number;
  /** Refuse to draw more particles than this (16-bit instance ids). @default 60000 */
  maxParticles?: number;
}

export interface SizeSample {
  particles: ParticleSize[];
  /** Mass target per bin (px³). */
  targetMass: number[];
  realizedMass: number[];
  /** realizedMass normalized to sum 1. */
  realizedFractions: number[];
  /** Bins with a positive prescription that got no particle because one particle would exceed their share. */
  coarseBins: number[];
}

export const DEFAULT_MAX_PARTICLES = 60_000;

/** E[b^n] for b log-uniform on [lo, hi]. */
function logUniformMoment(lo: number, hi: number, n: number): number {
  return (hi ** n - lo ** n) / (n * Math.log(hi / lo));
}

export function sampleParticleSizes(rng: Random, vector: readonly number[], options: SampleSizesOptions): SizeSample {
  const { boundsPx, frameAreaPx } = options;
  const coverage = options.coverage ?? 1.3;
  const elongation = options.elongation ?? 1.4;
  const flatness = options.flatness ?? 0.6;
  const maxParticles = options.maxParticles ?? DEFAULT_MAX_PARTICLES;
  const [fMin, fMax] = FLATNESS_RANGE;
  const bins = vector.length;

  // Footprint per unit mass of each bin, from expectations (e cancels; E[f] = flatness).
  let footprintPerMass = 0;
  const massPerParticle: number[] = [];
  for (let k = 0; k < bins; k++) {
    const lo = boundsPx[k]!;
    const hi = boundsPx[k + 1]!;
    const perMass = ((Math.PI / 4) * logUniformMoment(lo, hi, 2)) / (flatness * logUniformMoment(lo, hi, 3));
    footprintPerMass += vector[k]! * perMass;
    massPerParticle.push(elongation * flatness * logUniformMoment(lo, hi, 3));
  }
  const totalMass = (coverage * frameAreaPx) / footprintPerMass;
  const targetMass = vector.map((f) => f * totalMass);
  const expectedCount = targetMass.reduce((s, m, k) => s + m / massPerParticle[k]!, 0);
  if (expectedCount > maxParticles) {
    throw new PhotosieveError(
      'E_PARAM',
      `the prescription needs about ${Math.round(expectedCount)} particles in this frame, over the limit of ${maxParticles}.`,
      { fix: 'raise --min-size, lower --coverage, use a coarser --scale or a smaller frame' },
    );
  }

  const particles: ParticleSize[] = [];
  const realizedMass: number[] = [];
  const coarseBins: number[] = [];
  for (let k = 0; k < bins; k++) {
    const lo = boundsPx[k]!;
    const hi = boundsPx[k + 1]!;
    const logLo = Math.log(lo);
    const logSpan = Math.log(hi / lo);
    let remaining = targetMass[k]!;
    let placed = 0;
    while (remaining > 0) {
      const b = Math.exp(logLo + logSpan * rng.uniform());
      const e = 1 + 2 * (elongation - 1) * rng.uniform();
      const f = Math.min(fMax, Math.max(fMin, flatness + FLATNESS_SPREAD * (2 * rng.uniform() - 1)));
      const m = e * f * b ** 3;
      if (m <= remaining) {
        particles.push({ bin: k, aPx: b * e, bPx: b, cPx: b * f, mass: m });
        remaining -= m;
        placed += 1;
        continue;
      }
      // The last particle of the bin takes exactly the remainder when the bin's size limits allow it; either
      // way the bin is done.
      const bFit = Math.cbrt(remaining / (e * f));
      if (bFit >= lo) {
        particles.push({ bin: k, aPx: bFit * e, bPx: bFit, cPx: bFit * f, mass: remaining });
        placed += 1;
      } else {
        const q = remaining / lo ** 3;
        if (q >= fMin) {
          // e·f = q with f ≤ the drawn f and e ≥ 1 (q < e·f since m > remaining).
          const fFit = Math.min(q, f);
          const eFit = q / fFit;
          particles.push({ bin: k, aPx: lo * eFit, bPx: lo, cPx: lo * fFit, mass: remaining });
          placed += 1;
        }
      }
      break;
    }
    if (placed === 0 && vector[k]! > 0) coarseBins.push(k);
    realizedMass.push(0);
  }
  for (const p of particles) realizedMass[p.bin]! += p.mass;
  const total = realizedMass.reduce((s, m) => s + m, 0);
  return {
    particles,
    targetMass,
    realizedMass,
    realizedFractions: realizedMass.map((m) => (total > 0 ? m / total : 0)),
    coarseBins,
  };
}
