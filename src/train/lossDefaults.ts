// The loss's options and defaults without TensorFlow.js, so `photosieve train --help` can name them cheaply.

export interface LossOptions {
  /**
   * Cross-entropy weight per class, in PixelClass order (one per model class). The boundary is a thin band (a
   * few % of the pixels) but decides whether touching stones are split, so it weighs more. @default [1, 1, 3]
   * (scale-band models: [1, 1, 3, 1])
   */
  classWeights?: number[];
  /** Weight of the soft Dice term (mean over the classes). @default 1 */
  diceWeight?: number;
}

export const DEFAULT_LOSS: Required<LossOptions> = { classWeights: [1, 1, 3], diceWeight: 1 };

/** The default class weights for a model of `classes` outputs. */
export function defaultClassWeights(classes: number): number[] {
  return classes === 4 ? [1, 1, 3, 1] : [...DEFAULT_LOSS.classWeights];
}
