// The segmentation loss: class-weighted cross-entropy plus soft Dice, both over the pixels the target does not
// mark `ignore`. Targets travel as one tensor [B, H, W, K + 1]: K one-hot class channels (PixelClass order
// background, body, boundary, and large for scale-band models) and a 0/1 "valid" channel, so the ignore mask
// travels with the classes.
import * as tf from '@tensorflow/tfjs';
import { PhotosieveError, PixelClass } from '../core/index.js';

import type { LossOptions } from './lossDefaults.js';
import { DEFAULT_LOSS } from './lossDefaults.js';

export type { LossOptions };
export { DEFAULT_LOSS, defaultClassWeights } from './lossDefaults.js';

const EPS = 1e-6;

/** Builds the loss: (yTrue [B,H,W,K+1], yPred [B,H,W,K] softmax) → scalar; K = classWeights.length. */
export function segmentationLoss(options: LossOptions = {}): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  const { classWeights, diceWeight } = { ...DEFAULT_LOSS, ...options };
  if (classWeights.some((w) => !(w >= 0)) || !(diceWeight >= 0)) {
    throw new PhotosieveError('E_PARAM', 'loss weights must be ≥ 0.', { fix: 'e.g. --class-weights 1,1,3 --dice-weight 1' });
  }
  const K = classWeights.length;
  return (yTrue, yPred) =>
    tf.tidy(() => {
      if (yPred.shape[3] !== K) {
        throw new PhotosieveError('E_PARAM', `${K} class weight(s) for a model with ${String(yPred.shape[3])} output classes.`, { fix: `pass --class-weights with ${String(yPred.shape[3])} values` });
      }
      const [onehot, valid] = tf.split(yTrue, [K, 1], 3) as [tf.Tensor4D, tf.Tensor4D];
      const p = tf.clipByValue(yPred, EPS, 1 - EPS);
      const nValid = tf.maximum(tf.sum(valid), 1);
      const w = tf.tensor1d(classWeights).reshape([1, 1, 1, K]);
      const ce = tf.div(tf.neg(tf.sum(tf.mul(tf.mul(onehot, tf.log(p)), tf.mul(w, valid)))), nValid);
      const pv = tf.mul(yPred, valid);
      const inter = tf.sum(tf.mul(pv, onehot), [0, 1, 2]);
      const denom = tf.add(tf.sum(pv, [0, 1, 2]), tf.sum(onehot, [0, 1, 2]));
      const dice = tf.sub(1, tf.mean(tf.div(tf.add(tf.mul(2, inter), EPS), tf.add(denom, EPS))));
      return tf.add<tf.Scalar>(ce, tf.mul(diceWeight, dice));
    });
}

/** Packs class targets (PixelClass values, 255 = ignore) into the [H, W, K + 1] layout the loss reads, at `offset`. */
export function packTarget(target: Uint8Array, out: Float32Array, offset: number, classes = 3): void {
  const stride = classes + 1;
  for (let p = 0; p < target.length; p++) {
    const c = target[p]!;
    const o = offset + stride * p;
    for (let k = 0; k < stride; k++) out[o + k] = 0;
    if (c === PixelClass.ignore) continue;
    if (c >= classes) throw new PhotosieveError('E_PARAM', `target class ${c} for a ${classes}-class model.`, { fix: 'train a scale-band model (--size-band) for large targets' });
    out[o + c] = 1;
    out[o + classes] = 1;
  }
}
