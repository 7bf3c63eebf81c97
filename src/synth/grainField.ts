// Resolved sand grains for the matrix looks and crystal speckle for textured stones: a cellular (Worley) field on
// jittered cells of `grainPx`, each grain with its own tone, lit on the side facing the light and dark in the
// pores between grains. Hash-based, so it costs no random draws and is fixed by its seed.

export interface GrainField {
  /** Per pixel, about [-1, 1]: grain tone + relief lighting − pore darkening. */
  relief: Float32Array;
  /** Per pixel, the grain's own hash in [0, 1): which grain (crystal) a pixel belongs to. */
  cell: Float32Array;
}

export interface GrainFieldOptions {
  width: number;
  height: number;
  /** Grain spacing, px (≥ 1.5). */
  grainPx: number;
  seed: number;
  /** Unit vector towards the light in image axes (x right, y down). */
  lightX: number;
  lightY: number;
}

function hash2(x: number, y: number, seed: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

export function grainField(o: GrainFieldOptions): GrainField {
  const { width, height, grainPx: g } = o;
  const gw = Math.ceil(width / g) + 2;
  const gh = Math.ceil(height / g) + 2;
  // Jittered centre and tone of every cell, once (the pixel loop reads them 9 times each).
  const px = new Float32Array(gw * gh);
  const py = new Float32Array(gw * gh);
  const tone = new Float32Array(gw * gh);
  for (let cy = 0; cy < gh; cy++) {
    for (let cx = 0; cx < gw; cx++) {
      const c = cy * gw + cx;
      px[c] = (cx - 1 + 0.1 + 0.8 * hash2(cx, cy, o.seed)) * g;
      py[c] = (cy - 1 + 0.1 + 0.8 * hash2(cx, cy, o.seed ^ 0x5bd1e995)) * g;
      tone[c] = hash2(cx, cy, o.seed ^ 0x1b873593);
    }
  }
  const relief = new Float32Array(width * height);
  const cell = new Float32Array(width * height);
  const inv = 1 / g;
  for (let i = 0; i < height; i++) {
    const y = i + 0.5;
    const cyc = Math.floor(y * inv) + 1;
    for (let j = 0; j < width; j++) {
      const x = j + 0.5;
      const cxc = Math.floor(x * inv) + 1;
      let d1 = Infinity;
      let d2 = Infinity;
      let best = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const row = (cyc + dy) * gw;
        for (let dx = -1; dx <= 1; dx++) {
          const c = row + cxc + dx;
          const ex = x - px[c]!;
          const ey = y - py[c]!;
          const d = ex * ex + ey * ey;
          if (d < d1) {
            d2 = d1;
            d1 = d;
            best = c;
          } else if (d < d2) d2 = d;
        }
      }
      const ex = (x - px[best]!) * inv;
      const ey = (y - py[best]!) * inv;
      // Pores: where the nearest two grains are about equally near (F2 − F1 small).
      const pore = Math.max(0, 1 - (Math.sqrt(d2) - Math.sqrt(d1)) * inv * 2.5);
      const lit = -(ex * o.lightX + ey * o.lightY) * 1.2;
      const p = i * width + j;
      relief[p] = (tone[best]! - 0.5) * 0.9 + lit - 0.8 * pore;
      cell[p] = tone[best]!;
    }
  }
  return { relief, cell };
}
