// pipeline: the `photosieve segment` batch runner (inputs, worker pool, resume with settings fingerprints, per-image
// and batch outputs, run.json). Segment turns an image into instances; everything around it lives here.
export * from './types.js';
export * from './overlay.js';
export * from './writeImageOutputs.js';
export * from './writeBatchOutputs.js';
export * from './processImage.js';
export * from './pool.js';
export * from './runSegmentBatch.js';
export * from './runFiles.js';
export * from './fingerprint.js';
export * from './records.js';
export * from './plan.js';
export * from './scales.js';
export * from './inputs.js';
export * from './version.js';
