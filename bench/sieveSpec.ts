// The bins every benchmark scores with: the default sieve edges in mm, b-axis, mass-weighted (synth's truth is the
// prescribed mass vector, what a sieve reports), edge-touching particles left out.
import { DEFAULT_BIN_SPEC } from '../src/aggregate/index.js';
import type { BinSpec } from '../src/aggregate/index.js';
import { DEFAULT_BIN_EDGES_MM } from '../src/core/index.js';

export const SIEVE_MASS_SPEC: BinSpec = { ...DEFAULT_BIN_SPEC, edges: [...DEFAULT_BIN_EDGES_MM], unit: 'mm', weight: 'mass' };
