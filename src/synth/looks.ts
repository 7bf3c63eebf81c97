// Named looks of `photosieve synth`: presets that change how the tray is built and painted (burial in a matrix,
// wetness, fracture, internal texture, low light, backgrounds, size range) so a model can train on the photos it
// fails on and be tested on one look it never trained on (`heldout`). A look brings option defaults (explicit
// options still win) and render parameters that no flag reaches; `dry` is the neutral style, today's rendering.
import { PhotosieveError } from '../core/index.js';

export const LOOK_NAMES = [
  'dry',
  'matrix',
  'wet',
  'angular',
  'textured',
  'shadowed',
  'dark-matrix',
  'pale-matrix',
  'paper',
  'wide',
  'varied-matrix',
  'heldout',
] as const;
export type LookName = (typeof LOOK_NAMES)[number];

export type Rgb = readonly [number, number, number];

/** Render parameters of a look. The neutral values (DRY_STYLE) reproduce the generator's original pixels. */
export interface LookStyle {
  /** Colour of the matrix (the sediment between stones), sRGB 0–1. */
  matrixColour: Rgb;
  /** Per-pixel speckle of the matrix (fraction of its brightness). */
  matrixSpeckle: number;
  /** Relief of resolved sand grains in the matrix, 0 = none. Grains stay below half of --min-particle-px. */
  grains: number;
  /** 0 = dry … 1 = wet: darker, more saturated surfaces, sharp specular highlights, damp contacts. */
  wetness: number;
  /** Largest fraction of a stone's radius hidden under the matrix, 0 = every stone lies on top. */
  burial: number;
  /** Flat fracture faces cut into each outline, at most this many. */
  fractures: number;
  /** Planar facets with ridges instead of a smooth dome (broken stones). */
  facets: boolean;
  /** Strength of internal texture (veins, speckle, bands, clasts), 0 = today's mottling only. */
  texture: number;
  /** Contact darkening where a surface lies below its surroundings (ambient occlusion), 0 = none. */
  contact: number;
  /** Shadow rays long enough for the tallest stone at the light's elevation (low light needs them). */
  longShadows: boolean;
  /** The matrix is a flat sheet (paper, tray): no sediment texture, only a faint fibre noise. */
  flatBackground: boolean;
  /**
   * Each photo draws its own sediment colour (NATURAL_SEDIMENT: the reds, ochres, yellows, browns and greys of
   * soils and sands, dark to light) instead of matrixColour: a site's colour must not tell stone from matrix.
   */
  variedMatrix: boolean;
}

/**
 * Where a varied-matrix photo draws its sediment colour: HSV hue 0–60° (red through yellow, the Munsell soil hues
 * 10R–5Y), saturation and value in these ranges; a share of photos is near-neutral grey at any hue.
 */
export const NATURAL_SEDIMENT = { hueDeg: [0, 60], saturation: [0.12, 0.6], value: [0.18, 0.82], greyShare: 0.25, greySaturation: 0.06 } as const;

export const DRY_STYLE: LookStyle = {
  matrixColour: [0.47, 0.41, 0.33],
  matrixSpeckle: 0.35,
  grains: 0,
  wetness: 0,
  burial: 0,
  fractures: 0,
  facets: false,
  texture: 0,
  contact: 0,
  longShadows: false,
  flatBackground: false,
  variedMatrix: false,
};

/** Options a look may default. Explicit values of these options override the look's. */
export interface LookOptionDefaults {
  coverage?: number;
  roundness?: number;
  elongation?: number;
  roughness?: number;
  lightAzimuthDeg?: number;
  lightElevationDeg?: number;
  /** Size range in px around the bins (wide): the smallest and largest b-axis. */
  sizeRangePx?: readonly [number, number];
}

export interface LookPreset {
  /** One line for --help and the docs. */
  summary: string;
  /** False only for `heldout`: the benchmark look no training set may contain. */
  forTraining: boolean;
  options: LookOptionDefaults;
  style: Partial<LookStyle>;
}

/** b-axis range of `wide` in px: 31× in one photo, from fines a model can barely resolve to boulders. */
export const WIDE_RANGE_PX: readonly [number, number] = [8, 250];

export const LOOKS: Record<LookName, LookPreset> = {
  dry: { summary: 'dry stones on a brown sandy matrix, light 45° from the top left (the default)', forTraining: true, options: {}, style: {} },
  matrix: {
    summary: 'matrix-supported: few stones partly buried in fine sand whose grains are texture, not particles',
    forTraining: true,
    options: { coverage: 0.45 },
    style: { grains: 0.55, burial: 0.5, matrixSpeckle: 0.2, contact: 0.35 },
  },
  wet: {
    summary: 'wet: darker, more saturated stones and matrix, sharp highlights, damp contact darkening',
    forTraining: true,
    options: {},
    style: { wetness: 1, contact: 0.6 },
  },
  angular: {
    summary: 'angular and broken: sharp corners, flat fracture faces with ridges, elongated shards',
    forTraining: true,
    options: { roundness: 0.05, roughness: 0.12, elongation: 1.8 },
    style: { fractures: 3, facets: true },
  },
  textured: {
    summary: 'strong internal texture (veins, crystals, bands, multi-coloured clasts) that is not a boundary',
    forTraining: true,
    options: {},
    style: { texture: 1 },
  },
  shadowed: {
    summary: 'low light (16°) with long cast shadows and strong contact darkening',
    forTraining: true,
    options: { lightElevationDeg: 16 },
    style: { longShadows: true, contact: 0.9 },
  },
  'dark-matrix': {
    summary: 'dark basalt sand between the stones',
    forTraining: true,
    options: {},
    style: { matrixColour: [0.19, 0.19, 0.2] },
  },
  'pale-matrix': {
    summary: 'pale limestone sand between the stones',
    forTraining: true,
    options: {},
    style: { matrixColour: [0.76, 0.72, 0.64], matrixSpeckle: 0.25 },
  },
  paper: {
    summary: 'stones spread on a white sheet (no sediment): soft shadows on a flat background',
    forTraining: true,
    options: { coverage: 0.7 },
    style: { matrixColour: [0.86, 0.86, 0.84], matrixSpeckle: 0.03, flatBackground: true, contact: 0.5 },
  },
  wide: {
    summary: `b-axes from ${WIDE_RANGE_PX[0]} to ${WIDE_RANGE_PX[1]} px in one photo (a ${Math.round(WIDE_RANGE_PX[1] / WIDE_RANGE_PX[0])}× size range)`,
    forTraining: true,
    options: { sizeRangePx: WIDE_RANGE_PX },
    style: {},
  },
  'varied-matrix': {
    summary: 'sediment of another natural colour in every photo (reds, ochres, yellows, browns, greys; dark to light)',
    forTraining: true,
    options: {},
    style: { variedMatrix: true },
  },
  heldout: {
    summary: 'BENCHMARK ONLY, never train on it: wet textured stones buried in red-ochre silt, lit from the bottom right',
    forTraining: false,
    options: { coverage: 0.6, roundness: 0.35, lightAzimuthDeg: 135, lightElevationDeg: 32 },
    style: {
      matrixColour: [0.5, 0.37, 0.28],
      grains: 0.45,
      burial: 0.45,
      matrixSpeckle: 0.2,
      wetness: 0.8,
      texture: 0.8,
      contact: 0.6,
    },
  },
};

/** Looks that cannot be combined: within a group, at most one. */
const EXCLUSIVE: readonly (readonly LookName[])[] = [
  ['dry', 'wet'],
  ['dark-matrix', 'pale-matrix', 'paper', 'varied-matrix'],
  ['matrix', 'paper'],
];
/** `heldout` is a fixed benchmark look: only the size range may be added to it. */
const WITH_HELDOUT: readonly LookName[] = ['heldout', 'wide'];

export interface ResolvedLook {
  /** The looks in LOOK_NAMES order, `['dry']` when none. */
  names: LookName[];
  options: LookOptionDefaults;
  style: LookStyle;
}

function lookError(received: unknown, why: string, fix: string): PhotosieveError {
  const shown = typeof received === 'string' ? JSON.stringify(received) : JSON.stringify(received ?? null);
  return new PhotosieveError('E_PARAM', `--look ${why}, received ${shown}.`, { fix });
}

/** Checks look names and their combination; merges presets in order (the stronger effect wins on a shared knob). */
export function resolveLooks(looks: readonly string[] | string | undefined): ResolvedLook {
  const list = looks === undefined ? ['dry'] : typeof looks === 'string' ? looks.split(',').map((s) => s.trim()) : [...looks];
  const all = LOOK_NAMES.join(', ');
  for (const name of list) {
    if (!(LOOK_NAMES as readonly string[]).includes(name)) {
      throw lookError(name, `must be one or more of ${all} (comma-separated)`, 'pass e.g. --look matrix,wet');
    }
  }
  // Merged in one canonical order, so `wet,matrix` and `matrix,wet` are the same look, byte for byte.
  const names = (list as LookName[]).sort((a, b) => LOOK_NAMES.indexOf(a) - LOOK_NAMES.indexOf(b));
  if (names.length === 0) throw lookError('', `must name at least one of ${all}`, 'pass e.g. --look dry');
  if (new Set(names).size !== names.length) throw lookError(names.join(','), 'must name each look once', 'remove the repeated name');
  for (const group of EXCLUSIVE) {
    const hit = names.filter((n) => group.includes(n));
    if (hit.length > 1) throw lookError(names.join(','), `cannot combine ${hit.join(' and ')}`, `keep one of ${group.join(', ')}`);
  }
  if (names.includes('heldout') && names.some((n) => !WITH_HELDOUT.includes(n))) {
    throw lookError(names.join(','), 'heldout is a fixed benchmark look and combines only with wide', 'pass --look heldout or --look heldout,wide');
  }
  const style: LookStyle = { ...DRY_STYLE };
  const options: LookOptionDefaults = {};
  for (const name of names) {
    const p = LOOKS[name];
    Object.assign(options, p.options);
    const s = p.style;
    if (s.matrixColour) style.matrixColour = s.matrixColour;
    if (s.matrixSpeckle !== undefined) style.matrixSpeckle = s.matrixSpeckle;
    if (s.flatBackground) style.flatBackground = true;
    if (s.facets) style.facets = true;
    if (s.longShadows) style.longShadows = true;
    if (s.variedMatrix) style.variedMatrix = true;
    for (const key of ['grains', 'wetness', 'burial', 'fractures', 'texture', 'contact'] as const) {
      style[key] = Math.max(style[key], s[key] ?? 0);
    }
  }
  return { names, options, style };
}

/** One sediment colour from NATURAL_SEDIMENT (sRGB 0–1), from the photo's own stream. */
export function sedimentColour(rng: { uniform(): number }): [number, number, number] {
  const n = NATURAL_SEDIMENT;
  const grey = rng.uniform() < n.greyShare;
  const hue = grey ? rng.uniform() * 360 : n.hueDeg[0] + rng.uniform() * (n.hueDeg[1] - n.hueDeg[0]);
  const sat = grey ? rng.uniform() * n.greySaturation : n.saturation[0] + rng.uniform() * (n.saturation[1] - n.saturation[0]);
  const val = n.value[0] + rng.uniform() * (n.value[1] - n.value[0]);
  // HSV → RGB.
  const h = (((hue % 360) + 360) % 360) / 60;
  const c = val * sat;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  const m = val - c;
  return [r + m, g + m, b + m];
}
