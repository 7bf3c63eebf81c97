// The names of the inference engines and what run.json says about the one that ran; no engine is loaded here, so
// the CLI and the batch runner can parse PHOTOSIEVE_BACKEND / --backend without paying for TensorFlow.js or ORT.
import { createRequire } from 'node:module';
import { PhotosieveError } from '../core/index.js';

/** Every engine PHOTOSIEVE_BACKEND / --backend can name. `onnxruntime-cuda` is ORT with its CUDA provider. */
export const BACKENDS = ['onnxruntime', 'onnxruntime-cuda', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** The TensorFlow.js backends, in the order training tries them. */
export const TFJS_BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type TfjsBackendName = (typeof TFJS_BACKENDS)[number];
/**
 * What `auto` tries for inference, in order: a GPU where tfjs-node-gpu is installed, then ORT on the CPU (4-8×
 * faster than tfjs-wasm here, see README Speed), then the rest of the tfjs ladder. ORT's CUDA provider is not in
 * the ladder: its libraries are not in the npm package, so it is used only when asked for.
 */
export const AUTO_LADDER = ['tensorflow-gpu', 'onnxruntime', 'tensorflow', 'wasm', 'cpu'] as const satisfies readonly BackendName[];

export const BACKEND_ENV = 'PHOTOSIEVE_BACKEND';
export const NODE_PACKAGES = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const;

export interface BackendInfo {
  /** Which rung of the ladder won. `tensorflow-gpu` and `tensorflow` are both tfjs's 'tensorflow' backend. */
  name: BackendName;
  /** Whether wasm runs with SIMD (undefined for other backends). */
  simd?: boolean;
  /** onnxruntime: intra-op threads of the session. */
  threads?: number;
  /** Why higher rungs were skipped, one line each (empty when the first choice worked). */
  skipped: string[];
  /** Set when the result is slow enough that the user should know (the cpu backend). */
  warning?: string;
}

export function isTfjsBackend(name: BackendName): name is TfjsBackendName {
  return (TFJS_BACKENDS as readonly string[]).includes(name);
}

/** Parses a backend name (`auto` and '' mean none forced); `source` names where it came from in the error. */
export function parseBackendName(raw: string | undefined, source = BACKEND_ENV): BackendName | undefined {
  const v = raw?.trim();
  if (v === undefined || v === '' || v === 'auto') return undefined;
  if ((BACKENDS as readonly string[]).includes(v)) return v as BackendName;
  const flag = source.startsWith('--');
  throw new PhotosieveError('E_PARAM', `${flag ? `${source} ` : `${source}=`}${JSON.stringify(v)} is not a backend.`, {
    fix: `${flag ? `pass ${source}` : `set ${source} to`} one of ${BACKENDS.join(', ')} or auto${flag ? '' : ' (or unset it)'}`,
  });
}

/** Reads PHOTOSIEVE_BACKEND; undefined when unset, an error line when it names no backend. */
export function forcedBackend(env: NodeJS.ProcessEnv = process.env): BackendName | undefined {
  return parseBackendName(env[BACKEND_ENV]);
}

/** Whether a package can be resolved from here, without importing it (importing tfjs-node costs ~0.5 s). */
export function isInstalled(specifier: string): boolean {
  try {
    createRequire(import.meta.url).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/** The first line of an error, for `skipped` lists and messages (with its fix, when it has one). */
export function reason(err: unknown, withFix = false): string {
  const text = err instanceof PhotosieveError ? `${err.message}${withFix && err.fix ? ` Fix: ${err.fix}` : ''}` : err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

/** The message for a forced backend that cannot start. */
export function unavailableBackend(force: BackendName, cause: unknown, fix?: string): PhotosieveError {
  const defaultFix =
    force === 'wasm' || force === 'cpu' || force === 'onnxruntime'
      ? 'reinstall dependencies with `npm ci`'
      : force === 'onnxruntime-cuda'
        ? 'install CUDA 12 and cuDNN 9, then run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (README, Speed), or unset PHOTOSIEVE_BACKEND'
        : `install ${NODE_PACKAGES[force]}@4.22.0 (see docs/segment.md) or unset ${BACKEND_ENV}`;
  return new PhotosieveError('E_PARAM', `${BACKEND_ENV}=${force} is not available here (${reason(cause)}).`, { fix: fix ?? defaultFix, cause });
}

/** One line for logs: `wasm (SIMD)`, `onnxruntime (1 thread)`, `tensorflow-gpu`, … */
export function describeBackend(info: BackendInfo): string {
  if (info.name === 'wasm') return `wasm (${info.simd === true ? 'SIMD' : 'no SIMD'})`;
  if (info.threads !== undefined) return `${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'})`;
  return info.name;
}
