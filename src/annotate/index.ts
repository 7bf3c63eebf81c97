// annotate: label files (LabelMe, COCO, CVAT) → validated polygons → instance maps and 3-class targets; and back.
export * from './clip.js';
export * from './export.js';
export * from './overlaps.js';
export * from './rasterize.js';
export * from './roi.js';
export * from './target.js';
export * from './trace.js';
export * from './writeOutputs.js';
export * from './formats/index.js';
export * from './report.js';
export * from './runAnnotate.js';
export * from './validate.js';
