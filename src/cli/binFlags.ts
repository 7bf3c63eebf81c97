// The flags that define a BinSpec, shared by segment and measure. Light imports only (the CLI's --help loads this).
import type { Command } from 'commander';
import { Option } from 'commander';
import type { BinSpec, EdgePolicy, SizeMeasure, Weighting } from '../aggregate/distribution.js';
import { DEFAULT_BIN_SPEC, EDGE_POLICIES, SIZE_MEASURES, WEIGHTINGS, defaultWeighting, validateBinSpec } from '../aggregate/distribution.js';
import { DEFAULT_BIN_EDGES_MM, PhotosieveError } from '../core/index.js';
import { parseNumberList, parseRealOption } from './common.js';

export interface BinFlags {
  scale?: number;
  /** segment only: a table of scales, one per photo. */
  scales?: string;
  bins?: number[];
  binsPx: boolean;
  measure: SizeMeasure;
  /** Unset: defaultWeighting(unit), mass for mm bins (sieve results are mass fractions), area for px. */
  weight?: Weighting;
  edge: EdgePolicy;
  minSizePx: number;
}

/** Adds the flags that define a BinSpec (shared with segment). */
export function addBinOptions(cmd: Command): Command {
  return cmd
    .option('--scale <mm_per_px>', 'millimetres per pixel; bin edges are then in mm', parseRealOption('--scale', { min: 0, above: true }))
    .option('--bins <edges>', `interior bin edges, ascending (4 edges = 5 bins): mm with --scale (default ${DEFAULT_BIN_EDGES_MM.join(',')}); pixels only with --bins-px`, parseNumberList('--bins', { min: 0, above: true }))
    .option('--bins-px', 'the --bins edges are pixels (without a scale, bins must say so)', false)
    .addOption(new Option('--measure <measure>', 'size measure').choices(SIZE_MEASURES).default(DEFAULT_BIN_SPEC.measure))
    .addOption(new Option('--weight <weight>', 'weighting: count, area, or mass ∝ major·minor² (default: mass for bins in mm, as sieve results are mass fractions; area for --bins-px)').choices(WEIGHTINGS))
    .addOption(new Option('--edge <policy>', 'particles touching the image/ROI edge').choices(EDGE_POLICIES).default(DEFAULT_BIN_SPEC.edgePolicy))
    .option('--min-size-px <n>', 'detection limit: smaller particles are reported as unmeasured, not binned', parseRealOption('--min-size-px', { min: 0 }), DEFAULT_BIN_SPEC.minSizePx);
}

/**
 * The bin spec the flags ask for. Edges are mm when a scale is given (--scale or --scales) unless --bins-px says
 * pixels; edges without any scale are refused unless --bins-px says they are pixels, because a user who forgot
 * --scale would otherwise get pixel bins named like sieve sizes.
 */
export function binSpecFromFlags(flags: BinFlags): BinSpec {
  const scaled = flags.scale !== undefined || flags.scales !== undefined;
  if (flags.binsPx && flags.bins === undefined) throw new PhotosieveError('E_PARAM', '--bins-px needs --bins.', { fix: 'pass --bins E1,E2,... (in pixels) with --bins-px' });
  if (!scaled && !flags.binsPx) {
    if (flags.bins === undefined) {
      throw new PhotosieveError('E_PARAM', 'without --scale there are no bin edges to use.', { fix: 'pass --scale MM_PER_PX (the default sieve bins, in mm), or --bins E1,E2,... --bins-px (edges in pixels)' });
    }
    throw new PhotosieveError('E_PARAM', '--bins without --scale: are the edges millimetres or pixels?', { fix: 'pass --scale MM_PER_PX (or --scales CSV) for edges in mm, or --bins-px for edges in pixels' });
  }
  const unit = flags.binsPx ? 'px' : 'mm';
  const edges = flags.bins ?? [...DEFAULT_BIN_EDGES_MM];
  const spec: BinSpec = { edges, unit, measure: flags.measure, weight: flags.weight ?? defaultWeighting(unit), edgePolicy: flags.edge, minSizePx: flags.minSizePx };
  validateBinSpec(spec, flags.scale ?? (scaled ? 1 : undefined));
  return spec;
}
