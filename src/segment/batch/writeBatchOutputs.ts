// Batch-level outputs other than run.json. The measure stage (src/aggregate) plugs in here after merge.
import type { ImageResult, MeasureOptions } from './types.js';

export interface BatchOutputInput {
  out: string;
  /** Every input in order: done, skipped (outputs from an earlier run) or failed. */
  results: ImageResult[];
  /** --scale, --bins, --weight, --truth. */
  measure: MeasureOptions;
}

export function writeBatchOutputs(_input: BatchOutputInput): Promise<void> {
  // TODO(lead): histograms.csv (image,n_particles,<bins>,d10,d50,d90) from each result's `measure` (skipped images:
  //   re-read particles/NAME.csv), and with measure.truth the RMSE per image and overall, returned for the summary.
  return Promise.resolve();
}
