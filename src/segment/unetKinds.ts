// The U-Net's architecture description, without TensorFlow.js: what meta.json stores and what tiling and the ONNX
// path need to know (size multiple, classes), so they can run in a process that never loads tfjs.
import { invalidParameter } from '../core/index.js';

export const UPSAMPLING_KINDS = ['transpose', 'bilinear'] as const;
export type UpsamplingKind = (typeof UPSAMPLING_KINDS)[number];

export interface UnetArchitecture {
  /** Resolution levels including the bottleneck: 4 gives 16-32-64-128 channels with baseChannels 16. @default 4 */
  depth: number;
  /** Channels of the first level; each level below doubles them. @default 16 */
  baseChannels: number;
  /** Batch normalization after each convolution. @default true */
  batchNorm: boolean;
  /** Decoder upsampling: learned transposed convolution, or bilinear resize followed by a 3×3 convolution. @default 'transpose' */
  upsampling: UpsamplingKind;
}

export const DEFAULT_UNET_ARCHITECTURE: Readonly<UnetArchitecture> = Object.freeze({
  depth: 4,
  baseChannels: 16,
  batchNorm: true,
  upsampling: 'transpose',
});

/** Output channels, in PixelClass order (background, body, boundary). */
export const UNET_CLASSES = 3;

export interface BuildUnetOptions {
  architecture: UnetArchitecture;
  inputChannels: 1 | 3;
  /** Seed of the weight initializers, so a "random" model is the same every time. @default 1 */
  seed?: number;
  /** Output classes: 3, or 4 for a scale-band model (PixelClass.large). @default UNET_CLASSES */
  classes?: 3 | 4;
}

/** Tiles must shrink to whole pixels at the bottleneck. */
export function unetSizeMultiple(architecture: UnetArchitecture): number {
  return 2 ** (architecture.depth - 1);
}

export function validateArchitecture(a: UnetArchitecture): void {
  if (!Number.isInteger(a.depth) || a.depth < 2 || a.depth > 7) throw invalidParameter('architecture.depth', 'an integer from 2 to 7', a.depth);
  if (!Number.isInteger(a.baseChannels) || a.baseChannels < 1 || a.baseChannels > 256) {
    throw invalidParameter('architecture.baseChannels', 'an integer from 1 to 256', a.baseChannels);
  }
  if (!UPSAMPLING_KINDS.includes(a.upsampling)) throw invalidParameter('architecture.upsampling', UPSAMPLING_KINDS.join(' or '), a.upsampling);
}

/**
 * Multiply-adds ×2 of the U-Net per input pixel (convolutions only; batch norm folds away, ReLU and pooling are
 * noise): Σ 2·k²·Cin·Cout over every convolution, divided by 4^level for the levels below full resolution.
 */
export function unetFlopsPerPixel(a: UnetArchitecture, inputChannels: number, classes: number = UNET_CLASSES): number {
  const f = (level: number): number => a.baseChannels * 2 ** level;
  let flops = 0;
  const conv = (k: number, cin: number, cout: number, level: number): void => {
    flops += (2 * k * k * cin * cout) / 4 ** level;
  };
  for (let level = 0; level < a.depth - 1; level++) {
    conv(3, level === 0 ? inputChannels : f(level - 1), f(level), level);
    conv(3, f(level), f(level), level);
  }
  const bottom = a.depth - 1;
  conv(3, f(bottom - 1), f(bottom), bottom);
  conv(3, f(bottom), f(bottom), bottom);
  for (let level = a.depth - 2; level >= 0; level--) {
    // A 2×2 stride-2 transposed conv gives each output pixel one tap per input channel; bilinear + 3×3 conv, nine.
    if (a.upsampling === 'transpose') conv(1, f(level + 1), f(level), level);
    else conv(3, f(level + 1), f(level), level);
    conv(3, 2 * f(level), f(level), level);
    conv(3, f(level), f(level), level);
  }
  conv(1, f(0), classes, 0);
  return flops;
}
