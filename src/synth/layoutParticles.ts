// Drops the particles of one image into the frame: where each lands, how it is turned, and which lies on which.
// Small stones lie under big ones (z = b-axis), as they settle in a shaken tray. With `large-first`, big stones
// are dropped first and each later stone tries a few spots and takes the least covered one, so the fines fill
// the gaps instead of piling under boulders; with `random`, sizes come in random order and land anywhere.
import type { DropOrder } from './options.js';
import type { ParticleShape } from './particleShape.js';
import { buryShape } from './buryShape.js';
import { makeParticleShape } from './particleShape.js';
import type { Random } from './random.js';
import type { ParticleSize } from './sampleSizes.js';

export interface PlacedParticle extends ParticleSize {
  /** Drawing order: higher is on top. */
  z: number;
  shape: ParticleShape;
}

export interface LayoutOptions {
  width: number;
  height: number;
  /** @default 'large-first' */
  order?: DropOrder;
  /** Mean roundness; each particle varies by ±0.15. @default 0.5 */
  roundness?: number;
  /** Mean roughness; each particle varies by ±0.15. @default 0.3 */
  roughness?: number;
  /** Spots tried per stone with `large-first`. @default 8 */
  candidates?: number;
  /** Flat fracture faces per stone, at most (angular looks). @default 0 */
  fractures?: number;
  /** Largest buried fraction of a stone's radius (matrix looks); 0 = lying on top. @default 0 */
  burial?: number;
}

const CELL_PX = 4;

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

/** Returns the particles in drop order with position, rotation, outline and z. */
export function layoutParticles(rng: Random, sizes: readonly ParticleSize[], options: LayoutOptions): PlacedParticle[] {
  const { width, height } = options;
  const order = options.order ?? 'large-first';
  const candidates = order === 'large-first' ? (options.candidates ?? 8) : 1;
  const roundness = options.roundness ?? 0.5;
  const roughness = options.roughness ?? 0.3;
  const fractures = options.fractures ?? 0;
  const burial = options.burial ?? 0;
  // Burial draws from its own stream, so the stones' sizes, spots and outlines are those of the unburied look.
  const burialRng = rng.split(1);

  const sequence = sizes.map((_, k) => k);
  if (order === 'large-first') sequence.sort((i, j) => sizes[j]!.bPx - sizes[i]!.bPx || i - j);
  else {
    for (let k = sequence.length - 1; k > 0; k--) {
      const r = Math.floor(rng.uniform() * (k + 1));
      [sequence[k], sequence[r]] = [sequence[r]!, sequence[k]!];
    }
  }

  const gw = Math.ceil(width / CELL_PX) + 1;
  const gh = Math.ceil(height / CELL_PX) + 1;
  const cover = new Uint8Array(gw * gh);
  const coverAt = (x: number, y: number): number => {
    const gx = Math.floor(x / CELL_PX);
    const gy = Math.floor(y / CELL_PX);
    // Outside the frame counts as covered so that stones are not pushed out of the picture.
    if (gx < 0 || gy < 0 || gx >= gw || gy >= gh) return 2;
    return cover[gy * gw + gx]!;
  };

  const placed: PlacedParticle[] = [];
  for (const k of sequence) {
    const size = sizes[k]!;
    const angle = rng.uniform() * Math.PI;
    const ca = Math.cos(angle);
    const sa = Math.sin(angle);
    const ra = size.aPx / 2;
    const rb = size.bPx / 2;
    const margin = size.bPx / 4;
    let best = { x: 0, y: 0, score: Infinity };
    for (let c = 0; c < candidates; c++) {
      const x = -margin + rng.uniform() * (width + 2 * margin);
      const y = -margin + rng.uniform() * (height + 2 * margin);
      if (candidates === 1) {
        best = { x, y, score: 0 };
        break;
      }
      let score = Math.min(3, coverAt(x, y));
      for (let s = 0; s < 12; s++) {
        const t = (s * Math.PI) / 3 + (s >= 6 ? Math.PI / 6 : 0);
        const f = s >= 6 ? 0.85 : 0.45;
        const ex = f * ra * Math.cos(t);
        const ey = f * rb * Math.sin(t);
        score += Math.min(3, coverAt(x + ex * ca - ey * sa, y + ex * sa + ey * ca));
      }
      if (score < best.score) best = { x, y, score };
      if (score === 0) break;
    }
    const drawn = makeParticleShape(rng, {
      aPx: size.aPx,
      bPx: size.bPx,
      cx: best.x,
      cy: best.y,
      angleRad: angle,
      roundness: clamp01(roundness + 0.15 * (2 * rng.uniform() - 1)),
      roughness: clamp01(roughness + 0.15 * (2 * rng.uniform() - 1)),
      fractures,
    });
    const shape = burial > 0 ? buryShape(burialRng, drawn, burial) : drawn;
    placed.push({ ...size, z: size.bPx, shape });
    // Mark the covered cells with the moment ellipse: close enough to the outline for choosing spots.
    const ext = Math.ceil(ra / CELL_PX) + 1;
    const g0x = Math.floor(best.x / CELL_PX);
    const g0y = Math.floor(best.y / CELL_PX);
    for (let gy = Math.max(0, g0y - ext); gy <= Math.min(gh - 1, g0y + ext); gy++) {
      for (let gx = Math.max(0, g0x - ext); gx <= Math.min(gw - 1, g0x + ext); gx++) {
        const dx = (gx + 0.5) * CELL_PX - best.x;
        const dy = (gy + 0.5) * CELL_PX - best.y;
        const u = (dx * ca + dy * sa) / ra;
        const v = (-dx * sa + dy * ca) / rb;
        if (u * u + v * v <= 1) {
          const p = gy * gw + gx;
          if (cover[p]! < 255) cover[p]! += 1;
        }
      }
    }
  }
  return placed;
}
