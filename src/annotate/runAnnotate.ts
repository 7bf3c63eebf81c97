// The annotate job: label files (or instance PNGs) → validated, z-ordered particles → the shared output layout
// plus annotate-report.json. One bad file or image is reported and skipped; the others go on.
import { copyFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { MemoryBudget, MultiPolygon } from '../core/index.js';
import { DEFAULT_MAX_PIXELS, MAX_INSTANCE_ID, PhotosieveError, checkMemory, checkPixels, errorLine, estimateAnnotateMemory, memoryBudget } from '../core/index.js';
import { readImageSize, readInstancePng, writeJsonAtomic, writeViaTemp } from '../io/index.js';
import type { ExportImage, ExportInstance } from './export.js';
import type { LabelFormatOption, RawImageLabels } from './formats/index.js';
import { readLabelFile } from './formats/index.js';
import { canonicalize } from './clip.js';
import { resolveOverlaps } from './overlaps.js';
import { fillMultiPolygon } from './rasterize.js';
import type { AnnotationIssue } from './report.js';
import type { RoiSpec } from './roi.js';
import { describeRoi, roiMask } from './roi.js';
import { DEFAULT_BOUNDARY_PX } from './target.js';
import { traceInstances } from './trace.js';
import { validateShape } from './validate.js';
import type { ImageLookup } from './imagePath.js';
import { givenImage, locateImage } from './imagePath.js';
import type { PixelOrigin } from './writeOutputs.js';
import { writeAnnotatedImage, writeCocoIndex } from './writeOutputs.js';

export interface AnnotateOptions {
  /** Label files (LabelMe JSON, COCO JSON, CVAT XML). */
  labels: readonly string[];
  /** Output folder. */
  out: string;
  /** Where the images are; by default next to each label file (or in its images/ folder). */
  images?: string | undefined;
  /** @default 'auto' */
  format?: LabelFormatOption;
  /** @default 2 */
  boundaryPx?: number;
  /** @default { kind: 'none' } */
  roi?: RoiSpec;
  /** Turn every repair into an error. @default false */
  strict?: boolean;
  /** Only shapes with these labels are particles; others are reported and skipped. @default all labels */
  includeLabels?: readonly string[] | undefined;
  /** How label coordinates refer to pixels (see writeOutputs.ts). @default 'corner' */
  pixelOrigin?: PixelOrigin;
  /** Copy each image into DIR/images. @default true */
  copyImages?: boolean;
  /** Refuse images (found, or declared by a label file) with more pixels. @default DEFAULT_MAX_PIXELS */
  maxPixels?: number | undefined;
  /** --max-memory in bytes: what one image's targets may take. @default the machine's budget (core/memory.ts) */
  maxMemory?: number | undefined;
  /** --from-instances: refuse instance maps that decode to more than this many times their file's size. @default DEFAULT_MAX_EXPANSION_INSTANCES */
  maxExpansion?: number | undefined;
  /** Follow image paths that lead outside the label file's folder (or --images). @default false */
  allowOutside?: boolean | undefined;
  /**
   * For callers that know more than their label files (review's fine-tune; no CLI flag): per label file of one
   * image, keyed by the path as given in `labels`, the NAME its outputs are written under instead of the image's
   * stem, and optionally the image itself instead of the one the file names. @default the stem; the image looked up
   */
  targets?: ReadonlyMap<string, AnnotateTarget> | undefined;
  onProgress?: ((done: number, total: number, name: string) => void) | undefined;
}

/** What a caller fixes for one label file's image (AnnotateOptions.targets). */
export interface AnnotateTarget {
  /**
   * The output NAME (images/NAME.ext, instances/NAME.png, …): a plain file name, so the folder stays flat as train
   * reads it; photos a/x and b/x of a `segment --recursive` run, which share the stem x, can be a__x and b__x.
   */
  name: string;
  /** The image, followed wherever it is (checked only to be a regular file). @default the one the file names */
  image?: string | undefined;
}

/** Whether NAME can be an output name of its own: a plain file name (no folder, no `\`, not `.` or `..`). */
export function isOutputName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

export interface AnnotatedImageSummary {
  name: string;
  labelFile: string;
  image: string | null;
  width: number;
  height: number;
  particles: number;
  crowdRegions: number;
  /** Particles that lost area to a shape lying on them. */
  overlapped: number;
  overlapPairs: number;
  hidden: number;
  occluded: number;
  /** Pixels per class in masks/NAME.png. */
  classPixels: { background: number; body: number; boundary: number; ignore: number };
}

export interface AnnotateReport {
  tool: 'photosieve annotate';
  options: { boundaryPx: number; roi: string; strict: boolean; includeLabels: readonly string[] | null; pixelOrigin: PixelOrigin };
  inputs: { file: string; format: string | null; images: number; ok: boolean }[];
  images: AnnotatedImageSummary[];
  issues: AnnotationIssue[];
  totals: { files: number; images: number; particles: number; errors: number; repairs: number; warnings: number; failedFiles: number; skippedImages: number };
}

/** What both entry points (label files, instance maps) pass to the shared steps. */
type SharedOptions = Omit<AnnotateOptions, 'labels'>;

interface ImageJob {
  name: string;
  labelFile: string;
  imagePath: string | null;
  width: number;
  height: number;
  instances: { label: string; geometry: MultiPolygon; z: number }[];
  crowd: MultiPolygon[];
  occluded: number;
  /** Instances already disjoint (traced from an instance map): skip z-order resolution. */
  disjoint: boolean;
  /** Keep these ids (from an instance map) instead of numbering 1..N. */
  ids?: number[];
}

/**
 * Where the image a label file names is (see imagePath.ts): the path as written when it stays inside the label
 * file's folder, else its file name there, in images/ or ../images; with --images DIR only there.
 */
export async function findImage(ref: string, labelFile: string, imagesDir: string | undefined, allowOutside = false): Promise<ImageLookup> {
  return locateImage(ref, { labelFile, images: imagesDir, allowOutside });
}

/** Whether a and b are the same file (real paths, hard links included); false when b does not exist. */
async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

function stem(path: string): string {
  const b = basename(path.replace(/\\/g, '/'));
  return b.slice(0, b.length - extname(b).length);
}

class Collector {
  readonly issues: AnnotationIssue[] = [];
  add(...issues: AnnotationIssue[]): void {
    this.issues.push(...issues);
  }
  fail(file: string, image: string | undefined, code: AnnotationIssue['code'], message: string, action: string): void {
    this.issues.push({ severity: 'error', code, file, image, message, action });
  }
}

/** Turns one parsed image into a job: finds the image, checks its size, validates and groups the shapes. */
/** The size checks every image passes before anything of its size is allocated (real or declared size). */
function checkImageSize(size: { width: number; height: number }, options: SharedOptions, budget: MemoryBudget, file: string, subject: string): void {
  checkPixels(size, options.maxPixels ?? DEFAULT_MAX_PIXELS, { file, subject });
  checkMemory(estimateAnnotateMemory(size), budget, size, { file, subject });
}

/** Turns one parsed image into a job: finds the image, checks its size, validates and groups the shapes. */
async function prepareImage(
  labels: RawImageLabels,
  options: AnnotateOptions,
  budget: MemoryBudget,
  out: Collector,
  target: AnnotateTarget | undefined,
): Promise<ImageJob | null> {
  const file = labels.labelFile;
  const strict = options.strict ?? false;
  const where = target?.image !== undefined ? ` at ${target.image}` : options.images ? ` in ${options.images}` : ' beside the label file';
  const found = target?.image !== undefined ? await givenImage(target.image) : await findImage(labels.imageRef, file, options.images, options.allowOutside);
  if (found.kind === 'outside') {
    const scope = options.images ? '--images DIR' : "the label file's folder";
    out.fail(file, labels.imageRef, 'path_refused', `image "${labels.imageRef}" leads outside ${scope} (links followed): not read`, 'image skipped; pass --images DIR with the images, or --allow-outside to follow such paths');
    return null;
  }
  if (found.kind === 'not_a_file') {
    out.fail(file, labels.imageRef, 'not_a_file', `image "${labels.imageRef}" (${found.path}) is a ${found.fileKind}, not a regular file: not read`, 'image skipped; point the label file at the image file');
    return null;
  }
  const imagePath = found.kind === 'found' ? found.path : null;
  let width = labels.width;
  let height = labels.height;
  let scaleX = 1;
  let scaleY = 1;
  if (found.kind === 'found') {
    let real: { width: number; height: number };
    try {
      real = await readImageSize(found.real, { maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS });
      checkMemory(estimateAnnotateMemory(real), budget, real, { file: found.path });
    } catch (err) {
      if (!(err instanceof PhotosieveError) || (err.code !== 'E_IMAGE_TOO_LARGE' && err.code !== 'E_MEMORY')) throw err;
      out.fail(file, labels.imageRef, 'image_too_large', err.toLine().replace(`${found.real}: `, `${found.path}: `), 'image skipped');
      return null;
    }
    if (width !== undefined && height !== undefined && (width !== real.width || height !== real.height)) {
      const msg = `the label file says ${width}×${height}, the image ${imagePath} is ${real.width}×${real.height}`;
      const sameAspect = Math.abs(width / height - real.width / real.height) < 0.01 * (real.width / real.height);
      if (width === real.height && height === real.width) {
        out.fail(file, labels.imageRef, 'size_mismatch', `${msg} (rotated: labels made on the image before EXIF rotation?)`, 'image skipped; re-export the labels from the image as displayed');
        return null;
      }
      if (!sameAspect || strict) {
        out.fail(file, labels.imageRef, 'size_mismatch', msg, strict && sameAspect ? 'image skipped (--strict); scaling the labels would repair it' : 'image skipped; check that the labels belong to this image');
        return null;
      }
      scaleX = real.width / width;
      scaleY = real.height / height;
      out.add({ severity: 'repair', code: 'size_mismatch', file, image: labels.imageRef, message: msg, action: `scaled the polygons by ${scaleX.toFixed(4)}×${scaleY.toFixed(4)}` });
    }
    width = real.width;
    height = real.height;
  } else if (width !== undefined && height !== undefined) {
    // No image to check against: the size the label file declares is all there is, and it is checked the same.
    try {
      checkImageSize({ width, height }, options, budget, file, `the image size declared for "${labels.imageRef}"`);
    } catch (err) {
      if (!(err instanceof PhotosieveError)) throw err;
      out.fail(file, labels.imageRef, 'image_too_large', err.toLine().replace(`${file}: `, ''), 'image skipped');
      return null;
    }
    out.add({
      severity: strict ? 'error' : 'warning',
      code: 'image_not_found',
      file,
      image: labels.imageRef,
      message: `image "${labels.imageRef}" not found${where}`,
      action: strict ? 'image skipped (--strict); pass --images DIR' : `used the size in the label file (${width}×${height}); no image copied`,
    });
    if (strict) return null;
  } else {
    out.fail(file, labels.imageRef, 'image_not_found', `image "${labels.imageRef}" not found${where} and the label file gives no size`, 'image skipped; pass --images DIR');
    return null;
  }

  // Pixel-index coordinates (centre of pixel (i, j) at (j, i)) move to the project's corner convention.
  const shift = options.pixelOrigin === 'center' ? 0.5 : 0;
  const instances: ImageJob['instances'] = [];
  const crowd: MultiPolygon[] = [];
  const groups = new Map<string, number>();
  let occluded = 0;
  const include = options.includeLabels ? new Set(options.includeLabels) : undefined;
  const skippedLabels = new Map<string, number>();
  for (const shape of labels.shapes) {
    if (include && !include.has(shape.label)) {
      skippedLabels.set(shape.label, (skippedLabels.get(shape.label) ?? 0) + 1);
      continue;
    }
    const scaled =
      scaleX === 1 && scaleY === 1 && shift === 0
        ? shape
        : { ...shape, rings: shape.rings.map((r) => r.map((p) => [p[0] === null || p[0] === undefined ? null : (p[0] + shift) * scaleX, p[1] === null || p[1] === undefined ? null : (p[1] + shift) * scaleY])) };
    const v = await validateShape(scaled, { file, image: labels.imageRef, width, height, strict, pixelOrigin: options.pixelOrigin ?? 'corner' });
    out.add(...v.issues);
    if (!v.geometry) continue;
    if (shape.crowd) {
      crowd.push(v.geometry);
      continue;
    }
    if (shape.occluded) occluded += 1;
    const at = shape.group === undefined ? undefined : groups.get(shape.group);
    if (at !== undefined) {
      const inst = instances[at]!;
      // A union, not a concatenation: overlapping parts would cancel out under the even-odd fill.
      inst.geometry = canonicalize([...inst.geometry, ...v.geometry]);
      continue;
    }
    if (shape.group !== undefined) groups.set(shape.group, instances.length);
    instances.push({ label: shape.label, geometry: v.geometry, z: shape.z });
  }
  for (const [label, n] of skippedLabels) {
    out.add({ severity: 'warning', code: 'unsupported_shape', file, image: labels.imageRef, label, message: `${n} shape(s) with a label not in --labels`, action: 'skipped' });
  }
  return { name: target?.name ?? stem(labels.imageRef), labelFile: file, imagePath, width, height, instances, crowd, occluded, disjoint: false };
}

/** Resolves overlaps, numbers the particles, writes instances/masks/labels and copies the image. */
async function finishImage(job: ImageJob, options: SharedOptions, out: Collector): Promise<{ summary: AnnotatedImageSummary; exported: ExportImage } | null> {
  let visible = job.instances.map((i) => i.geometry);
  let overlapped = 0;
  let pairs = 0;
  let hidden: number[] = [];
  if (!job.disjoint && job.instances.length > 1) {
    const r = resolveOverlaps(job.instances.map((i) => ({ geometry: i.geometry, z: i.z })));
    visible = r.visible;
    overlapped = r.overlapped;
    pairs = r.pairs;
    hidden = r.hidden;
  }
  for (const k of hidden) {
    out.add({ severity: 'warning', code: 'hidden', file: job.labelFile, image: job.name, annotation: `particle ${k + 1}`, label: job.instances[k]!.label, message: 'completely covered by shapes lying on top of it', action: 'dropped' });
  }
  const instances: ExportInstance[] = [];
  let next = 0;
  job.instances.forEach((inst, k) => {
    const geometry = visible[k]!;
    if (geometry.length === 0) return;
    next += 1;
    instances.push({ id: job.ids?.[k] ?? next, label: inst.label, geometry });
  });
  if (instances.some((i) => i.id > MAX_INSTANCE_ID)) {
    out.fail(job.labelFile, job.name, 'too_many_instances', `${instances.length} particles do not fit a 16-bit instance PNG (at most ${MAX_INSTANCE_ID})`, 'image skipped; split the image into tiles');
    return null;
  }
  const ext = job.imagePath ? extname(job.imagePath).toLowerCase() : '.png';
  const exported: ExportImage = { name: job.name, fileName: `images/${job.name}${ext}`, width: job.width, height: job.height, instances };
  // Never write over an input (an --out that is, through a link or not, the folder the labels came from).
  const outputs = [join(options.out, 'instances', `${job.name}.png`), join(options.out, 'masks', `${job.name}.png`), join(options.out, 'labels', `${job.name}.json`)];
  const copyTo = join(options.out, exported.fileName);
  for (const target of [...outputs, copyTo]) {
    if (await sameFile(job.labelFile, target)) {
      out.fail(job.labelFile, job.name, 'overwrites_input', `writing ${target} would overwrite this input file`, 'image skipped; choose another --out');
      return null;
    }
  }
  for (const target of outputs) {
    if (job.imagePath && (await sameFile(job.imagePath, target))) {
      out.fail(job.labelFile, job.name, 'overwrites_input', `writing ${target} would overwrite the image ${job.imagePath}`, 'image skipped; choose another --out');
      return null;
    }
  }
  const roi = roiMask(options.roi ?? { kind: 'none' }, job.width, job.height);
  let ignore: Uint8Array | undefined;
  if (job.crowd.length > 0) {
    ignore = new Uint8Array(job.width * job.height);
    for (const c of job.crowd) fillMultiPolygon(c, job.width, job.height, ignore, 1);
  }
  const written = await writeAnnotatedImage(options.out, exported, { boundaryPx: options.boundaryPx, roi, ignore });
  if (job.imagePath && (options.copyImages ?? true)) {
    const src = job.imagePath;
    // The image already there (the same file, however reached) is left alone.
    if (!(await sameFile(src, copyTo))) await writeViaTemp(copyTo, (tmp) => copyFile(src, tmp));
  }
  const [background, body, boundary, ignored] = written.classCounts;
  return {
    exported,
    summary: {
      name: job.name,
      labelFile: job.labelFile,
      image: job.imagePath,
      width: job.width,
      height: job.height,
      particles: instances.length,
      crowdRegions: job.crowd.length,
      overlapped,
      overlapPairs: pairs,
      hidden: hidden.length,
      occluded: job.occluded,
      classPixels: { background, body, boundary, ignore: ignored },
    },
  };
}

function emptyReport(options: SharedOptions): AnnotateReport {
  return {
    tool: 'photosieve annotate',
    options: {
      boundaryPx: options.boundaryPx ?? DEFAULT_BOUNDARY_PX,
      roi: describeRoi(options.roi ?? { kind: 'none' }),
      strict: options.strict ?? false,
      includeLabels: options.includeLabels ?? null,
      pixelOrigin: options.pixelOrigin ?? 'corner',
    },
    inputs: [],
    images: [],
    issues: [],
    totals: { files: 0, images: 0, particles: 0, errors: 0, repairs: 0, warnings: 0, failedFiles: 0, skippedImages: 0 },
  };
}

async function finishRun(report: AnnotateReport, exported: ExportImage[], out: Collector, options: SharedOptions): Promise<AnnotateReport> {
  report.issues = out.issues;
  await writeCocoIndex(options.out, exported);
  const t = report.totals;
  t.files = report.inputs.length;
  t.images = report.images.length;
  t.particles = report.images.reduce((a, im) => a + im.particles, 0);
  t.errors = out.issues.filter((i) => i.severity === 'error').length;
  t.repairs = out.issues.filter((i) => i.severity === 'repair').length;
  t.warnings = out.issues.filter((i) => i.severity === 'warning').length;
  t.failedFiles = report.inputs.filter((i) => !i.ok).length;
  await writeJsonAtomic(join(options.out, 'annotate-report.json'), report);
  return report;
}

/** Imports label files into DIR (see writeOutputs.ts for the layout) and writes DIR/annotate-report.json. */
export async function runAnnotate(options: AnnotateOptions): Promise<AnnotateReport> {
  const report = emptyReport(options);
  const out = new Collector();
  const budget = memoryBudget({ maxMemory: options.maxMemory });
  for (const [file, target] of options.targets ?? []) {
    if (!isOutputName(target.name)) {
      throw new PhotosieveError('E_PARAM', `output name ${JSON.stringify(target.name)} is not a plain file name.`, { file, fix: 'give each label file a name without /, \\, NUL, and other than . or ..' });
    }
  }
  const jobs: { labels: RawImageLabels; target: AnnotateTarget | undefined }[] = [];
  for (const file of options.labels) {
    try {
      const parsed = await readLabelFile(file, options.format ?? 'auto', { maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS });
      const target = options.targets?.get(file);
      if (target !== undefined && parsed.images.length !== 1) {
        report.inputs.push({ file, format: parsed.format, images: parsed.images.length, ok: false });
        out.fail(file, undefined, 'malformed_file', `holds ${parsed.images.length} images, but one output name (${target.name}) was given for it`, 'file skipped');
        continue;
      }
      out.add(...parsed.issues);
      report.inputs.push({ file, format: parsed.format, images: parsed.images.length, ok: true });
      jobs.push(...parsed.images.map((labels) => ({ labels, target })));
    } catch (err) {
      report.inputs.push({ file, format: null, images: 0, ok: false });
      out.fail(file, undefined, 'malformed_file', errorLine(err).replace(`${file}: `, ''), 'file skipped');
    }
  }
  const exported: ExportImage[] = [];
  const written = new Map<string, string>();
  let done = 0;
  for (const { labels, target } of jobs) {
    const name = target?.name ?? stem(labels.imageRef);
    options.onProgress?.(done, jobs.length, name);
    done += 1;
    const first = written.get(name);
    if (first !== undefined) {
      out.fail(labels.labelFile, labels.imageRef, 'duplicate_image', `image "${name}" was already labelled in ${first}`, 'skipped; keep one label file per image (or rename one image)');
      report.totals.skippedImages += 1;
      continue;
    }
    try {
      const job = await prepareImage(labels, options, budget, out, target);
      const result = job && (await finishImage(job, options, out));
      if (!result) {
        report.totals.skippedImages += 1;
        continue;
      }
      written.set(name, labels.labelFile);
      report.images.push(result.summary);
      exported.push(result.exported);
    } catch (err) {
      if (err instanceof PhotosieveError && err.code === 'E_OUTPUT') throw err;
      report.totals.skippedImages += 1;
      out.fail(labels.labelFile, labels.imageRef, 'malformed_file', errorLine(err), 'image skipped');
    }
  }
  options.onProgress?.(jobs.length, jobs.length, '');
  return finishRun(report, exported, out, options);
}

export interface FromInstancesOptions extends Omit<AnnotateOptions, 'labels' | 'format' | 'includeLabels' | 'pixelOrigin'> {
  /** Folder of 16-bit instance PNGs (0 = background). */
  instances: string;
  /** Label given to every traced particle. @default 'particle' */
  label?: string;
}

/** Traces instance PNGs made elsewhere into polygons and writes the same layout as `runAnnotate`. */
export async function runFromInstances(options: FromInstancesOptions): Promise<AnnotateReport> {
  const report = emptyReport(options);
  const out = new Collector();
  const exported: ExportImage[] = [];
  const budget = memoryBudget({ maxMemory: options.maxMemory });
  let files: string[];
  try {
    files = (await readdir(options.instances)).filter((f) => /\.png$/i.test(f)).sort();
  } catch (cause) {
    throw new PhotosieveError('E_INPUT', 'cannot list the instance folder.', { file: options.instances, fix: 'pass --from-instances DIR with a folder of 16-bit PNGs', cause });
  }
  if (files.length === 0) {
    throw new PhotosieveError('E_INPUT', 'no .png files in the instance folder.', { file: options.instances, fix: 'pass --from-instances DIR with a folder of 16-bit PNGs' });
  }
  let done = 0;
  for (const f of files) {
    const path = join(options.instances, f);
    options.onProgress?.(done, files.length, f);
    done += 1;
    try {
      const map = await readInstancePng(path, { maxPixels: options.maxPixels, budget, maxExpansion: options.maxExpansion });
      const traced = await traceInstances(map);
      const name = stem(f);
      // The names tried are made here from the PNG's own name, so no confinement is needed, only regular files.
      let imagePath: string | null = null;
      for (const ext of ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.JPG', '.PNG']) {
        if (imagePath !== null) break;
        const found = await findImage(`${name}${ext}`, join(options.instances, '..', 'images', f), options.images, true);
        if (found.kind === 'found') imagePath = found.path;
      }
      if (imagePath) {
        const size = await readImageSize(imagePath, { maxPixels: options.maxPixels });
        if (size.width !== map.width || size.height !== map.height) {
          out.fail(path, name, 'size_mismatch', `the instance map is ${map.width}×${map.height}, the image ${imagePath} is ${size.width}×${size.height}`, 'image skipped');
          report.inputs.push({ file: path, format: 'instances', images: 0, ok: false });
          continue;
        }
      }
      const ids = [...traced.keys()];
      const job: ImageJob = {
        name,
        labelFile: path,
        imagePath,
        width: map.width,
        height: map.height,
        instances: ids.map((id) => ({ label: options.label ?? 'particle', geometry: traced.get(id)!, z: 0 })),
        crowd: [],
        occluded: 0,
        disjoint: true,
        ids,
      };
      const result = await finishImage(job, options, out);
      report.inputs.push({ file: path, format: 'instances', images: result ? 1 : 0, ok: result !== null });
      if (result) {
        report.images.push(result.summary);
        exported.push(result.exported);
      }
    } catch (err) {
      if (err instanceof PhotosieveError && err.code === 'E_OUTPUT') throw err;
      report.inputs.push({ file: path, format: 'instances', images: 0, ok: false });
      out.fail(path, undefined, 'malformed_file', errorLine(err).replace(`${path}: `, ''), 'file skipped');
    }
  }
  options.onProgress?.(files.length, files.length, '');
  return finishRun(report, exported, out, options);
}
