// segment/batch: the `photosieve segment` runner (worker pool, resume, per-image and batch outputs).
export * from './types.js';
export * from './overlay.js';
export * from './writeImageOutputs.js';
export * from './writeBatchOutputs.js';
export * from './processImage.js';
export * from './pool.js';
export * from './runSegmentBatch.js';
