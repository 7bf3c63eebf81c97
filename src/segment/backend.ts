// The TensorFlow.js backend ladder: tfjs-node-gpu, tfjs-node, wasm (SIMD), cpu. Chosen once per process (each
// worker thread runs its own ladder) and reported so run.json says what actually computed the probabilities.
import * as tf from '@tensorflow/tfjs';
import { PhotosieveError } from '../core/index.js';

export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** Which rung of the ladder won. `tensorflow-gpu` and `tensorflow` are both tfjs's 'tensorflow' backend. */
  name: BackendName;
  /** Whether wasm runs with SIMD (undefined for other backends). */
  simd?: boolean;
  /** Why higher rungs were skipped, one line each (empty when the first choice worked). */
  skipped: string[];
  /** Set when the result is slow enough that the user should know (the cpu backend). */
  warning?: string;
}

const ENV_VAR = 'PHOTOSIEVE_BACKEND';
const NODE_PACKAGES = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const;

let chosen: Promise<BackendInfo> | undefined;

/** Reads PHOTOSIEVE_BACKEND; undefined when unset, an error line when it names no backend. */
export function forcedBackend(env: NodeJS.ProcessEnv = process.env): BackendName | undefined {
  const raw = env[ENV_VAR]?.trim();
  if (raw === undefined || raw === '' || raw === 'auto') return undefined;
  if ((BACKENDS as readonly string[]).includes(raw)) return raw as BackendName;
  throw new PhotosieveError('E_PARAM', `${ENV_VAR}=${JSON.stringify(raw)} is not a backend.`, {
    fix: `set ${ENV_VAR} to one of ${BACKENDS.join(', ')} or auto (or unset it)`,
  });
}

async function tryNode(name: 'tensorflow-gpu' | 'tensorflow'): Promise<void> {
  // libtensorflow logs CPU feature notes to stderr on load; keep them out of the user's terminal.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  // A variable specifier keeps TypeScript from requiring the optional packages' typings at build time.
  const specifier: string = NODE_PACKAGES[name];
  await import(specifier);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${specifier} loaded but its backend did not initialize`);
}

async function tryWasm(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialize');
  return tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as Promise<boolean>;
}

async function tryBackend(name: BackendName): Promise<BackendInfo> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      await tryNode(name);
      return { name, skipped: [] };
    case 'wasm':
      return { name, simd: await tryWasm(), skipped: [] };
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialize');
      return {
        name,
        skipped: [],
        warning: 'TensorFlow.js runs on its plain JavaScript cpu backend: expect inference to be 10-50x slower than wasm',
      };
  }
}

function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

async function choose(force: BackendName | undefined): Promise<BackendInfo> {
  // Prod mode silences tfjs's "you are running TensorFlow.js in Node.js" banner and its debug-only checks.
  tf.enableProdMode();
  if (force !== undefined) {
    try {
      return await tryBackend(force);
    } catch (cause) {
      throw new PhotosieveError('E_PARAM', `${ENV_VAR}=${force} is not available here (${reason(cause)}).`, {
        fix:
          force === 'wasm' || force === 'cpu'
            ? 'reinstall dependencies with `npm ci`'
            : `install ${NODE_PACKAGES[force]}@4.22.0 (see docs/segment.md) or unset ${ENV_VAR}`,
        cause,
      });
    }
  }
  const skipped: string[] = [];
  for (const name of BACKENDS) {
    try {
      const info = await tryBackend(name);
      return { ...info, skipped };
    } catch (err) {
      skipped.push(`${name}: ${reason(err)}`);
    }
  }
  throw new PhotosieveError('E_INPUT', `no TensorFlow.js backend could start (${skipped.join('; ')}).`, {
    fix: 'reinstall dependencies with `npm ci`',
  });
}

/**
 * Picks and activates the backend once; later calls return the same answer. `PHOTOSIEVE_BACKEND` forces one
 * (an unavailable forced backend is an error, not a silent fallback, so benchmarks measure what they claim).
 */
export function initBackend(env: NodeJS.ProcessEnv = process.env): Promise<BackendInfo> {
  chosen ??= (async () => choose(forcedBackend(env)))();
  return chosen;
}

/** One line for logs: `wasm (SIMD)`, `tensorflow-gpu`, … */
export function describeBackend(info: BackendInfo): string {
  if (info.name === 'wasm') return `wasm (${info.simd === true ? 'SIMD' : 'no SIMD'})`;
  return info.name;
}
