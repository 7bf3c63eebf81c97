// Options of the synthetic gravel generator: defaults, limits and the one function that checks them all, so the
// library and the CLI reject the same inputs with the same messages.
import type { ImageFormat } from '../io/index.js';
import { DEFAULT_BIN_EDGES_MM, PhotosieveError, invalidParameter, validateBinEdges } from '../core/index.js';
import type { LookName, LookStyle } from './looks.js';
import { resolveLooks } from './looks.js';

export type DropOrder = 'large-first' | 'random';

export interface SynthOptions {
  /** Output folder (created if needed). */
  outDir: string;
  /** Prescribed mass fractions, one per bin (normalized if they sum to 1 ± 0.001). Excludes `groups`. */
  vector?: readonly number[] | undefined;
  /** Number of random training groups (Dirichlet vectors). Excludes `vector`. @default 1 when no vector */
  groups?: number | undefined;
  /** Images per group (training and held-out). @default 1 */
  perGroup?: number | undefined;
  /** Further groups whose vectors lie at least `holdoutDistance` from every training vector. @default 0 */
  holdout?: number | undefined;
  /** Smallest Euclidean distance between a held-out vector and any training vector. @default 0.15 */
  holdoutDistance?: number | undefined;
  /** Concentration of the symmetric Dirichlet the group vectors are drawn from (1 = uniform on the simplex). @default 2 */
  dirichletAlpha?: number | undefined;
  /** Interior bin edges in mm, ascending. @default [4, 5.6, 8, 11.2] (5 bins, ISO 565 sieves; stones 2.8–16 mm) */
  binEdgesMm?: readonly number[] | undefined;
  /** Image scale in mm per pixel. @default 0.1 */
  scaleMmPerPx?: number | undefined;
  /** Smallest b-axis generated, mm. @default edges[0]² / edges[1], raised to minParticlePx × scale */
  minSizeMm?: number | undefined;
  /** Largest b-axis generated, mm. @default edges[n-1]² / edges[n-2] */
  maxSizeMm?: number | undefined;
  /** No particle is smaller than this many pixels (b-axis): smaller ones would be texture, not stones. @default 6 */
  minParticlePx?: number | undefined;
  /** @default 1500 */
  width?: number | undefined;
  /** @default 1500 */
  height?: number | undefined;
  /** Integer 0 … 2^32 − 1. @default 1 */
  seed?: number | undefined;
  /** Crop to the largest centred circle, as the lab's photos are. @default false */
  circle?: boolean | undefined;
  /** Write single-channel grey images. @default false */
  gray?: boolean | undefined;
  /** @default 'png' */
  format?: ImageFormat | undefined;
  /** @default 90 */
  jpegQuality?: number | undefined;
  /** Boundary band width of masks/NAME.png. @default 2 */
  boundaryPx?: number | undefined;
  /** Summed particle footprint over frame area: how deep the layer is. @default 1.3 */
  coverage?: number | undefined;
  /** Drop order: large stones first (small ones then seek the gaps) or sizes in random order. @default 'large-first' */
  order?: DropOrder | undefined;
  /** 0 = angular (sharp corners) … 1 = well rounded. @default 0.5 */
  roundness?: number | undefined;
  /** Mean a/b axis ratio (≥ 1); per particle uniform in [1, 2·elongation − 1]. @default 1.4 */
  elongation?: number | undefined;
  /** Mean c/b axis ratio (0.2 … 1); per particle uniform within ±0.15, clamped to [0.15, 1]. @default 0.6 */
  flatness?: number | undefined;
  /** 0 = smooth outline … 1 = rough. @default 0.3 */
  roughness?: number | undefined;
  /** Camera blur, Gaussian sigma in px. @default 0.7 */
  blurPx?: number | undefined;
  /** Sensor noise, standard deviation as a fraction of full scale. @default 0.02 */
  noise?: number | undefined;
  /** Corner darkening, 0 … 1. @default 0.25 */
  vignette?: number | undefined;
  /** Where the light comes from, degrees clockwise from the top of the image. @default 315 (top left) */
  lightAzimuthDeg?: number | undefined;
  /** Light elevation above the tray, degrees. @default 45 */
  lightElevationDeg?: number | undefined;
  /**
   * Named looks, combinable where it makes sense (`['matrix', 'wet']`); see LOOKS. A look changes the defaults of
   * coverage, roundness, elongation, roughness, the light and (wide) the size range: options given explicitly win.
   * `heldout` is for benchmarks only, never for training. @default ['dry']
   */
  look?: LookName | readonly LookName[] | undefined;
  /** Called after each image. */
  onProgress?: ((done: number, total: number, name: string) => void) | undefined;
}

export const DEFAULT_SCALE_MM_PER_PX = 0.1;
export const DEFAULT_SIZE_PX = 1500;
export const DEFAULT_SEED = 1;
export const DEFAULT_PER_GROUP = 1;
export const DEFAULT_HOLDOUT_DISTANCE = 0.15;
export const DEFAULT_DIRICHLET_ALPHA = 2;
export const DEFAULT_MIN_PARTICLE_PX = 6;
export const DEFAULT_COVERAGE = 1.3;
export const DEFAULT_ORDER: DropOrder = 'large-first';
export const DEFAULT_ROUNDNESS = 0.5;
export const DEFAULT_ELONGATION = 1.4;
export const DEFAULT_FLATNESS = 0.6;
export const DEFAULT_ROUGHNESS = 0.3;
export const DEFAULT_BLUR_PX = 0.7;
export const DEFAULT_NOISE = 0.02;
export const DEFAULT_VIGNETTE = 0.25;
export const DEFAULT_LIGHT_AZIMUTH_DEG = 315;
export const DEFAULT_LIGHT_ELEVATION_DEG = 45;
export const DEFAULT_SYNTH_JPEG_QUALITY = 90;
export const DEFAULT_SYNTH_BOUNDARY_PX = 2;
/** Flatness c/b of a single particle stays within this range. */
export const FLATNESS_RANGE: readonly [number, number] = [0.15, 1];
/** Half-width of the per-particle flatness spread around the mean. */
export const FLATNESS_SPREAD = 0.15;
const MAX_GROUPS = 10_000;
const MAX_IMAGES = 100_000;
const MAX_SIDE_PX = 20_000;

export type ResolvedSynthOptions = Required<Omit<SynthOptions, 'vector' | 'groups' | 'onProgress' | 'look'>> & {
  /** The looks, in canonical order. */
  look: LookName[];
  /** Render parameters the looks add up to. */
  style: LookStyle;
  /** Training vectors given by the user (one), or undefined when they are drawn. */
  vector: number[] | undefined;
  /** Number of training groups. */
  groups: number;
  onProgress: SynthOptions['onProgress'];
  binEdgesMm: number[];
  /** Bin edges in px including the outer bounds: [min, e1, …, en, max]. */
  boundsPx: number[];
};

/** `flag` without dashes: messages name the CLI flag, which is also how the option reads in docs. */
function check(ok: boolean, flag: string, expected: string, received: unknown, fix: string): void {
  if (!ok) throw invalidParameter(`--${flag}`, expected, received, fix);
}

function inRange(v: number, lo: number, hi: number): boolean {
  return Number.isFinite(v) && v >= lo && v <= hi;
}

function isIntIn(v: number, lo: number, hi: number): boolean {
  return Number.isInteger(v) && v >= lo && v <= hi;
}

/** Fills defaults and checks every option; throws a PhotosieveError naming the option and the fix. */
export function validateSynthOptions(options: SynthOptions): ResolvedSynthOptions {
  check(typeof options.outDir === 'string' && options.outDir.length > 0, 'out', 'a folder path', options.outDir, 'pass --out DIR');
  const binEdgesMm = [...(options.binEdgesMm ?? DEFAULT_BIN_EDGES_MM)];
  validateBinEdges(binEdgesMm, '--bins');
  const nBins = binEdgesMm.length + 1;

  if (options.vector !== undefined && options.groups !== undefined) {
    throw new PhotosieveError('E_PARAM', '--vector and --groups cannot be used together.', {
      fix: 'pass either --vector f1,f2,… (one prescribed distribution) or --groups G (random distributions)',
    });
  }
  let vector: number[] | undefined;
  if (options.vector !== undefined) {
    const v = [...options.vector];
    const text = v.join(',');
    check(v.length === nBins, 'vector', `${nBins} fractions (one per bin of --bins)`, text, `pass ${nBins} comma-separated fractions`);
    check(v.every((x) => Number.isFinite(x) && x >= 0), 'vector', 'non-negative numbers', text, 'use fractions ≥ 0');
    const sum = v.reduce((s, x) => s + x, 0);
    check(Math.abs(sum - 1) <= 1e-3, 'vector', 'fractions summing to 1', `${text} (sum ${sum})`, 'divide each fraction by their sum');
    vector = v.map((x) => x / sum);
  }
  // With --vector there is one training group: the prescribed vector.
  const groups = options.groups ?? 1;
  check(isIntIn(groups, 1, MAX_GROUPS), 'groups', `an integer from 1 to ${MAX_GROUPS}`, groups, 'pass --groups 3');
  const perGroup = options.perGroup ?? DEFAULT_PER_GROUP;
  check(isIntIn(perGroup, 1, MAX_IMAGES), 'per-group', `an integer from 1 to ${MAX_IMAGES}`, perGroup, 'pass --per-group 2');
  const holdout = options.holdout ?? 0;
  check(isIntIn(holdout, 0, MAX_GROUPS), 'holdout', `an integer from 0 to ${MAX_GROUPS}`, holdout, 'pass --holdout 2');
  check((groups + holdout) * perGroup <= MAX_IMAGES, 'groups', `(groups + holdout) × per-group ≤ ${MAX_IMAGES}`, (groups + holdout) * perGroup, 'split the run into several output folders');
  const holdoutDistance = options.holdoutDistance ?? DEFAULT_HOLDOUT_DISTANCE;
  check(inRange(holdoutDistance, 0, Math.SQRT2), 'holdout-distance', 'a number from 0 to √2 (the largest distance on the simplex)', holdoutDistance, 'pass --holdout-distance 0.15');
  const dirichletAlpha = options.dirichletAlpha ?? DEFAULT_DIRICHLET_ALPHA;
  check(inRange(dirichletAlpha, 0.05, 1000), 'alpha', 'a number from 0.05 to 1000', dirichletAlpha, 'pass --alpha 2');

  const look = resolveLooks(options.look);
  const lookDefaults = look.options;

  const scaleMmPerPx = options.scaleMmPerPx ?? DEFAULT_SCALE_MM_PER_PX;
  check(inRange(scaleMmPerPx, 1e-6, 1e6), 'scale', 'a positive number of mm per pixel', scaleMmPerPx, 'pass --scale 0.1');
  const minParticlePx = options.minParticlePx ?? DEFAULT_MIN_PARTICLE_PX;
  check(inRange(minParticlePx, 2, 1000), 'min-particle-px', 'a number from 2 to 1000', minParticlePx, 'pass --min-particle-px 6');
  const first = binEdgesMm[0]!;
  const last = binEdgesMm[binEdgesMm.length - 1]!;
  const geometricMin = binEdgesMm.length > 1 ? (first * first) / binEdgesMm[1]! : first / 2;
  const geometricMax = binEdgesMm.length > 1 ? (last * last) / binEdgesMm[binEdgesMm.length - 2]! : last * 2;
  const wide = lookDefaults.sizeRangePx;
  // wide: the range reaches past the bins at both ends (never narrower than the bins' own outer bounds).
  const minSizeMm = options.minSizeMm ?? (wide ? Math.max(wide[0], minParticlePx) * scaleMmPerPx : Math.max(geometricMin, minParticlePx * scaleMmPerPx));
  const maxSizeMm = options.maxSizeMm ?? (wide ? Math.max(wide[1] * scaleMmPerPx, geometricMax) : geometricMax);
  if (wide && options.minSizeMm === undefined) {
    check(minSizeMm < first, 'look', `a scale where the first bin edge (${first} mm) lies above ${Math.max(wide[0], minParticlePx)} px for wide`, `wide at --scale ${scaleMmPerPx}`,
      `use a finer --scale (below ${first / Math.max(wide[0], minParticlePx)}) or larger --bins`);
  }
  check(Number.isFinite(minSizeMm) && minSizeMm > 0 && minSizeMm < first, 'min-size', `a size in mm below the first bin edge ${first} mm`, minSizeMm,
    `at --scale ${scaleMmPerPx} the smallest stone (--min-particle-px ${minParticlePx}) is ${minParticlePx * scaleMmPerPx} mm: use a finer --scale or larger --bins`);
  check(minSizeMm / scaleMmPerPx >= minParticlePx - 1e-9, 'min-size', `at least --min-particle-px × --scale = ${minParticlePx * scaleMmPerPx} mm`, minSizeMm, 'raise --min-size or use a finer --scale');
  check(Number.isFinite(maxSizeMm) && maxSizeMm > last, 'max-size', `a size in mm above the last bin edge ${last} mm`, maxSizeMm, `pass --max-size ${geometricMax}`);

  const width = options.width ?? DEFAULT_SIZE_PX;
  const height = options.height ?? DEFAULT_SIZE_PX;
  check(isIntIn(width, 16, MAX_SIDE_PX), 'width', `an integer from 16 to ${MAX_SIDE_PX}`, width, 'pass --size 1500 or --width W --height H');
  check(isIntIn(height, 16, MAX_SIDE_PX), 'height', `an integer from 16 to ${MAX_SIDE_PX}`, height, 'pass --size 1500 or --width W --height H');
  const maxSizePx = maxSizeMm / scaleMmPerPx;
  check(maxSizePx <= 4 * Math.max(width, height), 'max-size', `at most 4 image sides (${4 * Math.max(width, height) * scaleMmPerPx} mm) at this scale`, maxSizeMm,
    'use a coarser --scale, a larger --size or smaller --bins');
  const seed = options.seed ?? DEFAULT_SEED;
  check(isIntIn(seed, 0, 0xffffffff), 'seed', 'an integer from 0 to 4294967295', seed, 'pass --seed 7');
  const format = options.format ?? 'png';
  check(format === 'png' || format === 'jpg', 'format', '"png" or "jpg"', format, 'pass --format png or --format jpg');
  const jpegQuality = options.jpegQuality ?? DEFAULT_SYNTH_JPEG_QUALITY;
  check(isIntIn(jpegQuality, 1, 100), 'jpeg-quality', 'an integer from 1 to 100', jpegQuality, 'pass --jpeg-quality 90');
  const boundaryPx = options.boundaryPx ?? DEFAULT_SYNTH_BOUNDARY_PX;
  check(inRange(boundaryPx, 0, 64), 'boundary-px', 'a number from 0 to 64', boundaryPx, 'pass --boundary-px 2');
  const coverage = options.coverage ?? lookDefaults.coverage ?? DEFAULT_COVERAGE;
  check(inRange(coverage, 0.05, 5), 'coverage', 'a number from 0.05 to 5', coverage, 'pass --coverage 1.3');
  const order = options.order ?? DEFAULT_ORDER;
  check(order === 'large-first' || order === 'random', 'order', '"large-first" or "random"', order, 'pass --order large-first');
  const roundness = options.roundness ?? lookDefaults.roundness ?? DEFAULT_ROUNDNESS;
  check(inRange(roundness, 0, 1), 'roundness', 'a number from 0 to 1', roundness, 'pass --roundness 0.5');
  const elongation = options.elongation ?? lookDefaults.elongation ?? DEFAULT_ELONGATION;
  check(inRange(elongation, 1, 4), 'elongation', 'a number from 1 to 4 (mean a/b)', elongation, 'pass --elongation 1.4');
  const flatness = options.flatness ?? DEFAULT_FLATNESS;
  check(inRange(flatness, 0.2, 1), 'flatness', 'a number from 0.2 to 1 (mean c/b)', flatness, 'pass --flatness 0.6');
  const roughness = options.roughness ?? lookDefaults.roughness ?? DEFAULT_ROUGHNESS;
  check(inRange(roughness, 0, 1), 'roughness', 'a number from 0 to 1', roughness, 'pass --roughness 0.3');
  const blurPx = options.blurPx ?? DEFAULT_BLUR_PX;
  check(inRange(blurPx, 0, 20), 'blur', 'a number of px from 0 to 20', blurPx, 'pass --blur 0.7');
  const noise = options.noise ?? DEFAULT_NOISE;
  check(inRange(noise, 0, 0.5), 'noise', 'a number from 0 to 0.5', noise, 'pass --noise 0.02');
  const vignette = options.vignette ?? DEFAULT_VIGNETTE;
  check(inRange(vignette, 0, 1), 'vignette', 'a number from 0 to 1', vignette, 'pass --vignette 0.25');
  const lightAzimuthDeg = options.lightAzimuthDeg ?? lookDefaults.lightAzimuthDeg ?? DEFAULT_LIGHT_AZIMUTH_DEG;
  check(inRange(lightAzimuthDeg, -360, 360), 'light-azimuth', 'degrees from -360 to 360', lightAzimuthDeg, 'pass --light-azimuth 315');
  const lightElevationDeg = options.lightElevationDeg ?? lookDefaults.lightElevationDeg ?? DEFAULT_LIGHT_ELEVATION_DEG;
  check(inRange(lightElevationDeg, 5, 90), 'light-elevation', 'degrees from 5 to 90', lightElevationDeg, 'pass --light-elevation 45');

  const boundsPx = [minSizeMm, ...binEdgesMm, maxSizeMm].map((mm) => mm / scaleMmPerPx);
  return {
    outDir: options.outDir,
    vector,
    groups,
    perGroup,
    holdout,
    holdoutDistance,
    dirichletAlpha,
    binEdgesMm,
    scaleMmPerPx,
    minSizeMm,
    maxSizeMm,
    minParticlePx,
    width,
    height,
    seed,
    circle: options.circle ?? false,
    gray: options.gray ?? false,
    format,
    jpegQuality,
    boundaryPx,
    coverage,
    order,
    roundness,
    elongation,
    flatness,
    roughness,
    blurPx,
    noise,
    vignette,
    lightAzimuthDeg,
    lightElevationDeg,
    onProgress: options.onProgress,
    look: look.names,
    style: look.style,
    boundsPx,
  };
}
