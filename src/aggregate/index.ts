// aggregate: particle measures, size distributions, metrics, calibration, evaluation. Never reads photo pixels.
export * from './calibrate.js';
export * from './distribution.js';
export * from './hull.js';
export * from './matchInstances.js';
export * from './measure.js';
export * from './measureJson.js';
export * from './metrics.js';
export * from './particleItems.js';
export * from './pooled.js';
export * from './runMeasure.js';
export * from './tables.js';
export * from './runEvaluate.js';
export * from './segmentationScore.js';
export * from './sizeRecall.js';
