// meta.json of a model folder: what the weights expect (channels, normalization, tile size) and what they were
// trained to output. Validated on load so a wrong folder fails with one line, not with garbage probabilities.
import { z } from 'zod';
import { PhotosieveError } from '../core/index.js';
import { UPSAMPLING_KINDS } from './unet.js';

export const MODEL_CLASSES = ['background', 'body', 'boundary'] as const;

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
    /** Output channels in order; photosieve reads them as PixelClass background, body, boundary. */
    classes: z.tuple([z.literal('background'), z.literal('body'), z.literal('boundary')]),
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
  })
  .superRefine((m, ctx) => {
    if (typeof m.normalization !== 'string') {
      for (const key of ['mean', 'std'] as const) {
        if (m.normalization[key].length !== m.inputChannels) {
          ctx.addIssue({ code: 'custom', path: ['normalization', key], message: `needs ${m.inputChannels} value(s), one per input channel` });
        }
      }
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
