// The small instance map two aggregate tests measure: squares of side 1, 3 and 5 px and a 2 × 1 domino (Feret min
// 1) away from the image edge, plus square 5 on the edge (excluded by default); and a bin spec to bin them with.
import type { BinSpec } from '../../src/aggregate/index.js';
import { grid } from '../helpers/grid.js';

export const squaresSpec = (over: Partial<BinSpec> = {}): BinSpec => ({ edges: [2, 4], unit: 'px', measure: 'feret_min', weight: 'count', edgePolicy: 'exclude', minSizePx: 0, ...over });

export const SQUARES = grid([
  '............',
  '.1..222.....',
  '....222.....',
  '....222.....',
  '.........44.',
  '.33333......',
  '.33333......',
  '.33333......',
  '.33333......',
  '.33333.....5',
  '............',
]);
