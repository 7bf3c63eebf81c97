// Worker thread of data-parallel training: its own tfjs backend and copy of the model; per step it loads the
// broadcast weights, draws its tiles, and returns gradients and updated batch-norm statistics.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { PixelClass, errorLine } from '../core/index.js';
import { initBackend } from '../segment/index.js';
import { DEFAULT_LOSS, segmentationLoss } from './loss.js';
import { checkShapes, drawTile, tileRandom } from './parallel.js';
import type { Tile } from './augment.js';
import type { FromTrainWorker, ToTrainWorker, TrainWorkerInit } from './trainProtocol.js';
import { batchTensors } from './trainModel.js';
import { registerWasmTrainingKernels } from './wasmKernels.js';

const port = parentPort;
if (port === null) throw new Error('trainWorker.ts must run as a worker thread');
const init = workerData as TrainWorkerInit;
const send = (m: FromTrainWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

let model: tf.LayersModel | undefined;
let trainable: tf.Variable[] = [];
let stats: tf.Variable[] = [];
try {
  const backend = await initBackend();
  if (backend.name === 'wasm') registerWasmTrainingKernels();
  model = await tf.models.modelFromJSON({ modelTopology: init.topology });
  trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  stats = model.nonTrainableWeights.map((w) => w.read() as tf.Variable);
  checkShapes('trainable', init.trainableShapes, trainable.map((v) => v.shape));
  checkShapes('non-trainable', init.statShapes, stats.map((v) => v.shape));
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'fatal', error: errorLine(err) });
}
const lossFn = segmentationLoss({ ...DEFAULT_LOSS, ...init.loss });

function loadWeights(): void {
  let at = 0;
  for (const v of [...trainable, ...stats]) {
    const t = tf.tensor(init.weights.subarray(at, at + v.size), v.shape);
    v.assign(t);
    t.dispose();
    at += v.size;
  }
}

/** Tiles drawn ahead for the next step, keyed by step and share (tiles do not depend on the weights). */
let ahead: { key: string; tiles: Tile[] } | undefined;

function drawShare(stepIndex: number, [from, to]: [number, number]): Tile[] {
  const key = `${stepIndex}:${from}:${to}`;
  if (ahead?.key === key) return ahead.tiles;
  const tiles: Tile[] = [];
  for (let k = from; k < to; k++) tiles.push(drawTile(init.sources, tileRandom(init.seed, stepIndex, k), init.tileSize, init.augment));
  return tiles;
}

function step(m: Extract<ToTrainWorker, { type: 'step' }>, net: tf.LayersModel): void {
  const T = init.tileSize;
  const tiles = drawShare(m.step, m.tiles);
  ahead = undefined;
  let validPixels = 0;
  for (const t of tiles) for (const c of t.target) if (c !== PixelClass.ignore) validPixels++;
  loadWeights();
  // The class count is the model's (3, or 4 for a scale-band model).
  const { x, y } = batchTensors(tiles, T, init.inputChannels, net.outputs[0]?.shape[3] ?? 3);
  try {
    const { value, grads } = tf.variableGrads(() => lossFn(y, net.apply(x, { training: true }) as tf.Tensor), trainable);
    try {
      const flat = new Float32Array(trainable.reduce((a, v) => a + v.size, 0));
      let at = 0;
      for (const v of trainable) {
        const g = grads[v.name];
        if (g === undefined) throw new Error(`no gradient for ${v.name}`);
        flat.set(g.dataSync(), at);
        at += v.size;
      }
      const st = new Float32Array(stats.reduce((a, v) => a + v.size, 0));
      at = 0;
      for (const v of stats) {
        st.set(v.dataSync(), at);
        at += v.size;
      }
      const loss = value.dataSync()[0]!;
      send({ type: 'grads', step: m.step, loss, validPixels, tiles: tiles.length, grads: flat, stats: st }, [flat.buffer, st.buffer]);
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
  } finally {
    tf.dispose([x, y]);
  }
}

port.on('message', (m: ToTrainWorker) => {
  if (m.type === 'close' || model === undefined) {
    model?.dispose();
    model = undefined;
    send({ type: 'closed', tensors: tf.memory().numTensors });
    port.close();
    return;
  }
  try {
    step(m, model);
    // While the main thread averages and applies the optimizer, draw the next step's tiles (the likely share).
    ahead = { key: `${m.step + 1}:${m.tiles[0]}:${m.tiles[1]}`, tiles: drawShare(m.step + 1, m.tiles) };
  } catch (err) {
    send({ type: 'error', step: m.step, error: errorLine(err) });
  }
});
