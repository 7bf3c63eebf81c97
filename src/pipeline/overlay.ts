// Overlay PNG: the photo with each particle's outline and its id (the value in the instance PNG) drawn on it, so
// a user can check a result and find a particle's row in particles/NAME.csv. Pure JS drawing, no Mats.
import type { InstanceMap, Raster } from '../core/index.js';
import { labelSlots } from '../aggregate/labelMoments.js';

/** Side of the square brush outlines are drawn with: 1 px up to 1500 px, one more per 1000 px beyond. */
export const outlineThickness = (width: number, height: number): number => Math.max(1, Math.round(Math.max(width, height) / 1000));

/**
 * Whether pixel p = (x, y), of particle `id`, lies on that particle's outline: on the image border, or next to
 * (4-neighbour) a pixel of another id. The report's bin-coloured layer uses the same rule, so it covers these outlines.
 */
export function onOutline(data: Int32Array, w: number, h: number, p: number, x: number, y: number, id: number): boolean {
  return y === 0 || y === h - 1 || x === 0 || x === w - 1 || data[p - 1] !== id || data[p + 1] !== id || data[p - w] !== id || data[p + w] !== id;
}

/** 3×5 digit glyphs, one row per string, '#' = ink. */
const DIGITS: readonly (readonly string[])[] = [
  ['###', '#.#', '#.#', '#.#', '###'],
  ['.#.', '##.', '.#.', '.#.', '###'],
  ['###', '..#', '###', '#..', '###'],
  ['###', '..#', '###', '..#', '###'],
  ['#.#', '#.#', '###', '..#', '..#'],
  ['###', '#..', '###', '..#', '###'],
  ['###', '#..', '###', '#.#', '###'],
  ['###', '..#', '.#.', '.#.', '.#.'],
  ['###', '#.#', '###', '#.#', '###'],
  ['###', '#.#', '###', '..#', '###'],
];
/** The glyphs as 15 cells each (row-major, 1 = ink), so drawing a digit walks an array instead of strings. */
const GLYPHS = Uint8Array.from(DIGITS.flatMap((g) => [...g.join('')].map((c) => (c === '#' ? 1 : 0))));

const PALETTE: readonly (readonly [number, number, number])[] = [
  [255, 220, 0],
  [0, 230, 255],
  [255, 60, 200],
  [90, 255, 90],
  [255, 140, 0],
  [150, 120, 255],
];

/** The photo as 8-bit RGB (grey repeated, alpha dropped, 16-bit scaled). */
export function rgb8(raster: Raster): Uint8Array {
  const n = raster.width * raster.height;
  const rc = raster.channels;
  const src = raster.data;
  const out = new Uint8Array(n * 3);
  // 8-bit RGB is the common case: one typed-array copy instead of a loop.
  if (raster.depth === 8 && rc === 3) {
    out.set(src.subarray(0, n * 3));
    return out;
  }
  const k = raster.depth === 16 ? 1 / 257 : 1;
  for (let p = 0; p < n; p++) {
    const q = p * rc;
    const r = src[q]! * k;
    out[p * 3] = r;
    out[p * 3 + 1] = rc >= 3 ? src[q + 1]! * k : r;
    out[p * 3 + 2] = rc >= 3 ? src[q + 2]! * k : r;
  }
  return out;
}

/**
 * Draws outlines (thickness grows with the photo so they stay visible) and ids at particle centroids. Outline
 * pixels are painted in raster order and labels in order of first appearance, as before, because thick outlines
 * and label boxes overlap and the last one drawn wins.
 */
export function drawOverlay(raster: Raster, map: InstanceMap): Uint8Array {
  return drawOverlayOn(rgb8(raster), map);
}

/** drawOverlay on the photo already in 8-bit RGB (the map's size), in place; returns `img`. */
export function drawOverlayOn(img: Uint8Array, map: InstanceMap): Uint8Array {
  const { width: w, height: h, data } = map;
  if (img.length !== w * h * 3) throw new Error(`drawOverlayOn: an RGB image of ${w}×${h} px needs ${w * h * 3} bytes, not ${img.length}`);
  const scale = outlineThickness(w, h);
  const half = scale >> 1;
  const { slot, ids, count } = labelSlots(data);
  const sumX = new Float64Array(count);
  const sumY = new Float64Array(count);
  const area = new Float64Array(count);
  const firstSeen = new Int32Array(count);
  let seen = 0;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const p = row + x;
      const s = slot[p]!;
      if (s === 0) continue;
      if (area[s] === 0) firstSeen[seen++] = s;
      sumX[s]! += x;
      sumY[s]! += y;
      area[s]! += 1;
      const id = data[p]!;
      if (!onOutline(data, w, h, p, x, y, id)) continue;
      const c = PALETTE[id % PALETTE.length]!;
      const c0 = c[0];
      const c1 = c[1];
      const c2 = c[2];
      if (scale === 1) {
        img[p * 3] = c0;
        img[p * 3 + 1] = c1;
        img[p * 3 + 2] = c2;
        continue;
      }
      const y0 = Math.max(0, y - half);
      const y1 = Math.min(h, y - half + scale);
      const x0 = Math.max(0, x - half);
      const x1 = Math.min(w, x - half + scale);
      for (let yy = y0; yy < y1; yy++) {
        for (let q = (yy * w + x0) * 3, end = (yy * w + x1) * 3; q < end; q += 3) {
          img[q] = c0;
          img[q + 1] = c1;
          img[q + 2] = c2;
        }
      }
    }
  }
  for (let k = 0; k < seen; k++) {
    const s = firstSeen[k]!;
    drawNumber(img, w, h, ids[s]!, Math.round(sumX[s]! / area[s]!), Math.round(sumY[s]! / area[s]!), scale);
  }
  return img;
}

/** Sets the clipped rectangle [x0, x1) × [y0, y1) to grey v. */
function fillRect(img: Uint8Array, w: number, h: number, x0: number, y0: number, x1: number, y1: number, v: number): void {
  const xa = Math.max(0, x0);
  const xb = Math.min(w, x1);
  if (xa >= xb) return;
  for (let y = Math.max(0, y0); y < Math.min(h, y1); y++) img.fill(v, (y * w + xa) * 3, (y * w + xb) * 3);
}

/** White digits on a black box, centred on (cx, cy). */
function drawNumber(img: Uint8Array, w: number, h: number, id: number, cx: number, cy: number, scale: number): void {
  const text = String(id);
  const tw = (text.length * 4 + 1) * scale;
  const th = 7 * scale;
  const x0 = cx - (tw >> 1);
  const y0 = cy - (th >> 1);
  fillRect(img, w, h, x0, y0, x0 + tw, y0 + th, 0);
  for (let k = 0; k < text.length; k++) {
    const digit = text.charCodeAt(k) - 48;
    // A minus sign (a negative id) has no glyph: its place stays black, as before.
    if (digit < 0 || digit > 9) continue;
    for (let cell = 0; cell < 15; cell++) {
      if (GLYPHS[digit * 15 + cell] === 0) continue;
      const gx = x0 + (1 + k * 4 + (cell % 3)) * scale;
      const gy = y0 + (1 + Math.floor(cell / 3)) * scale;
      fillRect(img, w, h, gx, gy, gx + scale, gy + scale, 255);
    }
  }
}
