// Shared value types of the pipeline. Pixel convention (everywhere in photosieve): pixel (row i, col j) covers
// x ∈ [j, j+1), y ∈ [i, i+1); a pixel belongs to a polygon when its centre (j + 0.5, i + 0.5) is inside.

/** A point in image coordinates, in pixels: x to the right, y down; (0, 0) is the top-left corner of pixel (0, 0). */
export type Point = [x: number, y: number];
/** A closed ring of points; the closing edge from the last point back to the first is implied. */
export type Ring = Point[];
/** A polygon: the outer ring first, then its holes (polygon-clipping's layout). */
export type Polygon = Ring[];
/** A set of disjoint polygons: one particle may be seen in several pieces when another stone lies across it. */
export type MultiPolygon = Polygon[];

/** A decoded image: interleaved channels, row-major, EXIF orientation already applied. */
export interface Raster {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  /** Bits per sample of `data`. */
  readonly depth: 8 | 16;
  readonly data: Uint8Array | Uint16Array;
}

/** Per-pixel particle ids, row-major: 0 is background, 1..N are particles. */
export interface InstanceMap {
  readonly width: number;
  readonly height: number;
  readonly data: Int32Array;
}

/** The classes of a training target, as written in masks/NAME.png (the encoding of the real data). */
export const PixelClass = {
  background: 0,
  body: 1,
  boundary: 2,
  /**
   * Scale-band models only: a particle larger than the band this resolution is trained for (its b-axis above
   * meta.sizeBand.maxPx at the tile's scale). The multi-scale stage hands such pixels to a coarser level.
   */
  large: 3,
  /** Outside the region of interest or inside a crowd region: training must not learn from these pixels. */
  ignore: 255,
} as const;
export type PixelClass = (typeof PixelClass)[keyof typeof PixelClass];

/** A 3-class target (plus ignore), row-major, values from PixelClass. */
export interface ClassMask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** The largest id a 16-bit instance PNG can hold. */
export const MAX_INSTANCE_ID = 65535;
