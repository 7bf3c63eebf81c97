// Seeded randomness for synth: every random draw of the generator comes from here (never Math.random), so a seed
// and the options fix every output byte. Streams are split by key, not by consumption order, so image k of a
// run is the same whatever the other images drew.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

export interface Random {
  /** The 32-bit seed this stream started from. */
  readonly seed: number;
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Gamma(shape, 1) (Marsaglia–Tsang). */
  gamma(shape: number): number;
  /** An independent stream determined by this stream's seed and `key` only. */
  split(key: number): Random;
}

/** murmur3's 32-bit finalizer over a combination of two words: well-mixed seeds for nearby keys. */
function mix(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seeded stream (xoroshiro128+ from pure-rand). `seed` is an integer 0 … 2^32 − 1. */
export function createRandom(seed: number): Random {
  const rng: RandomGenerator = xoroshiro128plus(seed | 0);
  const uniform = (): number => uniformFloat64(rng);
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // 1 - u keeps the logarithm finite (u may be 0, never 1).
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const t = 2 * Math.PI * uniform();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(shape + 1) * Math.pow(1 - uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      const v0 = 1 + c * x;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0;
      const u = 1 - uniform();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  return {
    seed: seed >>> 0,
    uniform,
    range: (lo, hi) => lo + (hi - lo) * uniform(),
    normal,
    gamma,
    split: (key) => createRandom(mix(seed >>> 0, key >>> 0)),
  };
}
