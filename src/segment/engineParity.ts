// How closely two engines agree on the same tiles: the check behind `photosieve export --verify` and the parity
// tests (ORT against tfjs-wasm: max |Δ| ≤ 1e-4, argmax agreement ≥ 99.9 %).
import type { TileEngine } from './engine.js';
import { PROBABILITY_CHANNELS } from './semantic.js';

export interface ParityResult {
  /** Largest absolute difference of any class probability. */
  maxAbsDiff: number;
  /** Share of pixels whose most probable class is the same. */
  argmaxAgreement: number;
  pixels: number;
}

/** Compares two probability arrays of the same shape (NHWC, PixelClass channels). */
export function compareProbabilities(a: Float32Array, b: Float32Array): ParityResult {
  if (a.length !== b.length) throw new Error(`probability arrays differ in length (${a.length} vs ${b.length})`);
  const K = PROBABILITY_CHANNELS;
  let maxAbsDiff = 0;
  let agree = 0;
  const pixels = a.length / K;
  for (let p = 0; p < pixels; p++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < K; k++) {
      const d = Math.abs(a[p * K + k]! - b[p * K + k]!);
      if (d > maxAbsDiff) maxAbsDiff = d;
      if (a[p * K + k]! > a[p * K + ia]!) ia = k;
      if (b[p * K + k]! > b[p * K + ib]!) ib = k;
    }
    if (ia === ib) agree++;
  }
  return { maxAbsDiff, argmaxAgreement: pixels > 0 ? agree / pixels : 1, pixels };
}

/** Runs both engines on the same input tiles and compares their outputs. */
export async function engineParity(a: TileEngine, b: TileEngine, input: Float32Array, n: number, height: number, width: number): Promise<ParityResult> {
  const pa = (await a.run(input, n, height, width)).slice();
  const pb = await b.run(input, n, height, width);
  return compareProbabilities(pa, pb);
}
