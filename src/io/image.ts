// Image decoding and label-PNG encoding with sharp. Everything that touches image bytes goes through here, so
// the pixel limit, the memory budget, EXIF orientation and 16-bit handling are decided once, from the header,
// before a single pixel is decoded.
import { open } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import type { ClassMask, ImageHeader, InstanceMap, MemoryBudget, MemoryEstimate, Raster } from '../core/index.js';
import {
  DEFAULT_MAX_PIXELS,
  MAX_INSTANCE_ID,
  PhotosieveError,
  DEFAULT_MAX_EXPANSION_INSTANCES,
  checkExpansion,
  checkMaxPixels,
  checkMemory,
  checkPixels,
  defaultMemoryBudget,
  estimateDecodeMemory,
  estimateSegmentMemory,
  invalidParameter,
} from '../core/index.js';
import { writeViaTemp } from './atomic.js';
import { statRegularFile } from './files.js';

export { DEFAULT_MAX_PIXELS };

/** What the decoded image is for, which sets the memory it is checked against (see core/memory.ts). */
export type ImageUse = 'segment' | 'decode' | ((header: ImageHeader) => MemoryEstimate);

export interface ReadImageOptions {
  /** Refuse images with more pixels than this (decompression bombs). @default DEFAULT_MAX_PIXELS */
  maxPixels?: number | undefined;
  /** The budget the image's work must fit. @default defaultMemoryBudget() (the machine's) */
  budget?: MemoryBudget | undefined;
  /**
   * What the caller will do with the raster: 'segment' checks the whole pipeline's peak (for a model not known
   * here: 4 classes with a pyramid, the larger case), 'decode' the raster alone, or a function of the header.
   * @default 'segment'
   */
  use?: ImageUse | undefined;
  /**
   * Refuse files whose decoded raster is more than this many times their size on disk (decompression bombs; see
   * DEFAULT_MAX_EXPANSION). @default no check (readInstancePng: DEFAULT_MAX_EXPANSION_INSTANCES)
   */
  maxExpansion?: number | undefined;
}

export interface ImageSize {
  width: number;
  height: number;
}

/** The header of an image file as displayed (EXIF orientation applied), read without decoding any pixel. */
export interface ImageFileHeader extends ImageSize {
  channels: 1 | 2 | 3 | 4;
  bitsPerSample: 8 | 16;
  format: string;
  /** The file's size on disk, bytes. */
  fileBytes: number;
  /** Whether EXIF orientation turns or flips it (decoding then needs the whole image at once). */
  oriented: boolean;
}

const READ_FIX = 'check the path (and --images DIR for label files)';

/** sharp's message when libvips's (process-wide) error buffer was emptied by another thread before it was read. */
const NO_REASON = /^(unknown error)?\.?$/i;

function firstLine(cause: unknown): string {
  const why = cause instanceof Error ? cause.message : String(cause);
  return why.split('\n')[0]!.trim();
}

/** The last bytes of a file (at most n), to tell a truncated JPEG or PNG from a damaged one. */
async function tailOf(path: string, n: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(n, size);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    return buf;
  } finally {
    await handle.close();
  }
}

/** 'jpeg' or 'png' from the file's first bytes (what sharp calls them), undefined for anything else. */
async function sniffFormat(path: string): Promise<'jpeg' | 'png' | undefined> {
  try {
    const handle = await open(path, 'r');
    try {
      const head = Buffer.alloc(8);
      const { bytesRead } = await handle.read(head, 0, 8, 0);
      if (bytesRead >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
      if (bytesRead === 8 && head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
      return undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/** Whether a JPEG or PNG file ends with its end marker (FF D9; the IEND chunk); undefined for other formats. */
async function endsComplete(path: string, format: string | undefined): Promise<boolean | undefined> {
  try {
    if (format === 'jpeg') {
      // Some cameras append a few bytes after the marker; a cut-off file has none of it near the end.
      const tail = await tailOf(path, 64);
      for (let k = tail.length - 2; k >= 0; k--) if (tail[k] === 0xff && tail[k + 1] === 0xd9) return true;
      return false;
    }
    if (format === 'png') {
      const tail = await tailOf(path, 12);
      return tail.length === 12 && tail.subarray(4, 8).toString('latin1') === 'IEND';
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * One line for a decode failure that says what is known: a truncated file (checked on its bytes, since libvips's
 * own message can be lost when threads decode at once), libvips's reason, or that it gave none.
 */
function truncatedError(path: string, format: string | undefined, cause: unknown): PhotosieveError {
  const name = format === 'jpeg' ? 'JPEG' : 'PNG';
  return new PhotosieveError('E_IMAGE', `cannot decode the image (the ${name} file is truncated: it ends before its end-of-image marker).`, {
    file: path,
    fix: 'copy or export the file again (it was cut off, e.g. by an interrupted transfer)',
    cause,
  });
}

async function decodeError(path: string, format: string | undefined, cause: unknown): Promise<PhotosieveError> {
  if ((await endsComplete(path, format)) === false) return truncatedError(path, format, cause);
  const why = firstLine(cause);
  return new PhotosieveError('E_IMAGE', NO_REASON.test(why) ? 'cannot decode the image (the decoder gave no reason).' : `cannot decode the image (${why}).`, {
    file: path,
    fix: 'check that the file is a JPEG, PNG, TIFF or WebP that other programs open; export it again if they do not',
    cause,
  });
}

async function metadataOf(path: string): Promise<Metadata> {
  try {
    // No pixel limit on the header: the limit is ours to check, with our message, and reading it decodes nothing.
    return await sharp(path, { limitInputPixels: false }).metadata();
  } catch (cause) {
    const format = await sniffFormat(path);
    if (format !== undefined && (await endsComplete(path, format)) === false) throw truncatedError(path, format, cause);
    const why = firstLine(cause);
    const fix = /unsupported image format/i.test(why)
      ? 'pass a JPEG, PNG, TIFF or WebP file (this one is not an image sharp can read)'
      : 'the file\'s header is damaged or cut off: copy or export it again';
    throw new PhotosieveError('E_IMAGE', `cannot decode the image (its header cannot be read: ${NO_REASON.test(why) ? 'the decoder gave no reason' : why}).`, { file: path, fix, cause });
  }
}

/**
 * Reads an image's header (size as displayed, channels, depth) without decoding it, and refuses what must never be
 * decoded: not a regular file, several frames, more than maxPixels.
 */
export async function readImageHeader(path: string, options: Pick<ReadImageOptions, 'maxPixels'> = {}): Promise<ImageFileHeader> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  checkMaxPixels(maxPixels);
  const st = await statRegularFile(path, { what: 'image', fix: READ_FIX });
  if (st.size === 0) throw new PhotosieveError('E_IMAGE', 'the image file is empty (0 bytes).', { file: path, fix: 'copy or export the image again' });
  const meta = await metadataOf(path);
  if (meta.width === undefined || meta.height === undefined) {
    throw new PhotosieveError('E_IMAGE', 'the image header gives no width and height.', { file: path, fix: 'export the image again as JPEG, PNG or TIFF' });
  }
  const pages = meta.pages ?? 1;
  if (pages > 1) {
    const kind = meta.format === 'gif' ? 'an animated GIF' : meta.format === 'tiff' ? 'a multi-page TIFF' : `a ${meta.format ?? 'multi-frame'} file`;
    throw new PhotosieveError('E_IMAGE', `the file holds ${pages} frames (${kind}); photosieve measures one photo per file and will not guess which frame.`, {
      file: path,
      fix: 'save the frame you want as its own PNG, JPEG or TIFF',
    });
  }
  const swap = meta.orientation !== undefined && meta.orientation >= 5;
  const size = swap ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
  checkPixels(size, maxPixels, { file: path });
  const channels = Math.min(4, Math.max(1, meta.channels ?? 3)) as 1 | 2 | 3 | 4;
  const bitsPerSample = meta.depth === 'ushort' || meta.depth === 'short' ? 16 : 8;
  return { ...size, channels, bitsPerSample, format: meta.format ?? 'unknown', fileBytes: st.size, oriented: (meta.orientation ?? 1) > 1 };
}

/** Width and height as displayed, i.e. after EXIF orientation; also enforces the pixel limit (see readImageHeader). */
export async function readImageSize(path: string, options: Pick<ReadImageOptions, 'maxPixels'> = {}): Promise<ImageSize> {
  const { width, height } = await readImageHeader(path, options);
  return { width, height };
}

function estimateFor(use: ImageUse, header: ImageHeader): MemoryEstimate {
  if (typeof use === 'function') return use(header);
  return use === 'decode' ? estimateDecodeMemory(header) : estimateSegmentMemory(header);
}

/**
 * Decodes a JPEG, PNG or TIFF (8 or 16 bit, grey, grey+alpha, RGB or RGBA) into a Raster with EXIF orientation
 * applied. 16-bit files stay 16-bit. Before decoding, the header is checked against the pixel limit and the
 * memory the caller's use of it will need against the budget.
 */
export async function readImage(path: string, options: ReadImageOptions = {}): Promise<Raster> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const header = await readImageHeader(path, { maxPixels });
  if (options.maxExpansion !== undefined) checkExpansion(header, header.fileBytes, options.maxExpansion, { file: path });
  checkMemory(estimateFor(options.use ?? 'segment', header), options.budget ?? defaultMemoryBudget(), header, { file: path });
  return decodeRaster(path, header, maxPixels);
}

/**
 * Decodes rows [top, bottom) of an image as displayed (EXIF orientation applied), holding only those rows (sharp's
 * extract, read sequentially: the rows above are decoded and dropped, those below never read; a photo EXIF turns
 * is decoded whole by libvips first, header.oriented). The header is readImageHeader's, already checked.
 */
export async function readImageRows(path: string, header: ImageFileHeader, top: number, bottom: number, options: Pick<ReadImageOptions, 'maxPixels'> = {}): Promise<Raster> {
  if (!Number.isInteger(top) || !Number.isInteger(bottom) || top < 0 || bottom > header.height || bottom <= top) {
    throw invalidParameter('rows', `within 0–${header.height}`, `${top}–${bottom}`);
  }
  return decodeRaster(path, header, options.maxPixels ?? DEFAULT_MAX_PIXELS, { top, height: bottom - top });
}

async function decodeRaster(path: string, header: ImageFileHeader, maxPixels: number, rows?: { top: number; height: number }): Promise<Raster> {
  const sixteen = header.bitsPerSample === 16;
  const grey = header.channels <= 2;
  // Without an explicit colourspace, sharp's raw output turns grey into sRGB and rescales 16-bit values.
  const space = grey ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb';
  const decode = async (): Promise<Raster> => {
    let pipeline = sharp(path, { limitInputPixels: Math.max(maxPixels, header.width * header.height), failOn: 'error', ...(rows && !header.oriented ? { sequentialRead: true } : {}) }).rotate().toColourspace(space);
    if (rows) pipeline = pipeline.extract({ left: 0, top: rows.top, width: header.width, height: rows.height });
    const { data, info } = await (sixteen ? pipeline.raw({ depth: 'ushort' }) : pipeline.raw()).toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    const pixels = sixteen
      ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2).slice()
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    return { width: info.width, height: info.height, channels, depth: sixteen ? 16 : 8, data: pixels };
  };
  try {
    return await decode();
  } catch (first) {
    // libvips keeps one error buffer per process: when threads decode at once, a failing decode may find it
    // emptied ("Unknown error"). The reason is worth one more try, alone.
    let cause = first;
    if (NO_REASON.test(firstLine(first))) {
      try {
        return await decode();
      } catch (second) {
        cause = second;
      }
    }
    throw await decodeError(path, header.format, cause);
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
  // The raster and the 32-bit id map built from it.
  const use = (h: ImageHeader): MemoryEstimate => {
    const e = estimateDecodeMemory(h);
    return { ...e, bytes: e.bytes + 4 * e.pixels, bytesPerPixel: e.bytesPerPixel + 4, what: 'read the instance map' };
  };
  const raster = await readImage(path, { ...options, use: options.use ?? use, maxExpansion: options.maxExpansion ?? DEFAULT_MAX_EXPANSION_INSTANCES });
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
