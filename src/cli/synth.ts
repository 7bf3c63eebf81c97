// `photosieve synth`: flags → SynthOptions → runSynth → a short summary. No logic of its own beyond turning
// text into numbers; every range check lives in validateSynthOptions so the library and the CLI agree.
import { Command } from 'commander';
import { PhotosieveError, errorLine } from '../core/index.js';
import type { DropOrder, LookName, SynthOptions, SynthSummary } from '../synth/index.js';
import { LOOKS, LOOK_NAMES } from '../synth/looks.js';

/** Commander's view of the flags: everything arrives as text (booleans for switches). */
interface SynthFlags {
  out?: string;
  vector?: string;
  groups?: string;
  perGroup?: string;
  holdout?: string;
  holdoutDistance?: string;
  alpha?: string;
  bins?: string;
  scale?: string;
  minSize?: string;
  maxSize?: string;
  minParticlePx?: string;
  size?: string;
  width?: string;
  height?: string;
  seed?: string;
  circle?: boolean;
  gray?: boolean;
  format?: string;
  jpegQuality?: string;
  boundaryPx?: string;
  coverage?: string;
  order?: string;
  roundness?: string;
  elongation?: string;
  flatness?: string;
  roughness?: string;
  blur?: string;
  noise?: string;
  vignette?: string;
  lightAzimuth?: string;
  lightElevation?: string;
  look?: string;
}

function num(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(v)) {
    throw new PhotosieveError('E_PARAM', `--${flag} must be a number, received ${JSON.stringify(text)}.`, {
      fix: `pass a number, e.g. --${flag} ${flagExample[flag] ?? '1'}`,
    });
  }
  return v;
}

function list(flag: string, text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',');
  const values = parts.map((s) => Number(s.trim()));
  if (parts.some((s) => s.trim() === '') || values.some((v) => !Number.isFinite(v))) {
    throw new PhotosieveError('E_PARAM', `--${flag} must be comma-separated numbers, received ${JSON.stringify(text)}.`, {
      fix: `pass e.g. --${flag} ${flagExample[flag] ?? '1,2,3'}`,
    });
  }
  return values;
}

const flagExample: Record<string, string> = {
  vector: '0.1,0.2,0.4,0.2,0.1',
  bins: '4,5.6,8,11.2',
  scale: '0.1',
  size: '1500',
  seed: '7',
  groups: '3',
};

/** Every key of T present (values may still be undefined): a forgotten option is a compile error. */
type EveryKey<T> = { [K in keyof Required<T>]: T[K] };

/** Flags → library options. Typed against SynthOptions, so a library option without a flag stands out here. */
export function synthOptionsFromFlags(flags: SynthFlags): SynthOptions {
  if (flags.out === undefined || flags.out.trim() === '') {
    throw new PhotosieveError('E_PARAM', '--out is required.', { fix: 'pass --out DIR (the output folder)' });
  }
  const size = num('size', flags.size);
  const options: EveryKey<Omit<SynthOptions, 'onProgress'>> = {
    outDir: flags.out,
    vector: list('vector', flags.vector),
    groups: num('groups', flags.groups),
    perGroup: num('per-group', flags.perGroup),
    holdout: num('holdout', flags.holdout),
    holdoutDistance: num('holdout-distance', flags.holdoutDistance),
    dirichletAlpha: num('alpha', flags.alpha),
    binEdgesMm: list('bins', flags.bins),
    scaleMmPerPx: num('scale', flags.scale),
    minSizeMm: num('min-size', flags.minSize),
    maxSizeMm: num('max-size', flags.maxSize),
    minParticlePx: num('min-particle-px', flags.minParticlePx),
    width: num('width', flags.width) ?? size,
    height: num('height', flags.height) ?? size,
    seed: num('seed', flags.seed),
    circle: flags.circle,
    gray: flags.gray,
    format: flags.format as SynthOptions['format'],
    jpegQuality: num('jpeg-quality', flags.jpegQuality),
    boundaryPx: num('boundary-px', flags.boundaryPx),
    coverage: num('coverage', flags.coverage),
    order: flags.order as DropOrder | undefined,
    roundness: num('roundness', flags.roundness),
    elongation: num('elongation', flags.elongation),
    flatness: num('flatness', flags.flatness),
    roughness: num('roughness', flags.roughness),
    blurPx: num('blur', flags.blur),
    noise: num('noise', flags.noise),
    vignette: num('vignette', flags.vignette),
    lightAzimuthDeg: num('light-azimuth', flags.lightAzimuth),
    lightElevationDeg: num('light-elevation', flags.lightElevation),
    // Names are checked (with the list of looks in the message) by validateSynthOptions.
    look: flags.look === undefined ? undefined : (flags.look.split(',').map((s) => s.trim()) as LookName[]),
  };
  return options;
}

function summaryLines(s: SynthSummary): string[] {
  const train = s.groups.filter((g) => g.split === 'train').length;
  const held = s.groups.length - train;
  return [
    `synth: ${s.images} images from ${train} training and ${held} held-out groups in ${s.outDir}`,
    `  particles: ${s.particles} generated, ${s.visibleParticles} visible`,
    `  realized mass fractions within ${s.maxRealizedError.toFixed(4)} of the prescription` +
      (s.imagesWithCoarseBins > 0
        ? `; ${s.imagesWithCoarseBins} image(s) had a bin too coarse for the frame (see groups.json)`
        : ''),
  ];
}

export function synthCommand(): Command {
  return new Command('synth')
    .description('render synthetic gravel photos with exact visible outlines and true size vectors')
    .option('--out <dir>', 'output folder (required)')
    .option('--vector <fractions>', 'prescribed mass fractions, one per bin (e.g. 0.1,0.2,0.4,0.2,0.1)')
    .option('--groups <n>', 'random training groups drawn from a Dirichlet (instead of --vector)')
    .option('--per-group <n>', 'images per group (default 1)')
    .option('--holdout <n>', 'held-out groups far from every training vector (default 0)')
    .option('--holdout-distance <d>', 'smallest Euclidean distance of a held-out vector to any training vector (default 0.15)')
    .option('--alpha <a>', 'Dirichlet concentration of random vectors (default 2)')
    .option('--bins <edges>', 'interior bin edges in mm (default 4,5.6,8,11.2)')
    .option('--scale <mm>', 'mm per pixel (default 0.1)')
    .option('--min-size <mm>', 'smallest b-axis in mm (default: first edge²/second edge)')
    .option('--max-size <mm>', 'largest b-axis in mm (default: last edge²/previous edge)')
    .option('--min-particle-px <px>', 'no stone smaller than this b-axis in px (default 6)')
    .option('--size <px>', 'square image side (default 1500)')
    .option('--width <px>', 'image width (overrides --size)')
    .option('--height <px>', 'image height (overrides --size)')
    .option('--seed <n>', 'random seed 0..4294967295 (default 1)')
    .option('--circle', 'crop to the largest centred circle')
    .option('--gray', 'single-channel grey images')
    .option('--format <png|jpg>', 'image format (default png)')
    .option('--jpeg-quality <q>', 'JPEG quality 1..100 (default 90)')
    .option('--boundary-px <n>', 'boundary band of masks/ in px (default 2)')
    .option('--coverage <f>', 'summed stone footprint / frame area (default 1.3)')
    .option('--order <large-first|random>', 'drop order (default large-first)')
    .option('--roundness <r>', '0 angular .. 1 rounded (default 0.5)')
    .option('--elongation <e>', 'mean a/b axis ratio (default 1.4)')
    .option('--flatness <f>', 'mean c/b axis ratio (default 0.6)')
    .option('--roughness <r>', '0 smooth .. 1 rough outlines (default 0.3)')
    .option('--blur <px>', 'camera blur sigma in px (default 0.7)')
    .option('--noise <sd>', 'sensor noise as a fraction of full scale (default 0.02)')
    .option('--vignette <v>', 'corner darkening 0..1 (default 0.25)')
    .option('--light-azimuth <deg>', 'light direction, degrees clockwise from the top (default 315)')
    .option('--light-elevation <deg>', 'light elevation in degrees (default 45)')
    .option('--look <names>', `comma-separated looks (default dry): ${LOOK_NAMES.join(', ')}; heldout is for benchmarks only`)
    .addHelpText('after', `\nLooks (combine with commas, e.g. --look matrix,wet; explicit flags override a look's defaults):\n${LOOK_NAMES.map((n) => `  ${n.padEnd(12)} ${LOOKS[n].summary}`).join('\n')}\n`)
    .action(async (flags: SynthFlags) => {
      try {
        const options = synthOptionsFromFlags(flags);
        if (process.stderr.isTTY) {
          options.onProgress = (done, total, name) => {
            process.stderr.write(`\rsynth ${done}/${total} ${name}${done === total ? '\n' : ''}`);
          };
        }
        // Loaded here so `photosieve --help` does not pay for sharp and polygon clipping.
        const { runSynth } = await import('../synth/index.js');
        const summary = await runSynth(options);
        process.stdout.write(`${summaryLines(summary).join('\n')}\n`);
      } catch (err) {
        process.stderr.write(`photosieve synth: ${errorLine(err)}\n`);
        // Usage or setup: nothing was rendered (see EXIT_CODES in run.ts).
        process.exitCode = 2;
      }
    });
}
