// Training on the tfjs wasm backend needs two gradient kernels it lacks or runs slowly:
// - Conv2DBackpropFilter is not registered at all (training stops at the first step);
// - Conv2DBackpropInput exists but is a naive loop (~1.5 GFLOP/s), and it is also the forward kernel of
//   conv2dTranspose, so a transposed-conv decoder is slow even at inference.
// Both are rebuilt here from kernels wasm runs fast (XNNPACK Conv2D, BatchMatMul, Transpose, DepthToSpace), at the
// kernel level, because tf.layers call the fused conv ops whose gradients dispatch to these kernel names.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;
type Shape4 = [number, number, number, number];
type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

interface WasmBackendLike {
  disposeData(dataId: object): boolean;
}

/** Runs another wasm kernel directly, as the backend's own composite kernels do. */
function runKernel(name: string, backend: WasmBackendLike, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} is not registered`);
  return k.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/** Disposes intermediate results (never the kernel's inputs or its output). */
function release(backend: WasmBackendLike, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

function convInfo(xShape: Shape4, filterShape: Shape4, attrs: NamedAttrMap): Conv2DInfo {
  const dataFormat = tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC');
  if (dataFormat !== 'channelsLast') throw new Error('photosieve wasm gradient kernels support NHWC only');
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as 'valid' | 'same' | number | ExplicitPad,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    dataFormat,
  );
}

/**
 * dW[i, j, ci, co] = Σ_b,oh,ow x[b, oh·sh + i − top, ow·sw + j − left, ci] · dy[b, oh, ow, co]: one Conv2D with the
 * channels as the batch (x → [Ci, H, W, B]), dy as the filter ([OH, OW, B, Co]) and the stride as dilation.
 */
export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as WasmBackendLike;
  const x = inputs.x!;
  const dy = inputs.dy!;
  const filterShape = attrs!.filterShape as Shape4;
  const info = convInfo(x.shape as Shape4, filterShape, attrs!);
  const [fh, fw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [H, W] = [info.inHeight, info.inWidth];
  const [OH, OW] = [info.outHeight, info.outWidth];
  const { top, left } = info.padInfo;
  // Padding that makes the dilated conv produce exactly fh × fw; where the forward conv never reached the last
  // rows or columns of x, the pad comes out negative and those rows/columns are cut instead.
  let bottom = fh + (OH - 1) * sh - H - top;
  let right = fw + (OW - 1) * sw - W - left;
  const temps: TensorInfo[] = [];
  let xT = runKernel('Transpose', b, { x }, { perm: [3, 1, 2, 0] });
  temps.push(xT);
  if (bottom < 0 || right < 0) {
    const size = [info.inChannels, H + Math.min(0, bottom), W + Math.min(0, right), info.batchSize];
    xT = runKernel('Slice', b, { x: xT }, { begin: [0, 0, 0, 0], size });
    temps.push(xT);
    bottom = Math.max(0, bottom);
    right = Math.max(0, right);
  }
  const dyT = runKernel('Transpose', b, { x: dy }, { perm: [1, 2, 0, 3] });
  temps.push(dyT);
  const pad: ExplicitPad = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  const res = runKernel('Conv2D', b, { x: xT, filter: dyT }, { strides: [1, 1], pad, dilations: [sh, sw], dataFormat: 'NHWC' });
  temps.push(res);
  const out = runKernel('Transpose', b, { x: res }, { perm: [1, 2, 0, 3] });
  release(b, ...temps);
  return out;
};

let stockBackpropInput: KernelFunc | undefined;

/**
 * dx from dy and the filter. Stride 1: a Conv2D of dy with the flipped, in/out-swapped filter. Stride equal to a
 * square filter without padding (2×2 stride 2 upsampling): each dy pixel feeds its own block of dx, so it is one
 * matmul and a DepthToSpace. Anything else goes to the stock kernel.
 */
export const conv2DBackpropInput: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const b = backend as WasmBackendLike;
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  const inputShape = attrs!.inputShape as Shape4;
  const info = convInfo(inputShape, filter.shape as Shape4, attrs!);
  const [fh, fw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const { top, bottom, left, right } = info.padInfo;
  if (sh === 1 && sw === 1 && top <= fh - 1 && bottom <= fh - 1 && left <= fw - 1 && right <= fw - 1) {
    const flipped = runKernel('Reverse', b, { x: filter }, { dims: [0, 1] });
    const swapped = runKernel('Transpose', b, { x: flipped }, { perm: [0, 1, 3, 2] });
    const pad: ExplicitPad = [
      [0, 0],
      [fh - 1 - top, fh - 1 - bottom],
      [fw - 1 - left, fw - 1 - right],
      [0, 0],
    ];
    const out = runKernel('Conv2D', b, { x: dy, filter: swapped }, { strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC' });
    release(b, flipped, swapped);
    return out;
  }
  const noPad = top === 0 && bottom === 0 && left === 0 && right === 0;
  if (fh === fw && sh === fh && sw === fw && noPad && info.inHeight === info.outHeight * sh && info.inWidth === info.outWidth * sw) {
    const [B, OH, OW, Co] = dy.shape as Shape4;
    const Ci = info.inChannels;
    const dy2 = runKernel('Reshape', b, { x: dy }, { shape: [1, B * OH * OW, Co] });
    const fT = runKernel('Transpose', b, { x: filter }, { perm: [3, 0, 1, 2] });
    const f2 = runKernel('Reshape', b, { x: fT }, { shape: [1, Co, fh * fw * Ci] });
    const prod = runKernel('BatchMatMul', b, { a: dy2, b: f2 }, { transposeA: false, transposeB: false });
    const blocks = runKernel('Reshape', b, { x: prod }, { shape: [B, OH, OW, fh * fw * Ci] });
    const out = runKernel('DepthToSpace', b, { x: blocks }, { blockSize: fh, dataFormat: 'NHWC' });
    release(b, dy2, fT, f2, prod, blocks);
    return out;
  }
  return stockBackpropInput!(args);
};

let registered = false;

/** Registers both kernels for the wasm backend (once per process or worker). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  const stock = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (!stock) throw new Error('the wasm backend is not loaded: import @tensorflow/tfjs-backend-wasm first');
  stockBackpropInput = stock.kernelFunc;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  const configs: KernelConfig[] = [
    { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput, setupFunc: stock.setupFunc },
    { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter },
  ];
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  for (const c of configs) tf.registerKernel(c);
  registered = true;
}
