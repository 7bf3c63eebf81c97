// The segmentation loss: class-weighted cross-entropy plus soft Dice, both over the pixels the target does not
// mark `ignore`. Targets travel as one tensor [B, H, W, 4]: three one-hot class channels (PixelClass order
// background, body, boundary) and a 0/1 "valid" channel, so tf.layers' compile/fit (which updates batch-norm
// statistics) can carry the ignore mask.
import * as tf from '@tensorflow/tfjs';
import { PhotosieveError, PixelClass } from '../core/index.js';

export interface LossOptions {
  /**
   * Cross-entropy weight per class, in PixelClass order. The boundary is a thin band (a few % of the pixels)
   * but decides whether touching stones are split, so it weighs more. @default [1, 1, 3]
   */
  classWeights?: [number, number, number];
  /** Weight of the soft Dice term (mean over the three classes). @default 1 */
  diceWeight?: number;
}

export const DEFAULT_LOSS: Required<LossOptions> = { classWeights: [1, 1, 3], diceWeight: 1 };

const EPS = 1e-6;

/** Builds the loss for model.compile: (yTrue [B,H,W,4], yPred [B,H,W,3] softmax) → scalar. */
export function segmentationLoss(options: LossOptions = {}): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  const { classWeights, diceWeight } = { ...DEFAULT_LOSS, ...options };
  if (classWeights.some((w) => !(w >= 0)) || !(diceWeight >= 0)) {
    throw new PhotosieveError('E_PARAM', 'loss weights must be ≥ 0.', { fix: 'e.g. --class-weights 1,1,3 --dice-weight 1' });
  }
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const [onehot, valid] = tf.split(yTrue, [3, 1], 3) as [tf.Tensor4D, tf.Tensor4D];
      const p = tf.clipByValue(yPred, EPS, 1 - EPS);
      const nValid = tf.maximum(tf.sum(valid), 1);
      const w = tf.tensor1d(classWeights).reshape([1, 1, 1, 3]);
      const ce = tf.div(tf.neg(tf.sum(tf.mul(tf.mul(onehot, tf.log(p)), tf.mul(w, valid)))), nValid);
      const pv = tf.mul(yPred, valid);
      const inter = tf.sum(tf.mul(pv, onehot), [0, 1, 2]);
      const denom = tf.add(tf.sum(pv, [0, 1, 2]), tf.sum(onehot, [0, 1, 2]));
      const dice = tf.sub(1, tf.mean(tf.div(tf.add(tf.mul(2, inter), EPS), tf.add(denom, EPS))));
      return tf.add<tf.Scalar>(ce, tf.mul(diceWeight, dice));
    });
}

/** Packs class targets (0/1/2, 255 = ignore) into the [H, W, 4] layout the loss reads, appended to `out`. */
export function packTarget(target: Uint8Array, out: Float32Array, offset: number): void {
  for (let p = 0; p < target.length; p++) {
    const c = target[p]!;
    const o = offset + 4 * p;
    if (c === PixelClass.ignore) {
      out[o] = 0;
      out[o + 1] = 0;
      out[o + 2] = 0;
      out[o + 3] = 0;
      continue;
    }
    out[o] = c === PixelClass.background ? 1 : 0;
    out[o + 1] = c === PixelClass.body ? 1 : 0;
    out[o + 2] = c === PixelClass.boundary ? 1 : 0;
    out[o + 3] = 1;
  }
}
