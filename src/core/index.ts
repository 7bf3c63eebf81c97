// core: shared types, pixel classes and user-facing errors. Imports nothing else of photosieve.
export * from './types.js';
export * from './errors.js';
export * from './geometry.js';
export * from './bins.js';
export * from './worker.js';
export * from './memory.js';
export * from './stemTable.js';
export * from './process.js';
