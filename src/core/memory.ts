// The memory budget: what an image will cost before it is decoded (from its header, or from the size a label
// file declares), what the machine allows, and one check that refuses with a line naming the file, the estimate,
// the limit and the flag. The batch runner uses the same numbers to choose how many workers fit.
import { freemem, totalmem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PhotosieveError, invalidParameter } from './errors.js';

/** @default 100 megapixels: a 24 MP camera frame fits four times over; a decompression bomb does not. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** What an image header says (sharp's metadata, no decode), or what a label file declares. */
export interface ImageHeader {
  width: number;
  height: number;
  /** Samples per pixel of the decoded raster (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). @default 3 */
  channels?: number;
  /** Bits per sample of the decoded raster. @default 8 */
  bitsPerSample?: 8 | 16;
}

/**
 * Bytes per pixel of each stage of `segment`, counted from the arrays each stage holds at once (src/segment), in
 * addition to the decoded raster, which lives through the whole image:
 * - decode: sharp's raw buffer and the raster's copy of it, plus libvips's own copy when it rotates (3 rasters);
 * - semantic (U-Net, semantic.ts): the blended sum, 4 bytes per output channel, and its weight plane (4);
 *   scale-band models also hold the pyramid (1/3 raster), the finer level's 4 channels (16), its boundary and
 *   background hand-on shares (8), the fused result (12), the owning level's scale (4) and the coarser levels'
 *   inherited `large` share (4) while fusing (multiscale.ts; counted whatever inheritLarge is; the confirming
 *   body share and its up-sampled copy exist only for levels 1 and coarser, a quarter of the pixels or less);
 * - instances (instances.ts, morphology.ts): the 3-class probabilities (12), foreground, core and relief masks (3),
 *   the core distance (4), h-maxima scratch (10), labels (4), the flooding's cost plane and queues (6), and
 *   OpenCV's heap, which keeps its largest set of Mats (the distance transform: 6) for good; after a pyramid, also
 *   the peak-height scale per pixel (4);
 * - outputs: labels (4), the 16-bit copy for the PNG (2), the RGB overlay (3) and the encoders' buffers (3).
 * Checked against runs of the default model in one thread (barton_creek.jpg upscaled to 3, 6.75 and 12 MP): peak
 * RSS grew by 52, 48 and 35 bytes per pixel over a 0.03 MP run (352 MB), and the 100 MP bomb took 3.8 GB
 * per worker (38 B/px). The estimate (46 B/px for an 8-bit RGB photo) is at the top of what was measured; the
 * measured values vary because V8 collects the scratch arrays of one stage at different moments.
 */
export const SEGMENT_STAGE_BYTES = Object.freeze({
  semanticPerChannel: 4,
  semanticWeights: 4,
  /**
   * Scale-band fusion, on top of the 4-channel sum: 16 + 8 + 12 - 16 already counted + 4 weights kept + 4 for the
   * owning level's scale + 4 for the coarser levels' `large` = 32.
   */
  multiscaleFusion: 32,
  instances: 43,
  /** The instance stage after a pyramid: the peak-height scale per pixel (MultiscaleResult.scale). */
  multiscaleInstances: 4,
  outputs: 12,
});

/**
 * Bytes per pixel annotate needs for one image (writeOutputs.ts, target.ts, rasterize.ts): the instance map (4),
 * the valid, ROI and crowd masks (3), the class mask (1) and the 16-bit copy for the PNG (2). Measured: COCO images
 * declared 3000² and 6000², each with one polygon covering it, --roi circle and no image file, grew peak RSS by
 * 7.5 and 8.7 B/px over a 100² one (214 MB).
 */
export const ANNOTATE_BYTES_PER_PIXEL = 10;

/**
 * Fixed cost of one segmenting thread: the V8 isolate, the ONNX session and OpenCV's heap. Measured: a second and
 * third worker thread on a 0.03 MP photo added 190 MB each; one process segmenting in-thread peaked at 352 MB.
 */
export const WORKER_BASE_BYTES = 200e6;
export const PROCESS_BASE_BYTES = 350e6;

/** Share of the machine's memory a run may plan to use by default; the rest is left to the system. */
export const DEFAULT_MEMORY_SHARE = 0.8;

export interface MemoryEstimate {
  /** Bytes the work on this image needs at its peak (without the fixed cost of the process). */
  bytes: number;
  pixels: number;
  bytesPerPixel: number;
  /** What the estimate is for, in words ("segment", "annotate", "decode"). */
  what: string;
}

function headerPixels(h: ImageHeader): { pixels: number; raster: number } {
  const { width, height } = h;
  if (!Number.isFinite(width) || !Number.isFinite(height) || width < 0 || height < 0) {
    throw invalidParameter('image size', 'two non-negative numbers', `${width}×${height}`);
  }
  const channels = h.channels ?? 3;
  const raster = channels * ((h.bitsPerSample ?? 8) / 8);
  return { pixels: width * height, raster };
}

export interface SegmentMemoryOptions {
  /** Output channels of the model (3, or 4 for scale-band models). @default 4 (the larger, when the model is not known) */
  classes?: number;
  /** Whether an image pyramid is fused (scale-band models). @default true (the larger, when the model is not known) */
  multiscale?: boolean;
}

/** What segmenting one image needs at its peak (the largest stage; see SEGMENT_STAGE_BYTES). */
export function estimateSegmentMemory(header: ImageHeader, options: SegmentMemoryOptions = {}): MemoryEstimate {
  const { pixels, raster } = headerPixels(header);
  const classes = options.classes ?? 4;
  const multiscale = options.multiscale ?? true;
  const s = SEGMENT_STAGE_BYTES;
  const decode = 3 * raster;
  const semantic = raster * (multiscale ? 4 / 3 : 1) + classes * s.semanticPerChannel + s.semanticWeights + (multiscale ? s.multiscaleFusion : 0);
  const instances = raster + s.instances + (multiscale ? s.multiscaleInstances : 0);
  const outputs = raster + s.outputs;
  const bytesPerPixel = Math.max(decode, semantic, instances, outputs);
  return { bytes: Math.ceil(pixels * bytesPerPixel), pixels, bytesPerPixel, what: 'segment' };
}

/**
 * Bytes per pixel of the whole photo that strip processing (src/segment/strips.ts) holds besides one strip's work:
 * - while strips run: the photo's instance map (4), its RGB copy for the overlay (3, unless --overlays none) and the
 *   region of interest (1, with --roi);
 * - while writing, on top of those: the particle measures' slot map (4) and particles, the 16-bit copy for the PNG
 *   (2) and libvips's buffers encoding it, the overlay's slot map (4) and the JPEG encoder's: counted as 14, measured.
 *   A 100 MP JPEG (11547×8660) in 11 strips, one worker, peaked at 2.67 GB, 21 B/px over the 550 MB fixed cost,
 *   and its peak came while writing (its strips, 16 MP at ~58 B/px measured on a 50 MP photo, hold ~1.6 GB).
 */
export const STRIP_BYTES = Object.freeze({ instances: 4, overlay: 3, roi: 1, outputs: 14 });

export interface StripMemoryOptions extends SegmentMemoryOptions {
  /** Whether an overlay is written (its RGB copy of the photo is kept). @default true */
  overlay?: boolean;
  /** Whether a region of interest is applied. @default false */
  roi?: boolean;
  /** Whether EXIF orientation turns the photo: libvips then decodes it whole for every strip. @default false */
  oriented?: boolean;
}

/**
 * What segmenting a photo in strips needs at its peak: the photo-sized arrays that stay (STRIP_BYTES) plus the
 * working set of its largest strip (`stripRows` rows segmented, margins included, as estimateSegmentMemory counts a
 * photo, and `contextRows` more decoded for the U-Net's tiles), or the writing stage (held + STRIP_BYTES.outputs),
 * whichever is larger.
 */
export function estimateStripMemory(header: ImageHeader, stripRows: number, options: StripMemoryOptions & { contextRows?: number } = {}): MemoryEstimate {
  const { pixels, raster } = headerPixels(header);
  const s = STRIP_BYTES;
  const held = s.instances + (options.overlay ?? true ? s.overlay : 0) + (options.roi ? s.roi : 0);
  // The rows the strip segments, and the rows its tiles read beyond them (decoded only: 3 rasters).
  const context = Math.max(0, Math.min(header.height - stripRows, options.contextRows ?? 0));
  const strip = estimateSegmentMemory({ ...header, height: Math.min(header.height, stripRows) }, options).bytes + 3 * raster * header.width * context;
  const turned = options.oriented ? 3 * raster * pixels : 0;
  const bytes = Math.ceil(Math.max(held * pixels + strip + turned, (held + s.outputs) * pixels));
  return { bytes, pixels, bytesPerPixel: pixels > 0 ? bytes / pixels : 0, what: `segment in strips of ${Math.min(header.height, stripRows)} rows` };
}

/** What annotate needs for one image of this size (the image itself is copied, never decoded). */
export function estimateAnnotateMemory(size: { width: number; height: number }): MemoryEstimate {
  const { pixels } = headerPixels(size);
  return { bytes: Math.ceil(pixels * ANNOTATE_BYTES_PER_PIXEL), pixels, bytesPerPixel: ANNOTATE_BYTES_PER_PIXEL, what: 'annotate' };
}

/** What decoding alone needs (sharp's buffer, the raster, libvips's copy when rotating). */
export function estimateDecodeMemory(header: ImageHeader): MemoryEstimate {
  const { pixels, raster } = headerPixels(header);
  return { bytes: Math.ceil(pixels * 3 * raster), pixels, bytesPerPixel: 3 * raster, what: 'decode' };
}

export interface MemoryBudget {
  /** Bytes the work of one image (plus the process's fixed cost) may take. */
  limitBytes: number;
  /** Where the limit comes from: the flag, or the machine. */
  source: 'flag' | 'machine';
  /** Physical memory, or the cgroup's limit when lower. */
  totalBytes: number;
  /** Memory available when the budget was made (os.freemem: MemAvailable on Linux) plus what this process holds. */
  availableBytes: number;
}

export interface MemoryBudgetOptions {
  /** --max-memory in bytes; replaces the machine's limit. */
  maxMemory?: number | undefined;
  /** For tests: the machine's numbers. @default os.totalmem(), os.freemem(), process.constrainedMemory(), process RSS */
  machine?: { total: number; free: number; constrained?: number | undefined; rss?: number | undefined };
}

/**
 * The budget: --max-memory when given, else DEFAULT_MEMORY_SHARE of the smaller of physical memory (or the
 * cgroup's limit) and what is available now plus what this process already holds. Available memory is read once,
 * when the budget is made, so the check does not change while a run's own images fill the memory.
 */
export function memoryBudget(options: MemoryBudgetOptions = {}): MemoryBudget {
  const m = options.machine ?? {
    total: totalmem(),
    free: freemem(),
    constrained: typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : undefined,
    rss: process.memoryUsage.rss(),
  };
  // constrainedMemory() is 2^64 (or 0 on old Node) without a cgroup limit.
  const total = m.constrained !== undefined && m.constrained > 0 && m.constrained < m.total ? m.constrained : m.total;
  const available = Math.min(total, m.free + (m.rss ?? 0));
  if (options.maxMemory !== undefined) {
    if (!Number.isFinite(options.maxMemory) || options.maxMemory <= 0) {
      throw invalidParameter('--max-memory', 'a positive size such as 4G or 1500M', options.maxMemory);
    }
    return { limitBytes: options.maxMemory, source: 'flag', totalBytes: total, availableBytes: available };
  }
  return { limitBytes: Math.floor(DEFAULT_MEMORY_SHARE * Math.min(total, available)), source: 'machine', totalBytes: total, availableBytes: available };
}

let machineBudget: MemoryBudget | undefined;

/** The machine's budget, made once per process (see memoryBudget). */
export function defaultMemoryBudget(): MemoryBudget {
  machineBudget ??= memoryBudget();
  return machineBudget;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** Parses a size such as `4G`, `1500MB`, `2GiB` or `3e9` (bytes; K/M/G/T are powers of 1000, KiB… of 1024). */
export function parseMemorySize(text: string, flag = '--max-memory'): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  if (!Number.isFinite(bytes) || bytes < 1) {
    throw invalidParameter(flag, 'a size such as 4G, 1500M or 2GiB', text, `e.g. ${flag} 4G`);
  }
  return Math.floor(bytes);
}

/** Bytes as a short decimal figure: `3.8 GB`, `512 MB`, `900 kB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units: [number, string][] = [
    [1e12, 'TB'],
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'kB'],
  ];
  for (const [size, name] of units) {
    if (bytes >= size) {
      const v = bytes / size;
      return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(2).replace(/\.?0+$/, '')} ${name}`;
    }
  }
  return `${Math.round(bytes)} B`;
}

function limitWords(budget: MemoryBudget): string {
  return budget.source === 'flag'
    ? `the limit of ${formatBytes(budget.limitBytes)} set by --max-memory`
    : `the memory budget of ${formatBytes(budget.limitBytes)} (${Math.round(DEFAULT_MEMORY_SHARE * 100)} % of the ${formatBytes(Math.min(budget.totalBytes, budget.availableBytes))} available)`;
}

export interface MemoryCheckOptions {
  /** The file the image comes from (or the label file that declares its size). */
  file?: string | undefined;
  /** What the size is, for the message. @default 'the image' */
  subject?: string;
  /** Fixed cost counted with the image. @default PROCESS_BASE_BYTES */
  baseBytes?: number;
}

/** Whether the estimate (plus the process's fixed cost) fits the budget. */
export function fitsBudget(estimate: MemoryEstimate, budget: MemoryBudget, baseBytes = PROCESS_BASE_BYTES): boolean {
  return estimate.bytes + baseBytes <= budget.limitBytes;
}

/**
 * Refuses work that does not fit: a PhotosieveError (E_MEMORY) whose one line names the file, the size, the
 * estimate, the limit and the flag that raises it.
 */
export function checkMemory(estimate: MemoryEstimate, budget: MemoryBudget, size: { width: number; height: number }, options: MemoryCheckOptions = {}): void {
  const base = options.baseBytes ?? PROCESS_BASE_BYTES;
  if (fitsBudget(estimate, budget, base)) return;
  const subject = options.subject ?? 'the image';
  throw new PhotosieveError(
    'E_MEMORY',
    `${subject} is ${size.width}×${size.height} px; to ${estimate.what} it needs about ${formatBytes(estimate.bytes + base)} (${estimate.bytesPerPixel.toFixed(0)} bytes per pixel + ${formatBytes(base)}), over ${limitWords(budget)}.`,
    { file: options.file, fix: 'raise the limit with --max-memory SIZE (e.g. --max-memory 16G) on a machine that has it, or shrink the image' },
  );
}

/** Validates a pixel limit (--max-pixels). */
export function checkMaxPixels(maxPixels: number): void {
  if (!Number.isInteger(maxPixels) || maxPixels <= 0) {
    throw invalidParameter('maxPixels', 'a positive integer', maxPixels, 'pass --max-pixels N with N > 0');
  }
}

/** Refuses more pixels than maxPixels: one line naming the size, the limit and the flag. */
export function checkPixels(size: { width: number; height: number }, maxPixels: number, options: { file?: string | undefined; subject?: string } = {}): void {
  checkMaxPixels(maxPixels);
  const pixels = size.width * size.height;
  if (pixels <= maxPixels) return;
  const subject = options.subject ?? 'the image';
  throw new PhotosieveError('E_IMAGE_TOO_LARGE', `${subject} is ${size.width}×${size.height} = ${pixels} px, over the limit of ${maxPixels} px.`, {
    file: options.file,
    fix: 'raise the limit with --max-pixels N if you trust the file',
  });
}

/**
 * The largest ratio of a photo's decoded raster (width × height × channels × bytes per sample, from its header) to
 * its file's size that `segment` decodes: above it the file is refused as a decompression bomb, a tiny file that
 * decodes to a huge raster. Measured (sharp's metadata, file sizes on disk):
 * - real photos: the 13 of ../shared/data/segmenteverygrain 1.2–6.2:1; the bundled demo JPEGs 14:1; the real ones
 *   re-encoded as JPEG at quality 90, 50, 30, 10 and 5: 6–10, 15–24, 21–35, 46–85 and 82–153:1; one framed in black
 *   at a tenth of a 12 MP frame: 169:1 (quality 30); blurred and upscaled to 11–21 MP at quality 50: 31–76:1;
 * - images of nothing (one flat colour, 12 MP): PNG 214:1, JPEG 509:1 (quality 10 or 90 alike), deflate TIFF 844:1,
 *   mozjpeg JPEG 1011:1;
 * - bombs of 10000×10000 zeros: 8-bit grey or RGB PNG at zlib level 6 or 9 1026–1027:1 (the 97 kB file:
 *   deflate cannot pack 8- or 16-bit samples tighter than ~1032:1), the same as a 2-colour palette PNG 24440:1.
 * 1000:1 is six times what any real photo reached and refuses every maximally packed PNG bomb. A bomb packed less
 * tightly passes this check and meets the memory budget and strip processing like any large photo.
 */
export const DEFAULT_MAX_EXPANSION = 1000;

/**
 * The same ratio for instance maps (measure, annotate --from-instances, evaluate, report, review): an empty 16-bit
 * instance map legitimately reaches deflate's ceiling (a 3000² one written by photosieve: 1021:1), the ratio of a
 * PNG bomb, so below that nothing can be told apart. 1100:1 lies above what deflate can do on 8- and 16-bit samples
 * and refuses only maps packed below 8 bits or through a palette (a 1-bit 10000² map of zeros: ~8000:1).
 */
export const DEFAULT_MAX_EXPANSION_INSTANCES = 1100;

/** Bytes the decoded raster holds per the header (width × height × channels × bytes per sample). */
export function decodedBytes(header: ImageHeader): number {
  const { pixels, raster } = headerPixels(header);
  return pixels * raster;
}

/** Checks a limit on the decompression ratio (--max-expansion). */
export function checkMaxExpansion(maxExpansion: number, flag = '--max-expansion'): void {
  // Infinity turns the check off (library callers).
  if (typeof maxExpansion !== 'number' || !(maxExpansion >= 1)) throw invalidParameter(flag, 'a number ≥ 1 (decoded bytes per byte of file)', maxExpansion, `e.g. ${flag} 5000 for a file you trust`);
}

/**
 * Refuses a file whose decoded raster is more than maxExpansion times its size on disk: one line naming the size,
 * the decoded bytes, the ratio, the limit and the flag.
 */
export function checkExpansion(header: ImageHeader, fileBytes: number, maxExpansion: number, options: { file?: string | undefined; flag?: string } = {}): void {
  const flag = options.flag ?? '--max-expansion';
  checkMaxExpansion(maxExpansion, flag);
  const decoded = decodedBytes(header);
  const ratio = decoded / Math.max(1, fileBytes);
  if (ratio <= maxExpansion) return;
  throw new PhotosieveError(
    'E_IMAGE_TOO_LARGE',
    `the image is ${header.width}×${header.height} px, ${formatBytes(decoded)} decoded from a file of ${formatBytes(fileBytes)}: it expands ${Math.round(ratio)}:1, over the limit of ${maxExpansion}:1 (a decompression bomb?); not decoded.`,
    { file: options.file, fix: `if you trust the file, raise the limit with ${flag} N (e.g. ${flag} ${Math.ceil(ratio * 1.1)})` },
  );
}

export interface WorkerPlan {
  /** Workers to start: the requested number or fewer (0 = in-thread when 0 was requested). */
  workers: number;
  /** Whether one image of this estimate fits at all (with one worker, or in-thread when 0 was requested). */
  fits: boolean;
}

/**
 * How many workers fit the budget when each holds one image of `perImage` at a time. The main process's fixed cost
 * is counted once, each worker's on top. `requested` 0 means in-thread: then only `fits` says anything.
 */
export function workersWithinBudget(
  perImage: MemoryEstimate,
  budget: MemoryBudget,
  requested: number,
  base: { process: number; worker: number } = { process: PROCESS_BASE_BYTES, worker: WORKER_BASE_BYTES },
): WorkerPlan {
  if (!Number.isInteger(requested) || requested < 0) throw invalidParameter('workers', 'an integer ≥ 0', requested);
  const room = budget.limitBytes - base.process;
  if (requested === 0) return { workers: 0, fits: perImage.bytes <= room };
  const workers = Math.max(0, Math.min(requested, Math.floor(room / (perImage.bytes + base.worker))));
  return { workers, fits: workers >= 1 };
}

let gcFunction: (() => void) | null | undefined;

/**
 * A full garbage collection now, where strip processing (segment/strips.ts) drops one strip's arrays before the
 * next allocates its own: V8 frees large typed arrays only when it next collects, and without this a strip's
 * arrays can live on beside the next one's. The gain is small: the one-worker peak of a 100 MP photo in 11 strips
 * went from 2.81 to 2.67 GB, and a 50 MP photo's did not change. V8's `gc` is taken from a fresh context with
 * --expose-gc set, since the process was not started with the flag; where that fails, nothing is collected.
 */
export function collectGarbage(): void {
  if (gcFunction === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFunction = runInNewContext('gc') as () => void;
    } catch {
      gcFunction = null;
    }
  }
  gcFunction?.();
}
