// review: correct a segment run's particles in the browser. A local server (token, 127.0.0.1, paths confined to
// the run folder) serves the photos and their particles; edits are saved as LabelMe, COCO and state.json in
// DIR/review, which `photosieve annotate` reads as they are.
export * from './client.js';
export * from './fineTune.js';
export * from './fineTuneJob.js';
export * from './http.js';
export * from './loadReviewRun.js';
export * from './page.js';
export * from './particles.js';
export * from './paths.js';
export * from './reviewFiles.js';
export * from './reviewStore.js';
export * from './server.js';
