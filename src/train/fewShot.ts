// What `--init` changes for options left unset: a few photos, minutes, a model that already knows gravel. Shared by
// `photosieve train --init`, the review page's fine-tune action and bench:finetune.

export const FEW_SHOT = { lr: 5e-4, steps: 25, epochs: 1000, pipelineEvery: 1, maxMinutes: 12, valFraction: 0.2, valMinGroups: 3 } as const;
