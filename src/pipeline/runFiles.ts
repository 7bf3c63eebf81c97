// The files a segment run leaves in DIR and others read: run.json, measure.json and the per-image records
// (records/NAME.json). One zod schema each, used by the writer (its output is typed against z.input) and by every
// reader (report, review, evaluate, resume), so writer and readers cannot drift apart with the tests green.
// zod, aggregate's measure.json schema and io's JSON reader only: the CLI and the readers load this without the runner.
import { z } from 'zod';
import { binSpecSchema, nullableNumber as num, pooledSchema } from '../aggregate/measureJson.js';

export const RUN_JSON = 'run.json';
export const RECORDS_DIR = 'records';

// measure.json's schema lives in aggregate (its other writer and its reader are there); the bin spec and pooled row
// of run.json are that schema's. The JSON reader is io's. Re-exported so pipeline's users find them here as before.
export { MEASURE_JSON, binSpecSchema, measureJsonSchema, pooledSchema } from '../aggregate/measureJson.js';
export type { MeasureJson, MeasureJsonInput } from '../aggregate/measureJson.js';
export { parseRunFile, readRunFile } from '../io/jsonFile.js';

/**
 * An image name: the photo's path relative to the folder or glob it was found in, without its extension, with `/`
 * between folders (`site-a/IMG_001`); a plain stem for a file named on the command line. It becomes part of output
 * paths (instances/NAME.png), so no segment may be empty, `.` or `..`, and `\` and NUL are refused.
 */
export const imageName = z
  .string()
  .min(1)
  .refine((s) => !/[\\\0]/.test(s) && !s.startsWith('/') && s.split('/').every((part) => part !== '' && part !== '.' && part !== '..'), {
    message: 'must be a file stem, or stems joined by / (no \\, no empty, . or .. part)',
  });

/** One image's size distribution as the measure stage returns it: fractions, count, percentiles (d10, d50, …). */
export const imageMeasureSchema = z.looseObject({
  fractions: z.array(num),
  n: z.number(),
  d10: num.optional(),
  d16: num.optional(),
  d30: num.optional(),
  d50: num.optional(),
  d60: num.optional(),
  d84: num.optional(),
  d90: num.optional(),
  /** Uniformity coefficient D60/D10 and coefficient of curvature D30²/(D10·D60). */
  cu: num.optional(),
  cc: num.optional(),
  warnings: z.array(z.string()).default([]),
  unmeasuredAreaFraction: num.optional(),
  /** The part of unmeasuredAreaFraction in clusters of grains too small to resolve (SegmentResult.unresolved). */
  unresolvedAreaFraction: num.optional(),
});

export const IMAGE_STATUSES = ['done', 'skipped', 'failed'] as const;

export const imageResultSchema = z.object({
  name: imageName,
  path: z.string(),
  status: z.enum(IMAGE_STATUSES),
  /** One line naming the file and the fix, when failed. */
  error: z.string().optional(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  particles: z.number().optional(),
  tiles: z.number().optional(),
  /** Image-pyramid levels above full resolution that ran (scale-band models; 0 = single scale). */
  levels: z.number().optional(),
  /** Milliseconds per stage (decodeMs, semanticMs, instancesMs, measureMs, writeMs). */
  timings: z.record(z.string(), z.number()).optional(),
  measure: imageMeasureSchema.optional(),
  /** mm per pixel this image was measured at (--scale, or its row of --scales). */
  scale: z.number().positive().optional(),
  /** SHA-256 of the settings and engine that made the image's outputs (its record, records/NAME.json). */
  fingerprint: z.string().optional(),
  /** Horizontal strips the photo was segmented in (absent: whole; memoryPlan.ts, segment/strips.ts). */
  strips: z.number().int().positive().optional(),
  /** Lines about this photo (particles strips may have cut), absent when none. */
  warnings: z.array(z.string()).optional(),
});

const batchMeasureSchema = z.object({
  bins: z.array(z.string()),
  images: z.array(z.object({ image: z.string(), n: z.number(), vector: z.array(num), truth: z.array(z.number()).optional(), rmse: num.optional() })),
  rmse: num.optional(),
  noTruth: z.array(z.string()).default([]),
  warnings: z.array(z.string()).default([]),
  pooled: pooledSchema.optional(),
});

export const runJsonSchema = z.object({
  tool: z.literal('photosieve segment'),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  model: z.object({
    kind: z.enum(['unet', 'classical']).optional(),
    id: z.string().optional(),
    /** SHA-256 of meta.json, model.json and the weights (absent for classical mode). */
    sha256: z.string().optional(),
    note: z.string().optional(),
    meta: z.record(z.string(), z.unknown()).nullish(),
  }),
  backend: z
    .object({ name: z.string(), simd: z.boolean().optional(), threads: z.number().optional(), skipped: z.array(z.string()).optional(), warning: z.string().optional() })
    .nullish(),
  options: z
    .object({
      segmenter: z.record(z.string(), z.unknown()).optional(),
      roi: z.string().optional(),
      maxPixels: z.number().optional(),
      /** --max-expansion: decoded bytes per byte of file above which a photo is refused. */
      maxExpansion: z.number().optional(),
      measure: z
        .object({
          scale: z.number().optional(),
          /** The --scales table, when each photo has its own mm/px (run.json images[].scale). */
          scales: z.string().optional(),
          spec: binSpecSchema.optional(),
          truth: z.string().optional(),
        })
        .optional(),
      /** none | png | jpg; absent in runs from before --overlays, which all wrote PNG. */
      overlays: z.enum(['none', 'png', 'jpg']).optional(),
      force: z.boolean().optional(),
    })
    .optional(),
  workers: z.number().optional(),
  wallSeconds: z.number().optional(),
  stages: z.record(z.string(), z.object({ ms: z.number(), mpPerS: z.number() })).optional(),
  counts: z.object({ done: z.number(), skipped: z.number(), failed: z.number() }).optional(),
  images: z.array(imageResultSchema),
  measure: batchMeasureSchema.nullish(),
  /** Batch files that could not be written (a full disk, …), one line each; absent when all were. */
  problems: z.array(z.string()).optional(),
  versions: z.record(z.string(), z.string()).optional(),
});

/** What run.json holds once read (NaN come back as null). */
export type RunJson = z.infer<typeof runJsonSchema>;
/** What the writer may put in run.json. */
export type RunJsonInput = z.input<typeof runJsonSchema>;

/**
 * records/NAME.json, written by the worker that makes the image's outputs: `pending` (with the settings) before the
 * first output file is touched, `done` (with the result) after the last is renamed into place. A rerun skips an
 * image only when its record is done with the same settings and engine, its photo unchanged and its files present.
 */
export const imageRecordSchema = z.object({
  format: z.literal('photosieve-record/1'),
  name: imageName,
  state: z.enum(['pending', 'done']),
  /** SHA-256 of the canonical JSON of { settings, engine }. */
  fingerprint: z.string(),
  /** Everything that changes the image's outputs (see fingerprint.ts). */
  settings: z.record(z.string(), z.unknown()),
  /** The engine that ran the U-Net (onnxruntime, wasm, …), or none for classical mode. */
  engine: z.string(),
  /** The photo as it was: a changed photo is redone. */
  input: z.object({ path: z.string(), bytes: z.number(), mtimeMs: z.number() }),
  /** The image's entry for run.json (done only). */
  result: imageResultSchema.optional(),
});
export type ImageRecord = z.infer<typeof imageRecordSchema>;
export type ImageRecordInput = z.input<typeof imageRecordSchema>;
