// measure.json's one schema: the bin spec and scale(s) a folder's vectors were made with. Its writers are measure
// (runMeasure.ts) and segment (src/pipeline, whose run.json reuses the bin spec and pooled row); its reader is
// evaluate. It lives here, below pipeline, so aggregate never imports from pipeline. zod only.
import { z } from 'zod';
import { EDGE_POLICIES, SIZE_MEASURES, WEIGHTINGS } from './distribution.js';

export const MEASURE_JSON = 'measure.json';

/** JSON.stringify writes NaN as null, so every number a run writes may come back as null. */
export const nullableNumber = z.number().nullable();

export const binSpecSchema = z.object({
  edges: z.array(z.number()),
  unit: z.enum(['mm', 'px']),
  measure: z.enum(SIZE_MEASURES),
  weight: z.enum(WEIGHTINGS),
  edgePolicy: z.enum(EDGE_POLICIES),
  minSizePx: z.number(),
});

/** The batch's particles pooled into one row (histograms-pooled.csv), with the one-bin warnings of its photos. */
export const pooledSchema = z.object({
  file: z.string(),
  images: z.number(),
  unit: z.enum(['px', 'mm']),
  entry: z.looseObject({ n: z.number(), fractions: z.array(nullableNumber) }),
  warnings: z.array(z.string()).default([]),
});

/** measure.json: the bin spec and scale(s) a folder's vectors were made with (evaluate pools particles with them). */
export const measureJsonSchema = z.looseObject({
  tool: z.enum(['photosieve segment', 'photosieve measure']),
  spec: binSpecSchema,
  /** mm per pixel of every image; null without a scale or when each image has its own (`scales`). */
  scale: z.number().nullable(),
  /** Image name → mm per pixel, when --scales gave each photo its own. */
  scales: z.record(z.string(), z.number()).optional(),
  /** The pooled row of the batch (measure writes it here, null when nothing was binned; segment in run.json's measure). */
  pooled: pooledSchema.nullish(),
});
export type MeasureJson = z.infer<typeof measureJsonSchema>;
export type MeasureJsonInput = z.input<typeof measureJsonSchema>;
