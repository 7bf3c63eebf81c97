// photosieve as a library (package.json `exports`, built to dist/index.js): the calls the CLI makes, for users who
// run photosieve from their own code. The engines (onnxruntime, TensorFlow.js) and OpenCV.js load on first use.
//
//   import { runSegmentBatch } from 'photosieve';
//   const report = await runSegmentBatch({ images: ['a.jpg'], out: 'results', segmenter: { model: 'default' }, measure: { scale: 0.1, spec } });
//
// Stable here: what this file exports. Anything reached by a deeper path may change between versions.

// Errors: every failure photosieve reports is a PhotosieveError with a code, the file and the fix.
export { PhotosieveError, errorLine } from './core/errors.js';
export type { ErrorCode } from './core/errors.js';
export type { InstanceMap, Raster } from './core/types.js';
export { DEFAULT_BIN_EDGES_MM, binColumnNames } from './core/bins.js';

// A batch of photos, as `photosieve segment` runs it: resume, settings records, run.json.
export { runSegmentBatch } from './pipeline/runSegmentBatch.js';
export type { BatchReport, StageTotals } from './pipeline/runSegmentBatch.js';
export type { BatchImage, BatchOptions, ImageResult, MeasureOptions, OverlayKind, ProgressEvent } from './pipeline/types.js';
export { DEFAULT_OVERLAYS, OVERLAY_KINDS } from './pipeline/types.js';
export { IMAGE_EXTENSIONS, expandImageInputs, imageNameOf } from './pipeline/inputs.js';
export type { ExpandOptions, ExpandedInputs } from './pipeline/inputs.js';
export { matchScales } from './pipeline/scales.js';
// The files a run writes, with the schemas to read them.
export { MEASURE_JSON, RECORDS_DIR, RUN_JSON, imageRecordSchema, measureJsonSchema, readRunFile, runJsonSchema } from './pipeline/runFiles.js';
export type { ImageRecord, MeasureJson, RunJson } from './pipeline/runFiles.js';
export { packageVersion as version } from './pipeline/version.js';

// One image at a time: decode, segment (image → instances), measure, bin.
export { readImage, readImageSize, readInstancePng } from './io/image.js';
export { createSegmenter } from './segment/createSegmenter.js';
export type { Segmenter, SegmenterOptions, SegmentResult } from './segment/createSegmenter.js';
export { measureParticles } from './aggregate/measure.js';
export type { Particle } from './aggregate/measure.js';
export { DEFAULT_BIN_SPEC, EDGE_POLICIES, SIZE_MEASURES, WEIGHTINGS, sizeDistribution } from './aggregate/distribution.js';
export type { BinSpec, EdgePolicy, SizeDistribution, SizeMeasure, Weighting } from './aggregate/distribution.js';

// Folders of instance PNGs, scores against sieve truths, the HTML report.
export { runMeasure } from './aggregate/runMeasure.js';
export type { MeasureJobOptions, MeasureReport } from './aggregate/runMeasure.js';
export { runEvaluate } from './aggregate/runEvaluate.js';
export type { EvaluateOptions, EvaluationReport } from './aggregate/runEvaluate.js';
export { writeReport } from './report/writeReport.js';
export type { ReportOptions, ReportResult } from './report/writeReport.js';
