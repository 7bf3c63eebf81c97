// Burial of a stone in the matrix (the `matrix` looks): sand laps up its flanks, so what shows is a cap of the
// stone, the level set of its dome at an uneven sand level. The visible outline is the stone's own outline with
// every vertex pulled towards the star centre by s(θ) ∈ [0.3, 1], so it stays a simple star-shaped polygon and
// the label is exactly the part the picture shows. The true size (the sieve's answer) is the whole stone.
import type { Ring } from '../core/index.js';
import type { ParticleShape } from './particleShape.js';
import { RADIAL_SAMPLES } from './particleShape.js';
import type { Random } from './random.js';

/** Smallest exposed fraction of the radius: a deeper cap would be a speck, not a stone. */
export const MIN_EXPOSURE = 0.3;

/** `burial`: the largest buried fraction of the radius; each stone draws its depth uniformly up to it. */
export function buryShape(rng: Random, shape: ParticleShape, burial: number): ParticleShape {
  const depth = burial * rng.uniform();
  // An uneven sand level: one side drifted higher, and a few lobes of sand lapping up the flanks.
  const tilt = 0.6 * rng.uniform();
  const p1 = rng.uniform() * 2 * Math.PI;
  const lobes = 0.25 * rng.uniform();
  const p2 = rng.uniform() * 2 * Math.PI;
  const m3 = 3 + Math.floor(rng.uniform() * 4);
  const p3 = rng.uniform() * 2 * Math.PI;
  const s = (theta: number): number =>
    Math.min(1, Math.max(MIN_EXPOSURE, 1 - depth * (1 + tilt * Math.cos(theta - p1) + lobes * Math.cos(2 * theta - p2)
      + 0.12 * Math.cos(m3 * theta - p3))));
  const N = RADIAL_SAMPLES;
  const exposure = Float64Array.from({ length: N }, (_, i) => s((2 * Math.PI * i) / N));
  const [a, b, c, d] = shape.inv;
  // Forward map (unit frame → image) is the inverse of `inv`.
  const det = a * d - b * c;
  const m00 = d / det;
  const m01 = -b / det;
  const m10 = -c / det;
  const m11 = a / det;
  const outline: Ring = shape.outline.map(([x, y]) => {
    const ux = a * (x - shape.cx) + b * (y - shape.cy) + shape.originX;
    const uy = c * (x - shape.cx) + d * (y - shape.cy) + shape.originY;
    const f = s(Math.atan2(uy, ux));
    const vx = f * ux - shape.originX;
    const vy = f * uy - shape.originY;
    return [Math.round((shape.cx + m00 * vx + m01 * vy) * 1000) / 1000, Math.round((shape.cy + m10 * vx + m11 * vy) * 1000) / 1000];
  });
  return { ...shape, outline, exposure };
}
