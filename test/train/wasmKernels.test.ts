// The wasm gradient kernels against the cpu backend on small random shapes (relative error ≤ 1e-4), and no leak.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/train/wasmKernels.js';

type Case = {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;
};

const CASES: Case[] = [
  { name: '3×3 same stride 1', x: [2, 9, 7, 3], w: [3, 3, 3, 4], op: (x, w) => tf.conv2d(x, w, 1, 'same') },
  { name: '5×5 valid stride 1', x: [1, 11, 10, 2], w: [5, 5, 2, 3], op: (x, w) => tf.conv2d(x, w, 1, 'valid') },
  { name: '3×3 same stride 2, odd size', x: [2, 9, 7, 3], w: [3, 3, 3, 4], op: (x, w) => tf.conv2d(x, w, 2, 'same') },
  { name: '3×3 valid stride 2 (rows left unread)', x: [1, 10, 8, 2], w: [3, 3, 2, 2], op: (x, w) => tf.conv2d(x, w, 2, 'valid') },
  { name: '4×4 same stride 1 (asymmetric padding)', x: [2, 7, 9, 2], w: [4, 4, 2, 3], op: (x, w) => tf.conv2d(x, w, 1, 'same') },
  { name: '1×1', x: [3, 5, 5, 4], w: [1, 1, 4, 2], op: (x, w) => tf.conv2d(x, w, 1, 'same') },
  { name: 'fused conv + bias + relu', x: [2, 8, 8, 3], w: [3, 3, 3, 5], op: (x, w) => tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias: tf.linspace(-0.2, 0.2, 5), activation: 'relu' }) },
  {
    name: '2×2 stride 2 transposed conv (upsampling)',
    x: [2, 4, 5, 6],
    w: [2, 2, 3, 6],
    op: (x, w) => tf.conv2dTranspose(x, w, [x.shape[0], 8, 10, 3], 2, 'valid'),
  },
];

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let k = 0; k < n; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[k] = s / 2 ** 31 - 1;
  }
  return out;
}

function gradients(c: Case): { dx: Float32Array; dw: Float32Array; y: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(c.x.reduce((a, b) => a * b), 1), c.x);
    const w = tf.tensor4d(values(c.w.reduce((a, b) => a * b), 2), c.w);
    const y = c.op(x, w);
    const weights = tf.tensor(values(y.size, 3), y.shape);
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(c.op(a as tf.Tensor4D, b as tf.Tensor4D), weights));
    const [dx, dw] = tf.grads(f)([x, w]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array, y: y.dataSync() as Float32Array };
  });
}

function relErr(a: Float32Array, b: Float32Array): number {
  let maxDiff = 0;
  let maxAbs = 0;
  for (let k = 0; k < a.length; k++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[k]! - b[k]!));
    maxAbs = Math.max(maxAbs, Math.abs(b[k]!));
  }
  return maxDiff / Math.max(maxAbs, 1e-12);
}

const reference = new Map<string, ReturnType<typeof gradients>>();

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (const c of CASES) reference.set(c.name, gradients(c));
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
});

describe('wasm gradient kernels vs cpu', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(tf.getBackend()).toBe('wasm');
    const got = gradients(c);
    const ref = reference.get(c.name)!;
    expect(got.y.length).toBe(ref.y.length);
    expect(relErr(got.y, ref.y)).toBeLessThanOrEqual(1e-4);
    expect(relErr(got.dx, ref.dx)).toBeLessThanOrEqual(1e-4);
    expect(relErr(got.dw, ref.dw)).toBeLessThanOrEqual(1e-4);
  });

  it('leaves no tensor and no backend buffer behind', () => {
    gradients(CASES[0]!);
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    for (let k = 0; k < 5; k++) for (const c of CASES) gradients(c);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
  });
});
