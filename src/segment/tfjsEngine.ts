// TensorFlow.js as a TileEngine: the layers model of the folder on the backend the tfjs ladder (or a forced name)
// gives. Also wraps an in-memory model, for training's validation passes.
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo, TfjsBackendName } from './backendNames.js';
import { initBackend, useTfjsBackend } from './backend.js';
import type { TileEngine } from './engine.js';
import { setTensorCounter } from './engine.js';
import type { ModelMeta } from './modelMeta.js';
import { loadModelFolder } from './modelFolder.js';

/** The largest batch × pixels wasm's XNNPACK handles reliably (measured: 16 × 256² fails without an exception). */
export const MAX_BATCH_PIXELS = 8 * 256 * 256;

setTensorCounter(() => tf.memory().numTensors);

/** A TileEngine over a loaded model; `owned` models are disposed with the engine. */
export function tfjsEngine(model: tf.LayersModel, info: BackendInfo, channels: number, owned: boolean): TileEngine {
  let disposed = false;
  return {
    info,
    maxBatchPixels: MAX_BATCH_PIXELS,
    async run(input, n, height, width) {
      if (disposed) throw new Error('run() called after dispose()');
      const c = channels;
      const x = tf.tensor4d(input.subarray(0, n * height * width * c), [n, height, width, c]);
      let y: tf.Tensor | undefined;
      try {
        y = model.predict(x) as tf.Tensor;
        return (await y.data()) as Float32Array;
      } finally {
        x.dispose();
        y?.dispose();
      }
    },
    dispose() {
      if (!disposed && owned) model.dispose();
      disposed = true;
      return Promise.resolve();
    },
  };
}

export async function openTfjsEngine(dir: string, meta: ModelMeta, force?: TfjsBackendName): Promise<TileEngine> {
  const info = force !== undefined ? await useTfjsBackend(force) : await initBackend(process.env);
  const { model } = await loadModelFolder(dir);
  return tfjsEngine(model, { ...info, skipped: [...info.skipped] }, meta.inputChannels, true);
}
