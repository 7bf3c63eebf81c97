// The outlines of an image's particles coloured by the bin each one went into, as a transparent layer the report
// lays over the overlay: particles touching the image or ROI edge are drawn dashed (white when they are left out of
// the vector), particles below the detection limit grey. The outline pixels and their thickness follow the
// segment overlay's rule (src/pipeline/overlay.ts: onOutline and outlineThickness, a square brush of
// max(1, round(longer side / 1000)) px), so the layer covers the overlay's id-coloured outlines exactly.
import sharp from 'sharp';
import type { InstanceMap } from '../core/index.js';
import { onOutline, outlineThickness } from '../pipeline/overlay.js';
import type { ParticleClasses } from './loadSieve.js';

export type Rgb = readonly [number, number, number];

/** Fine to coarse: blue, cyan, green, yellow, orange, red, magenta; N bins take N evenly spaced colours of this ramp. */
const RAMP: readonly Rgb[] = [
  [40, 110, 255],
  [0, 210, 240],
  [60, 220, 60],
  [250, 230, 0],
  [255, 140, 0],
  [240, 40, 40],
  [230, 60, 230],
];
export const EDGE_RGB: Rgb = [255, 255, 255];
export const UNMEASURED_RGB: Rgb = [150, 150, 150];

/** One colour per bin, fine to coarse, interpolated on RAMP. */
export function binColours(bins: number): Rgb[] {
  return Array.from({ length: bins }, (_, k) => {
    const t = bins === 1 ? 0 : (k / (bins - 1)) * (RAMP.length - 1);
    const i = Math.min(RAMP.length - 2, Math.floor(t));
    const f = t - i;
    const a = RAMP[i]!;
    const b = RAMP[i + 1]!;
    const ch = (c: 0 | 1 | 2): number => Math.round(a[c] + f * (b[c] - a[c]));
    return [ch(0), ch(1), ch(2)] as const;
  });
}

export const rgbCss = (c: Rgb): string => `rgb(${c[0]},${c[1]},${c[2]})`;

interface Style {
  rgb: Rgb;
  dashed: boolean;
}

/** How a particle is drawn; undefined: not in the table (not drawn). */
export function outlineStyle(classes: ParticleClasses, id: number, colours: readonly Rgb[]): Style | undefined {
  const c = classes.get(id);
  if (!c) return undefined;
  if (c.cls === 'edge') return { rgb: EDGE_RGB, dashed: true };
  if (c.cls === 'unmeasured') return { rgb: UNMEASURED_RGB, dashed: c.touchesEdge };
  return { rgb: colours[c.cls] ?? EDGE_RGB, dashed: c.touchesEdge };
}

/** RGBA pixels of the layer: outline pixels opaque in their particle's colour, the rest transparent. */
export function outlineLayer(map: InstanceMap, classes: ParticleClasses, bins: number): Uint8Array {
  const { width: w, height: h, data } = map;
  const out = new Uint8Array(w * h * 4);
  const colours = binColours(bins);
  const scale = outlineThickness(w, h);
  const half = scale >> 1;
  // Dashes along any direction: on for 3 brush widths, off for 3, measured along x + y.
  const dash = 3 * scale;
  const styles = new Map<number, Style | undefined>();
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const p = row + x;
      const id = data[p]!;
      if (id === 0) continue;
      if (!onOutline(data, w, h, p, x, y, id)) continue;
      let st = styles.get(id);
      if (!styles.has(id)) {
        st = outlineStyle(classes, id, colours);
        styles.set(id, st);
      }
      if (!st || (st.dashed && Math.floor((x + y) / dash) % 2 === 1)) continue;
      const [r, g, b] = st.rgb;
      for (let yy = Math.max(0, y - half); yy < Math.min(h, y - half + scale); yy++) {
        for (let xx = Math.max(0, x - half); xx < Math.min(w, x - half + scale); xx++) {
          const q = (yy * w + xx) * 4;
          out[q] = r;
          out[q + 1] = g;
          out[q + 2] = b;
          out[q + 3] = 255;
        }
      }
    }
  }
  return out;
}

/** The layer as PNG bytes (lossless: the colours are the legend's). */
export async function outlineLayerPng(map: InstanceMap, classes: ParticleClasses, bins: number): Promise<Buffer> {
  return sharp(outlineLayer(map, classes, bins), { raw: { width: map.width, height: map.height, channels: 4 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}
