// meta.json of a model folder: what the weights expect (channels, normalization, tile size) and what they were
// trained to output. Validated on load so a wrong folder fails with one line, not with garbage probabilities.
import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { PhotosieveError } from '../core/index.js';
import { readRegularFile } from '../io/files.js';
import { UPSAMPLING_KINDS } from './unetKinds.js';

/** The files of a model folder (tfjs's layers format, plus the ONNX export for onnxruntime). */
export const MODEL_FILES = { topology: 'model.json', weights: 'weights.bin', meta: 'meta.json', onnx: 'model.onnx' } as const;

export const MODEL_CLASSES = ['background', 'body', 'boundary'] as const;
/** A scale-band model's classes: the three, plus `large` (too large for this resolution; see PixelClass.large). */
export const SCALE_BAND_CLASSES = ['background', 'body', 'boundary', 'large'] as const;

const architectureSchema = z.object({
  depth: z.number().int().min(2).max(7),
  baseChannels: z.number().int().min(1).max(256),
  batchNorm: z.boolean(),
  upsampling: z.enum(UPSAMPLING_KINDS),
});

const normalizationSchema = z.union([
  z.literal('unit'),
  z.object({ mean: z.array(z.number()).min(1).max(3), std: z.array(z.number().positive()).min(1).max(3) }),
]);

export const modelMetaSchema = z
  .object({
    format: z.literal('photosieve-unet/1'),
    /** Output channels in order, as PixelClass: background, body, boundary, and for scale-band models large. */
    classes: z.custom<readonly ['background', 'body', 'boundary'] | readonly ['background', 'body', 'boundary', 'large']>(
      (v) => Array.isArray(v) && [MODEL_CLASSES, SCALE_BAND_CLASSES].some((c) => c.length === v.length && c.every((name, k) => v[k] === name)),
      { message: `must be ${JSON.stringify(MODEL_CLASSES)} or, for a scale-band model, ${JSON.stringify(SCALE_BAND_CLASSES)}` },
    ),
    /**
     * Scale-band models: particles with a b-axis up to maxPx (at the model's input resolution) are segmented;
     * larger ones are labelled `large`, and segment hands them to a coarser level of an image pyramid.
     * `trainedScales` is the range of tile-px-per-photo-px the training tiles were drawn at. `rim` says how the
     * training targets labelled a large particle's boundary band: `large` (with its body; the default, and the
     * first scale-band model's), `boundary` (as for any particle, so the fine level outlines large stones too) or
     * `ignore` (left out of the loss).
     */
    sizeBand: z.object({ maxPx: z.number().positive(), minPx: z.number().nonnegative().optional(), trainedScales: z.tuple([z.number(), z.number()]).optional(), rim: z.enum(['large', 'boundary', 'ignore']).optional() }).optional(),
    inputChannels: z.union([z.literal(1), z.literal(3)]),
    /** 'unit': pixel values scaled to [0, 1]; or per-channel mean/std applied after that scaling. */
    normalization: normalizationSchema,
    tileSize: z.number().int().min(16).max(2048),
    architecture: architectureSchema,
    /** Free-form model card from training (data, epochs, metrics); absent for random models. */
    training: z.record(z.string(), z.unknown()).optional(),
    /**
     * Instance-stage settings tuned for this model on its validation photos (see InstanceOptions); --min-area
     * and other explicit options still win. Validated by resolveInstanceOptions when the model is loaded.
     */
    instance: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).optional(),
    createdAt: z.string().optional(),
    /**
     * Which files the folder has: the tfjs layers model (any engine of the tfjs ladder) and, when exported, the
     * ONNX graph onnxruntime runs. Absent in folders older than the ONNX export; the engines look for the files.
     */
    files: z
      .object({
        topology: z.string(),
        weights: z.array(z.string()),
        onnx: z.string().optional(),
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    if (typeof m.normalization !== 'string') {
      for (const key of ['mean', 'std'] as const) {
        if (m.normalization[key].length !== m.inputChannels) {
          ctx.addIssue({ code: 'custom', path: ['normalization', key], message: `needs ${m.inputChannels} value(s), one per input channel` });
        }
      }
    }
    if ((m.classes.length === 4) !== (m.sizeBand !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['sizeBand'], message: 'is required exactly when classes include "large"' });
    }
    const multiple = 2 ** (m.architecture.depth - 1);
    if (m.tileSize % multiple !== 0) {
      ctx.addIssue({ code: 'custom', path: ['tileSize'], message: `must be a multiple of ${multiple} for depth ${m.architecture.depth}` });
    }
  });

export type ModelMeta = z.infer<typeof modelMetaSchema>;
export type Normalization = ModelMeta['normalization'];

/** Parses meta.json text; errors name the file, the field and the fix. */
export function parseModelMeta(text: string, file: string): ModelMeta {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new PhotosieveError('E_INPUT', `meta.json is not valid JSON (${(cause as Error).message}).`, {
      file,
      fix: 'restore the model folder from its source (model.json, weights, meta.json)',
      cause,
    });
  }
  const result = modelMetaSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new PhotosieveError('E_INPUT', `meta.json field ${where}: ${issue?.message ?? 'invalid'}.`, {
      file,
      fix: 'use a model folder written by photosieve (train, or scripts/make-random-model.ts)',
    });
  }
  return result.data;
}

/** Reads and validates a folder's meta.json (no TensorFlow.js needed). */
export async function readModelMeta(dir: string): Promise<ModelMeta> {
  return parseModelMeta((await readModelFile(dir, MODEL_FILES.meta)).toString('utf8'), join(dir, MODEL_FILES.meta));
}

/** One file of a model folder; a missing or unreadable one is one line naming it and what a folder holds. */
export async function readModelFile(dir: string, name: string): Promise<Buffer> {
  const file = join(dir, name);
  const fix = 'pass --model DIR with a folder holding model.json, weights.bin and meta.json (or --model classical)';
  try {
    // Only a regular file: a FIFO in a model folder is reported instead of blocking the load.
    return await readRegularFile(file, { what: `model file ${name}`, fix });
  } catch (cause) {
    if (cause instanceof PhotosieveError && cause.code === 'E_INPUT' && !/ not found\.$/.test(cause.message)) throw cause;
    throw new PhotosieveError('E_INPUT', `the model folder has no readable ${name}.`, { file, fix, cause });
  }
}

/** The tfjs layers part of a model folder as bytes and parsed manifest (no tfjs needed to read it). */
export interface LayersFiles {
  topologyFile: string;
  /** model.json exactly as stored (the ONNX source hash covers these bytes). */
  topologyBytes: Buffer;
  modelTopology: object;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  /** The weight files' names (relative to the folder) and contents, in manifest order. */
  weightPaths: string[];
  weights: Buffer[];
}

/** Reads model.json and the weight files it lists; errors name the file and the fix. */
export async function readLayersFiles(dir: string): Promise<LayersFiles> {
  const topologyFile = join(dir, MODEL_FILES.topology);
  const topologyBytes = await readModelFile(dir, MODEL_FILES.topology);
  let json: unknown;
  try {
    json = JSON.parse(topologyBytes.toString('utf8'));
  } catch (cause) {
    throw new PhotosieveError('E_INPUT', 'model.json is not valid JSON.', { file: topologyFile, fix: 'restore the model folder', cause });
  }
  const manifest = (json as { modelTopology?: unknown; weightsManifest?: unknown } | null)?.weightsManifest;
  const modelTopology = (json as { modelTopology?: unknown } | null)?.modelTopology;
  if (typeof modelTopology !== 'object' || modelTopology === null || !Array.isArray(manifest)) {
    throw new PhotosieveError('E_INPUT', 'model.json is not a TensorFlow.js layers model.', { file: topologyFile, fix: 'restore the model folder' });
  }
  const weightSpecs = (manifest as { weights?: LayersFiles['weightSpecs'] }[]).flatMap((g) => g.weights ?? []);
  const paths = weightPaths(json);
  // Weight files are named by model.json, which may come from anyone: plain names inside the folder only.
  const escaping = paths.filter((p) => p === '' || isAbsolute(p) || p.replace(/\\/g, '/').split('/').includes('..'));
  if (escaping.length > 0) {
    throw new PhotosieveError('E_INPUT', `model.json names weight files outside the model folder (${escaping.map((p) => JSON.stringify(p)).join(', ')}): not read.`, {
      file: topologyFile,
      fix: 'a model folder keeps its weights beside model.json; restore the folder',
    });
  }
  const weights = await Promise.all(paths.map((p) => readModelFile(dir, p)));
  // float32 weights: 4 bytes per value. A short file is an incomplete copy, said as such (not as an export limit).
  const needed = weightSpecs.reduce((n, spec) => n + 4 * (Array.isArray(spec.shape) ? spec.shape.reduce((a, b) => a * b, 1) : 0), 0);
  const have = weights.reduce((n, w) => n + w.byteLength, 0);
  if (weightSpecs.every((spec) => spec.dtype === 'float32') && have !== needed) {
    throw new PhotosieveError('E_INPUT', `the weight files hold ${have} bytes, model.json's manifest needs ${needed}.`, {
      file: join(dir, paths[0] ?? MODEL_FILES.weights),
      fix: 'the weights are incomplete or belong to another model; copy the model folder again',
    });
  }
  return { topologyFile, topologyBytes, modelTopology, weightSpecs, weightPaths: paths, weights };
}

/** The weight files model.json lists (tfjs's weightsManifest paths), in order. */
export function weightPaths(topologyJson: unknown): string[] {
  const manifest = (topologyJson as { weightsManifest?: { paths?: unknown }[] } | null)?.weightsManifest;
  if (!Array.isArray(manifest)) return [];
  return manifest.flatMap((g) => (Array.isArray(g.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : []));
}

/** SHA-256 over model.json and its weight files: what ties a model.onnx to the weights it was exported from. */
export function sourceHashOf(topologyBytes: Uint8Array, weights: Uint8Array[]): string {
  const h = createHash('sha256');
  h.update(topologyBytes);
  for (const w of weights) h.update(w);
  return h.digest('hex');
}

/** The source hash of a folder's current model.json and weights (undefined when they cannot be read). */
export async function modelSourceHash(dir: string): Promise<string | undefined> {
  try {
    const f = await readLayersFiles(dir);
    return sourceHashOf(f.topologyBytes, f.weights);
  } catch {
    return undefined;
  }
}
