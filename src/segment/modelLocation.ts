// Where --model points (no TensorFlow.js, ONNX or OpenCV here, so the CLI can read a model's meta.json cheaply).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhotosieveError } from '../core/index.js';
import { MODEL_FILES } from './modelMeta.js';

export const CLASSICAL = 'classical';
export const DEFAULT_MODEL = 'default';

/** The package's default model folder (models/default beside src/ and dist/). */
export function defaultModelDir(): string {
  return fileURLToPath(new URL('../../models/default', import.meta.url));
}

/** Resolves --model to 'classical' or an absolute folder; errors say what to pass instead. */
export function resolveModelOption(model: string): string {
  if (model === CLASSICAL) return CLASSICAL;
  if (model === DEFAULT_MODEL) {
    const dir = defaultModelDir();
    if (!existsSync(resolve(dir, MODEL_FILES.meta))) {
      throw new PhotosieveError('E_INPUT', 'no default model yet; use --model classical or --model DIR.', {
        fix: 'pass --model classical (no U-Net) or --model DIR with a trained model folder',
      });
    }
    return dir;
  }
  const dir = resolve(model);
  if (!existsSync(dir)) {
    throw new PhotosieveError('E_INPUT', 'the model folder does not exist.', { file: model, fix: 'pass --model DIR, --model default or --model classical' });
  }
  return dir;
}
