// segment: backend ladder, U-Net, tiled inference, instance stage, classical mode, batch runner. Never measures.
export * from './backend.js';
export * from './unet.js';
export * from './modelMeta.js';
export * from './modelFolder.js';
export * from './tiling.js';
export * from './semantic.js';
export * from './morphology.js';
export * from './instances.js';
export * from './classical.js';
export * from './resize.js';
export * from './createSegmenter.js';
export * from './batch/index.js';
