// The particles of one photo as the review page and server exchange them: each particle is an id and its polygons,
// every ring a flat [x0, y0, x1, y1, …] list in image pixels (corner convention). Flat rings keep a photo of
// 10,000 traced stones a few MB of JSON instead of tens, and convert to the MultiPolygons of src/annotate on demand.
import type { MultiPolygon, Ring } from '../core/index.js';
import { MAX_INSTANCE_ID, polygonArea } from '../core/index.js';

/** One ring as a flat list of coordinates, the closing point implied. */
export type FlatRing = number[];
/** Outer ring first, then holes. */
export type FlatPolygon = FlatRing[];

export interface ReviewParticle {
  /** 1..65535, so the set still fits a 16-bit instance PNG. */
  id: number;
  polygons: FlatPolygon[];
}

/** A save from the page: the changes since the version it last saw. */
export interface ParticleChanges {
  /** The version the page's edits are based on; a different current version is a conflict. */
  base: number;
  /** New or changed particles (a changed particle replaces the one with its id). */
  upsert: ReviewParticle[];
  /** Ids to delete; an id that is not there is ignored. */
  remove: number[];
}

export function toRing(flat: FlatRing): Ring {
  const ring: Ring = [];
  for (let k = 0; k + 1 < flat.length; k += 2) ring.push([flat[k]!, flat[k + 1]!]);
  return ring;
}

/** A ring as a flat list without repeated consecutive points and without the closing copy of the first point. */
export function flatRing(ring: readonly (readonly number[])[]): FlatRing {
  const out: FlatRing = [];
  for (const p of ring) {
    const n = out.length;
    if (n >= 2 && out[n - 2] === p[0] && out[n - 1] === p[1]) continue;
    out.push(p[0]!, p[1]!);
  }
  if (out.length >= 4 && out[0] === out[out.length - 2] && out[1] === out[out.length - 1]) out.length -= 2;
  return out;
}

/** Drops repeated points of a flat ring (same rule as flatRing). */
export function dedupeFlat(flat: FlatRing): FlatRing {
  return flatRing(toRing(flat));
}

export function toMultiPolygon(polygons: readonly FlatPolygon[]): MultiPolygon {
  return polygons.map((polygon) => polygon.map(toRing));
}

/** Polygons and holes with fewer than 3 distinct points or no area are dropped. */
export function fromMultiPolygon(mp: MultiPolygon): FlatPolygon[] {
  const out: FlatPolygon[] = [];
  for (const polygon of mp) {
    const [outer, ...holes] = polygon.map(flatRing);
    if (outer === undefined || outer.length < 6) continue;
    const rings = [outer, ...holes.filter((r) => r.length >= 6 && polygonArea([toRing(r)]) > 0)];
    if (polygonArea(rings.map(toRing)) <= 0) continue;
    out.push(rings);
  }
  return out;
}

export function particleArea(polygons: readonly FlatPolygon[]): number {
  let area = 0;
  for (const polygon of toMultiPolygon(polygons)) area += polygonArea(polygon);
  return area;
}

/** Why a particle sent by the page cannot be stored, or null when it can; coordinates must lie in the image. */
export function particleProblem(p: ReviewParticle, width: number, height: number): string | null {
  if (!Number.isInteger(p.id) || p.id < 1 || p.id > MAX_INSTANCE_ID) return `particle id ${p.id} is not an integer from 1 to ${MAX_INSTANCE_ID}`;
  if (p.polygons.length === 0) return `particle ${p.id} has no polygon`;
  const slack = 1e-6;
  for (const [k, polygon] of p.polygons.entries()) {
    if (polygon.length === 0) return `particle ${p.id}, polygon ${k}: no ring`;
    for (const [r, ring] of polygon.entries()) {
      if (ring.length % 2 !== 0) return `particle ${p.id}, polygon ${k}, ring ${r}: an odd number of coordinates`;
      for (let c = 0; c < ring.length; c++) {
        const v = ring[c]!;
        const max = c % 2 === 0 ? width : height;
        if (!Number.isFinite(v) || v < -slack || v > max + slack) {
          return `particle ${p.id}, polygon ${k}, ring ${r}: coordinate ${v} lies outside the ${width}×${height} image`;
        }
      }
      if (dedupeFlat(ring).length < 6) return `particle ${p.id}, polygon ${k}, ring ${r}: fewer than 3 distinct points`;
    }
    if (polygonArea(polygon.map(toRing)) <= 0) return `particle ${p.id}, polygon ${k}: no area`;
  }
  return null;
}

/** The stored form: rings without repeated points. */
export function normalizeParticle(p: ReviewParticle): ReviewParticle {
  return { id: p.id, polygons: p.polygons.map((polygon) => polygon.map(dedupeFlat)) };
}
