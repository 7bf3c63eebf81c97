// drawOverlay as it was before the speed work of issue 11 part 4 (commit 990525b, src/segment/batch/overlay.ts): a
// Map per pixel and glyphs drawn with forEach over strings, kept only so tests can check the fast version byte for
// byte. Not used by the library.
import type { InstanceMap, Raster } from '../../src/core/index.js';

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

const PALETTE: readonly (readonly [number, number, number])[] = [
  [255, 220, 0],
  [0, 230, 255],
  [255, 60, 200],
  [90, 255, 90],
  [255, 140, 0],
  [150, 120, 255],
];

/** The photo as 8-bit RGB (grey repeated, alpha dropped, 16-bit scaled). */
export function referenceRgb8(raster: Raster): Uint8Array {
  const n = raster.width * raster.height;
  const out = new Uint8Array(n * 3);
  const rc = raster.channels;
  const k = raster.depth === 16 ? 1 / 257 : 1;
  for (let p = 0; p < n; p++) {
    const q = p * rc;
    const r = raster.data[q]! * k;
    out[p * 3] = r;
    out[p * 3 + 1] = rc >= 3 ? raster.data[q + 1]! * k : r;
    out[p * 3 + 2] = rc >= 3 ? raster.data[q + 2]! * k : r;
  }
  return out;
}

/** Draws outlines (thickness grows with the photo so they stay visible) and ids at particle centroids. */
export function referenceDrawOverlay(raster: Raster, map: InstanceMap): Uint8Array {
  const { width: w, height: h } = map;
  const img = referenceRgb8(raster);
  const scale = Math.max(1, Math.round(Math.max(w, h) / 1000));
  const sumX = new Map<number, [number, number, number]>();
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const id = map.data[p]!;
      if (id === 0) continue;
      const s = sumX.get(id);
      if (s) {
        s[0] += x;
        s[1] += y;
        s[2] += 1;
      } else sumX.set(id, [x, y, 1]);
      const edge =
        x === 0 || y === 0 || x === w - 1 || y === h - 1 || map.data[p - 1] !== id || map.data[p + 1] !== id || map.data[p - w] !== id || map.data[p + w] !== id;
      if (!edge) continue;
      const c = PALETTE[id % PALETTE.length]!;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const yy = y + dy - (scale >> 1);
          const xx = x + dx - (scale >> 1);
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const q = (yy * w + xx) * 3;
          img[q] = c[0];
          img[q + 1] = c[1];
          img[q + 2] = c[2];
        }
      }
    }
  }
  for (const [id, [sx, sy, n]] of sumX) drawNumber(img, w, h, String(id), Math.round(sx / n), Math.round(sy / n), scale);
  return img;
}

/** White digits on a black box, centred on (cx, cy). */
function drawNumber(img: Uint8Array, w: number, h: number, text: string, cx: number, cy: number, scale: number): void {
  const tw = (text.length * 4 + 1) * scale;
  const th = 7 * scale;
  const x0 = cx - (tw >> 1);
  const y0 = cy - (th >> 1);
  const put = (x: number, y: number, v: number): void => {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    const q = (y * w + x) * 3;
    img[q] = v;
    img[q + 1] = v;
    img[q + 2] = v;
  };
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) put(x0 + x, y0 + y, 0);
  [...text].forEach((ch, k) => {
    const glyph = DIGITS[ch.charCodeAt(0) - 48];
    if (!glyph) return;
    glyph.forEach((row, gy) => {
      [...row].forEach((cell, gx) => {
        if (cell !== '#') return;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) put(x0 + (1 + k * 4 + gx) * scale + dx, y0 + (1 + gy) * scale + dy, 255);
        }
      });
    });
  });
}
