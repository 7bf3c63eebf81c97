// Encoding of rendered 8-bit images (grey or RGB) as PNG or JPEG. Options are fixed so the same pixels always
// give the same bytes: the synthetic generator promises byte-identical output for a given seed.
import sharp from 'sharp';
import { invalidParameter } from '../core/index.js';
import { writeViaTemp } from './atomic.js';

export type ImageFormat = 'png' | 'jpg';

export interface WriteImageOptions8 {
  /** @default 'png' */
  format?: ImageFormat;
  /** JPEG quality 1–100. @default 90 */
  jpegQuality?: number;
}

export const DEFAULT_JPEG_QUALITY = 90;

/** Writes interleaved 8-bit pixels (1 channel = grey, 3 = RGB) atomically as PNG or JPEG. */
export async function writeImage8(
  path: string,
  width: number,
  height: number,
  channels: 1 | 3,
  data: Uint8Array,
  options: WriteImageOptions8 = {},
): Promise<void> {
  if (data.length !== width * height * channels) {
    throw invalidParameter('data.length', `width × height × channels = ${width * height * channels}`, data.length);
  }
  const format = options.format ?? 'png';
  const quality = options.jpegQuality ?? DEFAULT_JPEG_QUALITY;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw invalidParameter('jpegQuality', 'an integer from 1 to 100', quality, 'pass --jpeg-quality 90');
  }
  await writeViaTemp(path, (tmp) => {
    const base = sharp(data, { raw: { width, height, channels } }).toColourspace(channels === 1 ? 'b-w' : 'srgb');
    return format === 'png'
      ? base.png({ compressionLevel: 6 }).toFile(tmp)
      : base.jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false }).toFile(tmp);
  });
}
