// The annotate job: label files (or instance PNGs) → validated, z-ordered particles → the shared output layout
// plus annotate-report.json. One bad file or image is reported and skipped; the others go on.
import { access, copyFile, readdir } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { MultiPolygon } from '../core/index.js';
import { MAX_INSTANCE_ID, PhotosieveError, errorLine } from '../core/index.js';
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
  maxPixels?: number | undefined;
  onProgress?: ((done: number, total: number, name: string) => void) | undefined;
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

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Where the image a label file names might be: --images first, then beside the label file. */
export async function findImage(ref: string, labelFile: string, imagesDir: string | undefined): Promise<string | null> {
  const norm = ref.replace(/\\/g, '/');
  const base = basename(norm);
  const here = dirname(labelFile);
  const candidates = imagesDir
    ? [join(imagesDir, norm), join(imagesDir, base)]
    : [resolve(here, norm), join(here, base), join(here, 'images', base), join(here, '..', 'images', base)];
  for (const c of candidates) if (await exists(c)) return c;
  return null;
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
async function prepareImage(
  labels: RawImageLabels,
  options: AnnotateOptions,
  out: Collector,
): Promise<ImageJob | null> {
  const file = labels.labelFile;
  const strict = options.strict ?? false;
  const imagePath = await findImage(labels.imageRef, file, options.images);
  let width = labels.width;
  let height = labels.height;
  let scaleX = 1;
  let scaleY = 1;
  if (imagePath) {
    const real = await readImageSize(imagePath, { maxPixels: options.maxPixels });
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
    out.add({
      severity: strict ? 'error' : 'warning',
      code: 'image_not_found',
      file,
      image: labels.imageRef,
      message: `image "${labels.imageRef}" not found${options.images ? ` in ${options.images}` : ' beside the label file'}`,
      action: strict ? 'image skipped (--strict); pass --images DIR' : `used the size in the label file (${width}×${height}); no image copied`,
    });
    if (strict) return null;
  } else {
    out.fail(file, labels.imageRef, 'image_not_found', `image "${labels.imageRef}" not found and the label file gives no size`, 'image skipped; pass --images DIR');
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
  return { name: stem(labels.imageRef), labelFile: file, imagePath, width, height, instances, crowd, occluded, disjoint: false };
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
  const roi = roiMask(options.roi ?? { kind: 'none' }, job.width, job.height);
  let ignore: Uint8Array | undefined;
  if (job.crowd.length > 0) {
    ignore = new Uint8Array(job.width * job.height);
    for (const c of job.crowd) fillMultiPolygon(c, job.width, job.height, ignore, 1);
  }
  const written = await writeAnnotatedImage(options.out, exported, { boundaryPx: options.boundaryPx, roi, ignore });
  if (job.imagePath && (options.copyImages ?? true)) {
    const src = job.imagePath;
    const dest = join(options.out, exported.fileName);
    if (resolve(src) !== resolve(dest)) await writeViaTemp(dest, (tmp) => copyFile(src, tmp));
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
  const jobs: RawImageLabels[] = [];
  for (const file of options.labels) {
    try {
      const parsed = await readLabelFile(file, options.format ?? 'auto');
      out.add(...parsed.issues);
      report.inputs.push({ file, format: parsed.format, images: parsed.images.length, ok: true });
      jobs.push(...parsed.images);
    } catch (err) {
      report.inputs.push({ file, format: null, images: 0, ok: false });
      out.fail(file, undefined, 'malformed_file', errorLine(err).replace(`${file}: `, ''), 'file skipped');
    }
  }
  const exported: ExportImage[] = [];
  const written = new Map<string, string>();
  let done = 0;
  for (const labels of jobs) {
    const name = stem(labels.imageRef);
    options.onProgress?.(done, jobs.length, name);
    done += 1;
    const first = written.get(name);
    if (first !== undefined) {
      out.fail(labels.labelFile, labels.imageRef, 'duplicate_image', `image "${name}" was already labelled in ${first}`, 'skipped; keep one label file per image (or rename one image)');
      report.totals.skippedImages += 1;
      continue;
    }
    try {
      const job = await prepareImage(labels, options, out);
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
      const map = await readInstancePng(path, { maxPixels: options.maxPixels });
      const traced = await traceInstances(map);
      const name = stem(f);
      let imagePath: string | null = null;
      for (const ext of ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.JPG', '.PNG']) {
        imagePath ??= await findImage(`${name}${ext}`, join(options.instances, '..', 'images', f), options.images);
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
