// io: image decoding/encoding with sharp, atomic file writes. No algorithms.
export * from './atomic.js';
export * from './image.js';
export * from './csv.js';
export * from './readCsv.js';
export * from './writeImage.js';
export * from './files.js';
export * from './jsonFile.js';
