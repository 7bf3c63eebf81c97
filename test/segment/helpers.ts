// Shared fixtures for segment tests: a tiny seeded random U-Net (written once per test file into a temp folder)
// and synthetic rasters of discs.
import { join } from 'node:path';
import type { Raster } from '../../src/core/index.js';
import type { LoadedModel, TileEngine } from '../../src/segment/index.js';
import { buildUnet, initBackend, randomModelMeta, saveModelFolder, tfjsEngine, writeRandomModel } from '../../src/segment/index.js';
import { tempDir } from '../helpers/tmp.js';

/** depth 3, 4-8-16 channels, 64² tiles: ~20 KB of weights, milliseconds per tile. */
export const TINY_MODEL = { architecture: { depth: 3, baseChannels: 4, batchNorm: true, upsampling: 'transpose' as const }, inputChannels: 3 as const, tileSize: 64, seed: 7 };

export async function tinyModelDir(): Promise<string> {
  await initBackend();
  const tmp = await tempDir();
  const dir = join(tmp.dir, 'tiny-model');
  await writeRandomModel(dir, TINY_MODEL);
  return dir;
}

/** The tiny architecture as a random 4-class scale-band model (band 16 px, detection limit 4 px), written to DIR/band-model. */
export async function tinyBandModelDir(dir: string): Promise<string> {
  await initBackend();
  const band = join(dir, 'band-model');
  const net = buildUnet({ architecture: TINY_MODEL.architecture, inputChannels: 3, seed: 3, classes: 4 });
  try {
    await saveModelFolder(band, net, { ...randomModelMeta(TINY_MODEL), classes: ['background', 'body', 'boundary', 'large'], sizeBand: { maxPx: 16, minPx: 4 } });
  } finally {
    net.dispose();
  }
  return band;
}

export interface Disc {
  cx: number;
  cy: number;
  r: number;
}

/** An RGB raster: dark background (40), discs bright (200) with a darker rim one pixel wide where they touch. */
export function discRaster(width: number, height: number, discs: Disc[], seed = 1): Raster {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  const noise = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648 - 0.5) * 16;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 40;
      let inside = 0;
      for (const d of discs) {
        const r = Math.hypot(x + 0.5 - d.cx, y + 0.5 - d.cy);
        if (r <= d.r) {
          inside++;
          v = r > d.r - 1.5 ? 90 : 200;
        }
      }
      if (inside > 1) v = 60;
      const q = (y * width + x) * 3;
      const n = Math.max(0, Math.min(255, Math.round(v + noise())));
      data[q] = n;
      data[q + 1] = n;
      data[q + 2] = n;
    }
  }
  return { width, height, channels: 3, depth: 8, data };
}

export function constantRaster(width: number, height: number, value: number): Raster {
  return { width, height, channels: 3, depth: 8, data: new Uint8Array(width * height * 3).fill(value) };
}

/** Discs on a jittered grid, radii between rMin and rMax, gaps of a few pixels. */
export function discGrid(width: number, height: number, rMin: number, rMax: number, seed = 3): Disc[] {
  let s = seed;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const pitch = 2 * rMax + 6;
  const discs: Disc[] = [];
  for (let cy = pitch / 2; cy < height; cy += pitch) {
    for (let cx = pitch / 2; cx < width; cx += pitch) {
      discs.push({ cx: cx + (rand() - 0.5) * 4, cy: cy + (rand() - 0.5) * 4, r: rMin + rand() * (rMax - rMin) });
    }
  }
  return discs;
}

/** The tfjs engine over an already loaded model (not disposed with the engine). */
export function engineOf(loaded: LoadedModel): TileEngine {
  return tfjsEngine(loaded.model, { name: 'wasm', skipped: [] }, loaded.meta.inputChannels, false);
}
