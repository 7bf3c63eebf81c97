// Training targets from an instance map: 0 background, 1 particle body, 2 boundary band, 255 ignore.
import type { ClassMask, InstanceMap } from '../core/index.js';
import { PixelClass, invalidParameter } from '../core/index.js';

export interface ClassMaskOptions {
  /**
   * Width of the boundary band, in pixels, inside every particle: a particle pixel is boundary when some pixel
   * of another particle or of background lies within this Euclidean distance (centre to centre). Two touching
   * particles therefore get a band twice as wide between them. The image frame is not an outline: a particle
   * cut by the frame goes on beyond it. @default 2
   */
  boundaryPx?: number;
  /** 1 where training may learn, 0 where the target is `ignore` (outside the ROI, crowd regions). */
  valid?: Uint8Array;
}

export const DEFAULT_BOUNDARY_PX = 2;

/** Offsets (dy, dx) within Euclidean distance r, excluding (0, 0). */
function discOffsets(r: number): [number, number][] {
  const out: [number, number][] = [];
  const R = Math.floor(r);
  for (let dy = -R; dy <= R; dy++) {
    for (let dx = -R; dx <= R; dx++) {
      if ((dy !== 0 || dx !== 0) && dy * dy + dx * dx <= r * r) out.push([dy, dx]);
    }
  }
  // Nearest first: most boundary pixels are decided by a 4-neighbour.
  return out.sort((a, b) => a[0] * a[0] + a[1] * a[1] - (b[0] * b[0] + b[1] * b[1]));
}

export function makeClassMask(instances: InstanceMap, options: ClassMaskOptions = {}): ClassMask {
  const boundaryPx = options.boundaryPx ?? DEFAULT_BOUNDARY_PX;
  if (!Number.isFinite(boundaryPx) || boundaryPx < 0 || boundaryPx > 64) {
    throw invalidParameter('boundaryPx', 'a number from 0 to 64', boundaryPx, 'pass --boundary-px 2 (the default)');
  }
  const { width, height, data: ids } = instances;
  const valid = options.valid;
  if (valid && valid.length !== ids.length) throw invalidParameter('valid.length', `${ids.length}`, valid.length);
  const out = new Uint8Array(width * height);
  const offsets = discOffsets(boundaryPx);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const p = i * width + j;
      if (valid && valid[p] === 0) {
        out[p] = PixelClass.ignore;
        continue;
      }
      const id = ids[p]!;
      if (id === 0) continue;
      let cls: number = PixelClass.body;
      for (const [dy, dx] of offsets) {
        const y = i + dy;
        const x = j + dx;
        if (y < 0 || y >= height || x < 0 || x >= width) continue;
        if (ids[y * width + x] !== id) {
          cls = PixelClass.boundary;
          break;
        }
      }
      out[p] = cls;
    }
  }
  return { width, height, data: out };
}
