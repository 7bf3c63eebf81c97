// Model-free segmentation, the lab's old baseline: grey → blur → threshold → distance-transform watershed.
// Kept as the number every model must beat, and as the fallback when no model is available.
import type { InstanceMap, Raster } from '../core/index.js';
import { invalidParameter } from '../core/index.js';
import { loadOpenCV, withMats } from '../cv/index.js';
import { instancesFromMasks } from './instances.js';

export const CLASSICAL_THRESHOLDS = ['adaptive', 'otsu'] as const;
export type ClassicalThreshold = (typeof CLASSICAL_THRESHOLDS)[number];
export const POLARITIES = ['bright', 'dark'] as const;
export type Polarity = (typeof POLARITIES)[number];

export interface ClassicalOptions {
  /** Gaussian blur before thresholding, px (sigma); smooths texture inside stones. @default 2 */
  blurSigma: number;
  /** 'adaptive' (local mean, tolerates uneven light) or 'otsu' (one global threshold). @default 'adaptive' */
  threshold: ClassicalThreshold;
  /** Side of the adaptive window as a fraction of the shorter image side. @default 0.08 */
  adaptiveWindow: number;
  /** Offset for the adaptive threshold in grey levels (0..255); positive keeps fewer, brighter pixels. @default 0 */
  adaptiveOffset: number;
  /** Stones are brighter than the gaps between them ('bright') or darker ('dark'). @default 'bright' */
  polarity: Polarity;
  /** Opening radius on the thresholded mask before the distance transform, px. @default 2 */
  opening: number;
  /** h-maxima height on the distance transform, px; larger merges more. @default 6 */
  peakHeight: number;
  /** Particles smaller than this many pixels are dropped. @default 30 */
  minArea: number;
  /** Fill holes enclosed by a single particle. @default true */
  fillHoles: boolean;
}

// Chosen by a coarse search (about a dozen settings) on the 13 real photos, so the real-photo score is slightly
// optimistic; see docs/segment.md.
export const DEFAULT_CLASSICAL_OPTIONS: Readonly<ClassicalOptions> = Object.freeze({
  blurSigma: 2,
  threshold: 'adaptive',
  adaptiveWindow: 0.08,
  adaptiveOffset: 0,
  polarity: 'bright',
  opening: 2,
  peakHeight: 6,
  minArea: 30,
  fillHoles: true,
});

export function resolveClassicalOptions(options: Partial<ClassicalOptions> = {}): ClassicalOptions {
  const o = { ...DEFAULT_CLASSICAL_OPTIONS, ...options };
  const num = (name: string, v: number, min: number, max: number, integer = false): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      throw invalidParameter(`classical option ${name}`, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, v);
    }
  };
  num('blurSigma', o.blurSigma, 0, 50);
  num('adaptiveWindow', o.adaptiveWindow, 0.001, 1);
  num('adaptiveOffset', o.adaptiveOffset, -255, 255);
  num('opening', o.opening, 0, 50, true);
  num('peakHeight', o.peakHeight, 0, 1000);
  num('minArea', o.minArea, 0, 1e9, true);
  if (!CLASSICAL_THRESHOLDS.includes(o.threshold)) throw invalidParameter('classical option threshold', CLASSICAL_THRESHOLDS.join(' or '), o.threshold);
  if (!POLARITIES.includes(o.polarity)) throw invalidParameter('classical option polarity', POLARITIES.join(' or '), o.polarity);
  return o;
}

/** 8-bit luma of any raster (16-bit scaled down, alpha ignored). */
export function greyOf(raster: Raster): Uint8Array {
  const n = raster.width * raster.height;
  const out = new Uint8Array(n);
  const d = raster.data;
  const rc = raster.channels;
  const k = raster.depth === 16 ? 1 / 257 : 1;
  for (let p = 0; p < n; p++) {
    const q = p * rc;
    const v = rc >= 3 ? 0.299 * d[q]! + 0.587 * d[q + 1]! + 0.114 * d[q + 2]! : d[q]!;
    out[p] = Math.min(255, Math.round(v * k));
  }
  return out;
}

/** Photo → instance map with no model. */
export async function classicalInstances(raster: Raster, options: Partial<ClassicalOptions> = {}, roi?: Uint8Array): Promise<InstanceMap> {
  const o = resolveClassicalOptions(options);
  const { cv } = await loadOpenCV();
  const { width: w, height: h } = raster;
  const grey = greyOf(raster);
  const foreground = withMats(cv, (s) => {
    const src = s.track(cv.matFromArray(h, w, cv.CV_8UC1, grey));
    let smooth = src;
    if (o.blurSigma > 0) {
      smooth = s.track(new cv.Mat());
      const k = 2 * Math.ceil(3 * o.blurSigma) + 1;
      cv.GaussianBlur(src, smooth, new cv.Size(k, k), o.blurSigma, o.blurSigma, cv.BORDER_DEFAULT);
    }
    const bin = s.track(new cv.Mat());
    const type = o.polarity === 'bright' ? cv.THRESH_BINARY : cv.THRESH_BINARY_INV;
    if (o.threshold === 'otsu') cv.threshold(smooth, bin, 0, 1, type | cv.THRESH_OTSU);
    else {
      const side = Math.max(3, Math.round(Math.min(w, h) * o.adaptiveWindow));
      const block = side % 2 === 1 ? side : side + 1;
      // OpenCV keeps pixels above (local mean − C); a positive offset should keep fewer, so C = −offset for bright.
      const c = o.polarity === 'bright' ? -o.adaptiveOffset : o.adaptiveOffset;
      cv.adaptiveThreshold(smooth, bin, 1, cv.ADAPTIVE_THRESH_MEAN_C, type, block, c);
    }
    return bin.data.slice();
  });
  if (roi !== undefined) for (let p = 0; p < foreground.length; p++) if (!roi[p]) foreground[p] = 0;
  return instancesFromMasks(cv, { width: w, height: h, foreground, core: foreground, roi }, {
    coreOpening: o.opening,
    peakHeight: o.peakHeight,
    minArea: o.minArea,
    fillHoles: o.fillHoles,
  });
}
