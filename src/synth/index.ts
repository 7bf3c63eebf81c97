// synth: renders synthetic gravel with exact visible polygons and true size vectors (train, test, bench).
export * from './applyCamera.js';
export * from './buryShape.js';
export * from './grainField.js';
export * from './groupVectors.js';
export * from './layoutParticles.js';
export * from './looks.js';
export * from './options.js';
export * from './particleShape.js';
export * from './random.js';
export * from './renderScene.js';
export * from './runSynth.js';
export * from './sampleSizes.js';
export * from './synthImage.js';
export * from './textureField.js';
export * from './visibleGeometry.js';
export * from './visibleVectors.js';
