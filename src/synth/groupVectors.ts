// Distribution groups: the mass-fraction vectors images are generated from. Training vectors come from a
// symmetric Dirichlet; held-out vectors are drawn the same way but kept only when they lie far from every
// training vector, so a model tested on them meets distributions it never saw.
//
// Distance rule: a held-out vector h is accepted when, for every training vector t, the Euclidean distance
// ‖h − t‖₂ ≥ holdoutDistance (held-out vectors are not compared with each other). Candidates are drawn by
// rejection sampling; after maxTries rejections in a row the run stops with an error naming the fix.
import { PhotosieveError } from '../core/index.js';
import type { Random } from './random.js';

export interface GroupVectorsOptions {
  /** Number of bins (vector length). */
  bins: number;
  /** Training vectors to draw; ignored when `training` is given. */
  groups: number;
  /** Fixed training vectors (e.g. the one prescribed with --vector). */
  training?: readonly number[][] | undefined;
  /** Held-out vectors to draw. @default 0 */
  holdout?: number;
  /** @default 0.15 */
  holdoutDistance?: number;
  /** Symmetric Dirichlet concentration. @default 2 */
  alpha?: number;
  /** Rejections allowed per held-out vector. @default 100000 */
  maxTries?: number;
}

export interface GroupVectors {
  training: number[][];
  holdout: number[][];
}

export const DEFAULT_HOLDOUT_MAX_TRIES = 100_000;

export function euclidean(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - (b[k] ?? 0)) ** 2;
  return Math.sqrt(s);
}

function dirichlet(rng: Random, bins: number, alpha: number): number[] {
  // Gamma draws may underflow to 0 for tiny alpha; redraw rather than divide by zero.
  for (;;) {
    const g = Array.from({ length: bins }, () => rng.gamma(alpha));
    const sum = g.reduce((s, x) => s + x, 0);
    if (sum > 0) return g.map((x) => x / sum);
  }
}

/** Draws training and held-out vectors; see the module header for the distance rule. */
export function makeGroupVectors(rng: Random, options: GroupVectorsOptions): GroupVectors {
  const alpha = options.alpha ?? 2;
  const minDistance = options.holdoutDistance ?? 0.15;
  const maxTries = options.maxTries ?? DEFAULT_HOLDOUT_MAX_TRIES;
  const training = options.training
    ? options.training.map((v) => [...v])
    : Array.from({ length: options.groups }, () => dirichlet(rng, options.bins, alpha));
  const holdout: number[][] = [];
  for (let h = 0; h < (options.holdout ?? 0); h++) {
    let tries = 0;
    for (;;) {
      const v = dirichlet(rng, options.bins, alpha);
      if (training.every((t) => euclidean(v, t) >= minDistance)) {
        holdout.push(v);
        break;
      }
      tries += 1;
      if (tries >= maxTries) {
        throw new PhotosieveError(
          'E_PARAM',
          `no held-out vector at distance ≥ ${minDistance} from all ${training.length} training vectors after ${maxTries} tries.`,
          { fix: 'lower --holdout-distance, use fewer --groups, or raise --alpha spread (a smaller --alpha reaches the corners)' },
        );
      }
    }
  }
  return { training, holdout };
}
