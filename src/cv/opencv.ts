// OpenCV.js loading and Mat lifetime. Loaded once per process (or worker); every Mat is created inside
// `withMats` so it is deleted in a `finally`, since the wasm heap never shrinks and a leaked Mat is lost for good.
import { createRequire } from 'node:module';
import { PhotosieveError } from '../core/index.js';

/** The subset of OpenCV.js that photosieve uses (the package's own typings are not shipped in its dist). */
export interface CvMat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
  readonly data32S: Int32Array;
  readonly data32F: Float32Array;
  delete(): void;
  isDeleted(): boolean;
  intPtr(row: number, col: number): Int32Array;
}
export interface CvMatVector {
  size(): number;
  get(index: number): CvMat;
  delete(): void;
}
export interface CvSize {
  width: number;
  height: number;
}
export interface OpenCV {
  Mat: new (...args: unknown[]) => CvMat;
  MatVector: new () => CvMatVector;
  Size: new (width: number, height: number) => CvSize;
  CV_8UC1: number;
  CV_32SC1: number;
  CV_32FC1: number;
  CV_32F: number;
  DIST_L2: number;
  /** Exact Euclidean distances (Felzenszwalb), not the 3×3/5×5 chamfer approximation. */
  DIST_MASK_PRECISE: number;
  MORPH_OPEN: number;
  MORPH_CLOSE: number;
  MORPH_ELLIPSE: number;
  THRESH_BINARY: number;
  THRESH_BINARY_INV: number;
  THRESH_OTSU: number;
  ADAPTIVE_THRESH_MEAN_C: number;
  ADAPTIVE_THRESH_GAUSSIAN_C: number;
  BORDER_DEFAULT: number;
  RETR_CCOMP: number;
  RETR_EXTERNAL: number;
  CHAIN_APPROX_SIMPLE: number;
  CHAIN_APPROX_NONE: number;
  matFromArray(rows: number, cols: number, type: number, array: ArrayLike<number>): CvMat;
  findContours(
    image: CvMat,
    contours: CvMatVector,
    hierarchy: CvMat,
    mode: number,
    method: number,
  ): void;
  exceptionFromPtr(err: number): { msg: string };
  distanceTransform(src: CvMat, dst: CvMat, distanceType: number, maskSize: number): void;
  /** Returns the number of labels including background 0. */
  connectedComponents(image: CvMat, labels: CvMat, connectivity: number, ltype: number): number;
  getStructuringElement(shape: number, size: CvSize): CvMat;
  morphologyEx(src: CvMat, dst: CvMat, op: number, kernel: CvMat): void;
  GaussianBlur(src: CvMat, dst: CvMat, size: CvSize, sigmaX: number, sigmaY: number, borderType: number): void;
  /** Returns the threshold used (Otsu's choice with THRESH_OTSU). */
  threshold(src: CvMat, dst: CvMat, thresh: number, maxval: number, type: number): number;
  adaptiveThreshold(src: CvMat, dst: CvMat, maxValue: number, adaptiveMethod: number, thresholdType: number, blockSize: number, c: number): void;
  Sobel(src: CvMat, dst: CvMat, ddepth: number, dx: number, dy: number, ksize: number): void;
}

let loading: Promise<{ cv: OpenCV }> | undefined;

/**
 * Loads OpenCV.js once. The 4.12 build exports an Emscripten module with a `then` method: resolving or awaiting
 * it directly hangs at 100 % CPU, so we wait for `onRuntimeInitialized`, drop `then`, and only ever hand the
 * module out wrapped in a plain object.
 */
export function loadOpenCV(): Promise<{ cv: OpenCV }> {
  loading ??= new Promise<{ cv: OpenCV }>((resolve, reject) => {
    try {
      const require = createRequire(import.meta.url);
      const mod = require('@techstark/opencv-js') as OpenCV & { onRuntimeInitialized?: () => void; then?: unknown };
      const ready = (): void => {
        delete mod.then;
        resolve({ cv: mod });
      };
      if (typeof (mod as Partial<OpenCV>).findContours === 'function') ready();
      else mod.onRuntimeInitialized = ready;
    } catch (cause) {
      reject(
        new PhotosieveError('E_INPUT', 'OpenCV.js could not be loaded.', {
          fix: 'reinstall dependencies with `npm ci`',
          cause,
        }),
      );
    }
  });
  return loading;
}

/** Turns OpenCV's numeric exception pointers into readable errors. */
export function cvError(cv: OpenCV, err: unknown): Error {
  if (typeof err === 'number') return new Error(`OpenCV: ${cv.exceptionFromPtr(err).msg}`);
  return err instanceof Error ? err : new Error(String(err));
}

/** Live Mat count, for leak tests: incremented by `track`, decremented when the scope deletes. */
let liveMats = 0;
export function liveMatCount(): number {
  return liveMats;
}

export interface MatScope {
  /** Registers a Mat or MatVector to be deleted when the scope ends; returns it. */
  track<T extends { delete(): void }>(mat: T): T;
}

/** Runs `fn` with a scope whose tracked Mats are all deleted afterwards, whatever happens. */
export function withMats<T>(cv: OpenCV, fn: (scope: MatScope) => T): T {
  const owned: { delete(): void }[] = [];
  const scope: MatScope = {
    track(mat) {
      owned.push(mat);
      liveMats += 1;
      return mat;
    },
  };
  try {
    return fn(scope);
  } catch (err) {
    throw cvError(cv, err);
  } finally {
    for (const mat of owned) {
      mat.delete();
      liveMats -= 1;
    }
  }
}
