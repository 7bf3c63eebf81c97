// cv: the OpenCV.js loader and the Mat scope helper, shared by annotate (contour tracing), segment and aggregate.
export * from './opencv.js';
