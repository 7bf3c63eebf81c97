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
