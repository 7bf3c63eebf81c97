// The TensorFlow.js backend ladder: tfjs-node-gpu, tfjs-node, wasm (SIMD), cpu. Chosen once per process (each
// worker thread runs its own ladder). Training uses it directly; inference reaches it through engine.ts, which
// puts onnxruntime ahead of the CPU rungs.
import * as tf from '@tensorflow/tfjs';
import { PhotosieveError } from '../core/index.js';
import type { BackendInfo, TfjsBackendName } from './backendNames.js';
import { NODE_PACKAGES, TFJS_BACKENDS, forcedBackend, isInstalled, isTfjsBackend, reason, unavailableBackend } from './backendNames.js';

let chosen: Promise<BackendInfo> | undefined;
/** The tfjs backend this thread runs, once one started (tfjs has one active backend per thread). */
let active: BackendInfo | undefined;

async function tryNode(name: 'tensorflow-gpu' | 'tensorflow'): Promise<void> {
  if (!isInstalled(NODE_PACKAGES[name])) throw new Error(`${NODE_PACKAGES[name]} is not installed`);
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

/**
 * Activates tfjs backend `name` for this thread, or throws why it cannot (the engine ladder's tfjs rungs). Once
 * a backend runs, asking for another one fails: tfjs holds one backend per thread.
 */
export async function useTfjsBackend(name: TfjsBackendName): Promise<BackendInfo> {
  if (active) {
    if (active.name === name) return { ...active, skipped: [] };
    throw new Error(`this thread already runs TensorFlow.js on ${active.name}`);
  }
  active = await tryTfjsBackend(name);
  return { ...active, skipped: [] };
}

/** Activates one tfjs backend or throws why it cannot. */
async function tryTfjsBackend(name: TfjsBackendName): Promise<BackendInfo> {
  // Prod mode silences tfjs's "you are running TensorFlow.js in Node.js" banner and its debug-only checks.
  tf.enableProdMode();
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

async function choose(force: TfjsBackendName | undefined): Promise<BackendInfo> {
  if (force !== undefined) {
    try {
      return await useTfjsBackend(force);
    } catch (cause) {
      throw unavailableBackend(force, cause);
    }
  }
  const skipped: string[] = [];
  for (const name of TFJS_BACKENDS) {
    try {
      const info = await useTfjsBackend(name);
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
 * Picks and activates the TensorFlow.js backend once; later calls return the same answer. `force`, else
 * PHOTOSIEVE_BACKEND, forces one (an unavailable forced backend is an error, not a silent fallback, so benchmarks
 * measure what they claim). An onnxruntime name leaves tfjs on its own ladder: ORT cannot train.
 */
export function initBackend(env: NodeJS.ProcessEnv = process.env, force?: TfjsBackendName): Promise<BackendInfo> {
  chosen ??= (async () => {
    const named = force ?? forcedBackend(env);
    return choose(named !== undefined && isTfjsBackend(named) ? named : undefined);
  })();
  // A failure is not remembered: the next call (another rung, another force) tries again.
  chosen.catch(() => {
    chosen = undefined;
  });
  return chosen;
}
