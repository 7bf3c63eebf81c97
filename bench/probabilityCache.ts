// The cache of U-Net probability maps that the stage benchmarks share (bench/instances.ts writes it with
// --capture, bench/measure.ts reads it): one raw float32 file and one JSON per photo, so every run of every
// source tree sees exactly the same input without running the U-Net again.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface Saved {
  name: string;
  photo: string;
  width: number;
  height: number;
}

export interface CachedProbabilities {
  saved: Saved;
  probs: { width: number; height: number; data: Float32Array };
}

/** The photos in the cache, by name. */
export async function cachedNames(cache: string): Promise<string[]> {
  return (await readdir(cache))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => f.slice(0, -'.json'.length));
}

export async function readCached(cache: string, name: string): Promise<CachedProbabilities> {
  const saved = JSON.parse(await readFile(join(cache, `${name}.json`), 'utf8')) as Saved;
  const buf = await readFile(join(cache, `${saved.name}.f32`));
  // A copy, not a view: Buffer pools may not be 4-byte aligned.
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { saved, probs: { width: saved.width, height: saved.height, data } };
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const hash = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex').slice(0, 12);
