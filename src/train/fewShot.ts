// What `--init` changes for options left unset: a few photos, minutes, a model that already knows gravel. Shared by
// `photosieve train --init`, the review page's fine-tune action and bench:finetune.

import type { TrainOptions } from './trainModel.js';

export const FEW_SHOT = { lr: 5e-4, steps: 25, epochs: 1000, pipelineEvery: 1, maxMinutes: 12, valFraction: 0.2, valMinGroups: 3 } as const;

/** trainModel's options of a few-shot run with a budget of MAX_MINUTES (the review's action, bench:finetune). */
export function fewShotTraining(maxMinutes: number = FEW_SHOT.maxMinutes): Required<Pick<TrainOptions, 'learningRate' | 'stepsPerEpoch' | 'epochs' | 'pipelineEvery' | 'valFraction' | 'valMinGroups' | 'maxSeconds'>> {
  return {
    learningRate: FEW_SHOT.lr,
    stepsPerEpoch: FEW_SHOT.steps,
    epochs: FEW_SHOT.epochs,
    pipelineEvery: FEW_SHOT.pipelineEvery,
    valFraction: FEW_SHOT.valFraction,
    valMinGroups: FEW_SHOT.valMinGroups,
    maxSeconds: maxMinutes * 60,
  };
}
