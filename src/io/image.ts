// Image decoding and label-PNG encoding with sharp. Everything that touches image bytes goes through here, so
// the pixel limit, EXIF orientation and 16-bit handling are decided once.
import { access, constants } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import type { ClassMask, InstanceMap, Raster } from '../core/index.js';
import { MAX_INSTANCE_ID, PhotosieveError, invalidParameter } from '../core/index.js';
import { writeViaTemp } from './atomic.js';

/** @default 100 megapixels: a 24 MP camera frame fits four times over; a decompression bomb does not. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface ReadImageOptions {
  /** Refuse images with more pixels than this (decompression bombs). @default DEFAULT_MAX_PIXELS */
  maxPixels?: number;
}

export interface ImageSize {
  width: number;
  height: number;
}

function checkMaxPixels(maxPixels: number): void {
  if (!Number.isInteger(maxPixels) || maxPixels <= 0) {
    throw invalidParameter('maxPixels', 'a positive integer', maxPixels, 'pass --max-pixels N with N > 0');
  }
}

async function assertReadable(path: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new PhotosieveError('E_INPUT', 'file not found or not readable.', {
      file: path,
      fix: 'check the path (and --images DIR for label files)',
    });
  }
}

function decodeError(path: string, cause: unknown): PhotosieveError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new PhotosieveError('E_IMAGE', `cannot decode the image (${why.split('\n')[0]}).`, {
    file: path,
    fix: 'check that the file is a complete JPEG, PNG or TIFF; re-export it if it was truncated',
    cause,
  });
}

/** Width and height as displayed, i.e. after EXIF orientation; also enforces the pixel limit. */
export async function readImageSize(path: string, options: ReadImageOptions = {}): Promise<ImageSize> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  checkMaxPixels(maxPixels);
  await assertReadable(path);
  let meta: Metadata;
  try {
    meta = await sharp(path).metadata();
  } catch (cause) {
    throw decodeError(path, cause);
  }
  if (meta.width === undefined || meta.height === undefined) throw decodeError(path, new Error('no dimensions'));
  const swap = meta.orientation !== undefined && meta.orientation >= 5;
  const size = swap ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
  if (size.width * size.height > maxPixels) {
    throw new PhotosieveError(
      'E_IMAGE_TOO_LARGE',
      `the image is ${size.width}×${size.height} = ${size.width * size.height} px, over the limit of ${maxPixels} px.`,
      { file: path, fix: 'raise the limit with --max-pixels N if you trust the file' },
    );
  }
  return size;
}

/**
 * Decodes a JPEG, PNG or TIFF (8 or 16 bit, grey, grey+alpha, RGB or RGBA) into a Raster with EXIF orientation
 * applied. 16-bit files stay 16-bit.
 */
export async function readImage(path: string, options: ReadImageOptions = {}): Promise<Raster> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  await readImageSize(path, { maxPixels });
  try {
    const meta = await sharp(path).metadata();
    const sixteen = meta.depth === 'ushort' || meta.depth === 'short';
    const grey = (meta.channels ?? 3) <= 2;
    // Without an explicit colourspace, sharp's raw output turns grey into sRGB and rescales 16-bit values.
    const space = grey ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb';
    const pipeline = sharp(path, { limitInputPixels: maxPixels, failOn: 'error' }).rotate().toColourspace(space);
    const { data, info } = await (sixteen ? pipeline.raw({ depth: 'ushort' }) : pipeline.raw()).toBuffer({
      resolveWithObject: true,
    });
    const channels = info.channels;
    const pixels = sixteen
      ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2).slice()
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    return { width: info.width, height: info.height, channels, depth: sixteen ? 16 : 8, data: pixels };
  } catch (cause) {
    if (cause instanceof PhotosieveError) throw cause;
    throw decodeError(path, cause);
  }
}

/** Writes an 8-bit single-channel PNG (class masks, overlays of one band), atomically. */
export async function writeGray8Png(path: string, width: number, height: number, data: Uint8Array): Promise<void> {
  if (data.length !== width * height) {
    throw invalidParameter('data.length', `width × height = ${width * height}`, data.length);
  }
  await writeViaTemp(path, (tmp) =>
    sharp(data, { raw: { width, height, channels: 1 } })
      .toColourspace('b-w')
      .png({ compressionLevel: 6 })
      .toFile(tmp),
  );
}

/** Writes a 16-bit single-channel PNG, atomically. */
export async function writeGray16Png(path: string, width: number, height: number, data: Uint16Array): Promise<void> {
  if (data.length !== width * height) {
    throw invalidParameter('data.length', `width × height = ${width * height}`, data.length);
  }
  await writeViaTemp(path, (tmp) =>
    sharp(data, { raw: { width, height, channels: 1 } })
      .toColourspace('grey16')
      .png({ compressionLevel: 6 })
      .toFile(tmp),
  );
}

/** Writes an instance map as a 16-bit PNG; more than 65535 particles cannot be stored and is an error. */
export async function writeInstancePng(path: string, map: InstanceMap): Promise<void> {
  const out = new Uint16Array(map.data.length);
  for (let k = 0; k < map.data.length; k++) {
    const id = map.data[k]!;
    if (id < 0 || id > MAX_INSTANCE_ID) {
      throw new PhotosieveError(
        'E_TOO_MANY_INSTANCES',
        `instance id ${id} does not fit a 16-bit PNG (ids 0..${MAX_INSTANCE_ID}).`,
        { file: path, fix: 'split the image into tiles with fewer than 65536 particles each' },
      );
    }
    out[k] = id;
  }
  await writeGray16Png(path, map.width, map.height, out);
}

export async function writeClassMaskPng(path: string, mask: ClassMask): Promise<void> {
  await writeGray8Png(path, mask.width, mask.height, mask.data);
}

/** Reads a single-channel 8- or 16-bit PNG of instance ids (0 = background). */
export async function readInstancePng(path: string, options: ReadImageOptions = {}): Promise<InstanceMap> {
  const raster = await readImage(path, options);
  if (raster.channels !== 1) {
    throw new PhotosieveError(
      'E_IMAGE',
      `an instance map must have one channel (grey, 8 or 16 bit), this one has ${raster.channels}.`,
      { file: path, fix: 'save instance ids as a single-channel 16-bit PNG (colour-coded label images are not read)' },
    );
  }
  const data = new Int32Array(raster.width * raster.height);
  data.set(raster.data);
  return { width: raster.width, height: raster.height, data };
}
