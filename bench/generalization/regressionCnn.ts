// The lab's approach, as a baseline: a small CNN that regresses the 5-bin vector straight from a downsampled image
// (USER-THREAD.txt: "4 conv layers, 3 fully connected", "nn.linear(32,5), followed by softmax", RMSE loss, grey
// images downsampled to 64, 128 or 224 px). Trained here with tfjs (wasm + this project's backprop kernels), with
// either loss the lab discussed: RMSE on softmax outputs, or soft-label cross-entropy on the logits.
import * as tf from '@tensorflow/tfjs';
import { createRandom } from '../../src/synth/random.js';

export type CnnLoss = 'rmse' | 'soft-ce';

export interface CnnOptions {
  inputSize: number;
  loss: CnnLoss;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  architecture?: CnnArchitecture;
  /** Called after each epoch with the mean training loss. */
  onEpoch?: (epoch: number, loss: number, seconds: number) => void;
}

export interface CnnArchitecture {
  /** Batch normalization after each convolution. */
  batchNorm: boolean;
  /** How the feature map reaches the dense layers: flattened, or averaged over the image (texture statistics). */
  head: 'flatten' | 'average';
}

export const DEFAULT_CNN_ARCHITECTURE: CnnArchitecture = { batchNorm: true, head: 'average' };

/** conv 16-32-64-64 (3×3, ReLU, 2×2 max-pool after each), then dense 128 → 32 → Linear(32, 5): logits. */
export function buildRegressionCnn(inputSize: number, bins: number, seed: number, arch: CnnArchitecture = DEFAULT_CNN_ARCHITECTURE): tf.LayersModel {
  const init = (k: number) => tf.initializers.heNormal({ seed: seed * 100 + k });
  const m = tf.sequential();
  const filters = [16, 32, 64, 64];
  filters.forEach((f, k) => {
    m.add(
      tf.layers.conv2d({
        ...(k === 0 ? { inputShape: [inputSize, inputSize, 1] } : {}),
        filters: f,
        kernelSize: 3,
        padding: 'same',
        activation: arch.batchNorm ? 'linear' : 'relu',
        useBias: !arch.batchNorm,
        kernelInitializer: init(k),
      }),
    );
    if (arch.batchNorm) {
      m.add(tf.layers.batchNormalization({ momentum: 0.9 }));
      m.add(tf.layers.reLU());
    }
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  });
  m.add(arch.head === 'flatten' ? tf.layers.flatten() : tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(10) }));
  m.add(tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(11) }));
  m.add(tf.layers.dense({ units: bins, kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 12 }) }));
  return m;
}

function lossOf(kind: CnnLoss, logits: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  if (kind === 'rmse') {
    // Per-image RMSE of the softmax output, averaged over the batch: what the lab trained with.
    const p = tf.softmax(logits);
    return tf.mean(tf.sqrt(tf.add(tf.mean(tf.square(tf.sub(p, target)), 1), 1e-8)));
  }
  // Soft-label cross-entropy on logits: −Σ y·log_softmax(z), the fix the lab was advised to try.
  return tf.mean(tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1)));
}

/** One of the 8 rotations/flips of a batch NHWC (the lab used augmentation; a tray photo has no up or left). */
function dihedral(x: tf.Tensor4D, k: number): tf.Tensor4D {
  let y = k & 1 ? tf.reverse(x, 2) : x;
  if (k & 2) y = tf.reverse(y, 1);
  if (k & 4) y = tf.transpose(y, [0, 2, 1, 3]);
  return y;
}

/**
 * Trains on images (N×S×S×1, values 0..1) and target vectors (N×bins). Mini-batches in a seeded order, a random
 * rotation/flip per batch, Adam. Returns the model; the caller disposes it.
 */
export async function trainRegressionCnn(images: tf.Tensor4D, targets: tf.Tensor2D, o: CnnOptions): Promise<tf.LayersModel> {
  const n = images.shape[0];
  const model = buildRegressionCnn(o.inputSize, targets.shape[1], o.seed, o.architecture);
  const optimizer = tf.train.adam(o.learningRate);
  const rand = createRandom(o.seed);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand.uniform() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let total = 0;
    let batches = 0;
    for (let s = 0; s < n; s += o.batchSize) {
      const idx = tf.tensor1d(order.slice(s, s + o.batchSize), 'int32');
      const k = Math.floor(rand.uniform() * 8);
      const loss = optimizer.minimize(() => {
        const x = dihedral(tf.gather(images, idx), k);
        const y = tf.gather(targets, idx);
        return lossOf(o.loss, model.apply(x, { training: true }) as tf.Tensor2D, y);
      }, true);
      idx.dispose();
      total += (await loss!.data())[0]!;
      loss!.dispose();
      batches += 1;
    }
    o.onEpoch?.(epoch, total / batches, (performance.now() - t0) / 1000);
  }
  optimizer.dispose();
  return model;
}

/** Softmax outputs for images (N×S×S×1), in batches. */
export async function predictVectors(model: tf.LayersModel, images: tf.Tensor4D, batchSize = 32): Promise<number[][]> {
  const out: number[][] = [];
  for (let s = 0; s < images.shape[0]; s += batchSize) {
    const p = tf.tidy(() => tf.softmax(model.predict(images.slice(s, Math.min(batchSize, images.shape[0] - s))) as tf.Tensor2D));
    out.push(...((await p.array())));
    p.dispose();
  }
  return out;
}
