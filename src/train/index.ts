// train: datasets and tile sampling, augmentation, the loss, the wasm gradient kernels, the fit loop.
export * from './augment.js';
export * from './data.js';
export * from './loss.js';
export * from './parallel.js';
export * from './trainModel.js';
export * from './fewShot.js';
export * from './wasmKernels.js';
