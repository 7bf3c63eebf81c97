// Visible outlines after occlusion, cut to the frame. The geometry comes from annotate's resolveOverlaps (the
// same z-order rule as hand-made labels); this module only decides which stones are worth clipping.
//
// Most fines end up wholly under bigger stones. A painter's pass with annotate's rasterizer finds them first:
// a stone that owns no pixel centre when all stones are painted bottom to top has no visible pixel, and leaving
// it out of the clipping changes no pixel of any other stone's visible part (whatever it would have hidden is
// hidden by the stones above it too). That keeps polygon clipping to the stones that are actually seen.
import type { MultiPolygon } from '../core/index.js';
import { multiPolygonBBox } from '../core/index.js';
import { fillMultiPolygon, intersect, rectPolygon, resolveOverlaps } from '../annotate/index.js';
import type { PlacedParticle } from './layoutParticles.js';

export interface VisibleGeometry {
  /** Visible, frame-clipped geometry per particle (input order); empty when no pixel of it is seen. */
  visible: MultiPolygon[];
  /** Particle indices from bottom to top (z, then input order): the order ids are given in. */
  bottomUp: number[];
}

/** `roi` (1 = inside): a stone seen only outside it counts as not seen. */
export function visibleGeometry(
  particles: readonly PlacedParticle[],
  width: number,
  height: number,
  roi?: Uint8Array,
): VisibleGeometry {
  const n = particles.length;
  const bottomUp = particles.map((_, k) => k).sort((i, j) => particles[i]!.z - particles[j]!.z || i - j);
  const top = new Int32Array(width * height);
  for (const k of bottomUp) fillMultiPolygon([[particles[k]!.shape.outline]], width, height, top, k + 1);
  const painted = new Uint32Array(n + 1);
  for (let p = 0; p < top.length; p++) if (!roi || roi[p] === 1) painted[top[p]!]! += 1;

  const seen = bottomUp.filter((k) => painted[k + 1]! > 0);
  const resolved = resolveOverlaps(seen.map((k) => ({ geometry: [[particles[k]!.shape.outline]], z: particles[k]!.z })));
  const visible: MultiPolygon[] = particles.map(() => []);
  const frame = rectPolygon(0, 0, width, height);
  seen.forEach((k, s) => {
    let geometry = resolved.visible[s]!;
    if (geometry.length === 0) return;
    const box = multiPolygonBBox(geometry);
    // Label readers reject points outside the image, and pixels there do not exist anyway.
    if (box.minX < 0 || box.minY < 0 || box.maxX > width || box.maxY > height) geometry = intersect(geometry, frame);
    visible[k] = geometry;
  });
  return { visible, bottomUp };
}
