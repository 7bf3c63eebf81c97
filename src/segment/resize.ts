// The optional --resize: for users whose particles are far larger than the detail the model needs. The photo is
// shrunk for the semantic and instance stages and the instance map is scaled back (nearest) to the input's size.
import sharp from 'sharp';
import type { InstanceMap, Raster } from '../core/index.js';
import { invalidParameter } from '../core/index.js';

export function checkResize(factor: number): void {
  if (typeof factor !== 'number' || !(factor > 0 && factor <= 1)) {
    throw invalidParameter('--resize', 'a factor in (0, 1]', factor, 'pass e.g. --resize 0.5, or leave it out to keep full resolution');
  }
}

export async function shrinkRaster(raster: Raster, factor: number): Promise<Raster> {
  const width = Math.max(1, Math.round(raster.width * factor));
  const height = Math.max(1, Math.round(raster.height * factor));
  const input = sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: raster.channels } });
  const pipeline = input.resize(width, height, { kernel: 'lanczos3', fit: 'fill' });
  const { data, info } = await (raster.depth === 16 ? pipeline.raw({ depth: 'ushort' }) : pipeline.raw()).toBuffer({ resolveWithObject: true });
  const pixels = raster.depth === 16 ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2).slice() : new Uint8Array(data).slice();
  return { width: info.width, height: info.height, channels: raster.channels, depth: raster.depth, data: pixels };
}

/** Nearest-neighbour scaling of a label-like array (ids must not be interpolated). */
export function scaleNearest<T extends Int32Array | Uint8Array>(src: T, sw: number, sh: number, dw: number, dh: number, make: (n: number) => T): T {
  const out = make(dw * dh);
  const cols = new Int32Array(dw);
  for (let j = 0; j < dw; j++) cols[j] = Math.min(sw - 1, Math.floor(((j + 0.5) * sw) / dw));
  for (let i = 0; i < dh; i++) {
    const si = Math.min(sh - 1, Math.floor(((i + 0.5) * sh) / dh));
    for (let j = 0; j < dw; j++) out[i * dw + j] = src[si * sw + cols[j]!]!;
  }
  return out;
}

export function growInstances(map: InstanceMap, width: number, height: number): InstanceMap {
  return { width, height, data: scaleNearest(map.data, map.width, map.height, width, height, (n) => new Int32Array(n)) };
}
