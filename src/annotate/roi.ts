// Regions of interest: the lab crops photos to a circle; pixels outside are background and `ignore` in targets.
import type { Ring } from '../core/index.js';
import { PhotosieveError } from '../core/index.js';
import { forEachSpan } from './rasterize.js';

export type RoiSpec =
  | { kind: 'none' }
  /** Without centre/radius: the largest circle centred in the image. */
  | { kind: 'circle'; cx?: number; cy?: number; r?: number }
  | { kind: 'polygon'; ring: Ring };

const ROI_FIX = 'use --roi circle, --roi circle:CX,CY,R or --roi polygon:X1,Y1,X2,Y2,X3,Y3,… (pixels)';

/** Parses the CLI form: `none`, `circle`, `circle:CX,CY,R`, `polygon:X1,Y1,X2,Y2,...`. */
export function parseRoi(text: string): RoiSpec {
  const [kind, rest] = text.split(':', 2) as [string, string | undefined];
  const numbers = rest === undefined ? [] : rest.split(',').map((s) => Number(s.trim()));
  if (numbers.some((v) => !Number.isFinite(v))) {
    throw new PhotosieveError('E_PARAM', `--roi ${JSON.stringify(text)} has a value that is not a number.`, { fix: ROI_FIX });
  }
  switch (kind) {
    case 'none':
      if (rest === undefined) return { kind: 'none' };
      break;
    case 'circle':
      if (rest === undefined) return { kind: 'circle' };
      if (numbers.length === 3 && numbers[2]! > 0) return { kind: 'circle', cx: numbers[0]!, cy: numbers[1]!, r: numbers[2]! };
      break;
    case 'polygon':
      if (numbers.length >= 6 && numbers.length % 2 === 0) {
        const ring: Ring = [];
        for (let k = 0; k < numbers.length; k += 2) ring.push([numbers[k]!, numbers[k + 1]!]);
        return { kind: 'polygon', ring };
      }
      break;
  }
  throw new PhotosieveError('E_PARAM', `--roi ${JSON.stringify(text)} is not a region of interest.`, { fix: ROI_FIX });
}

/** 1 inside the ROI, 0 outside (pixel-centre rule); undefined when there is no ROI. */
export function roiMask(spec: RoiSpec, width: number, height: number): Uint8Array | undefined {
  switch (spec.kind) {
    case 'none':
      return undefined;
    case 'circle': {
      const cx = spec.cx ?? width / 2;
      const cy = spec.cy ?? height / 2;
      const r = spec.r ?? Math.min(width, height) / 2;
      const mask = new Uint8Array(width * height);
      for (let i = 0; i < height; i++) {
        const dy = i + 0.5 - cy;
        if (dy * dy > r * r) continue;
        const half = Math.sqrt(r * r - dy * dy);
        // Centres x with |x - cx| <= half: j + 0.5 in [cx - half, cx + half].
        const j0 = Math.max(0, Math.ceil(cx - half - 0.5));
        const j1 = Math.min(width - 1, Math.floor(cx + half - 0.5));
        if (j1 >= j0) mask.fill(1, i * width + j0, i * width + j1 + 1);
      }
      return mask;
    }
    case 'polygon': {
      const mask = new Uint8Array(width * height);
      forEachSpan([spec.ring], width, height, (row, c0, c1) => mask.fill(1, row * width + c0, row * width + c1));
      return mask;
    }
  }
}

export function describeRoi(spec: RoiSpec): string {
  switch (spec.kind) {
    case 'none':
      return 'none';
    case 'circle':
      return spec.r === undefined ? 'circle (inscribed)' : `circle centre (${spec.cx}, ${spec.cy}) radius ${spec.r}`;
    case 'polygon':
      return `polygon with ${spec.ring.length} points`;
  }
}
