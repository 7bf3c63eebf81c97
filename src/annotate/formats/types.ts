// The common shape every label format is parsed into, before validation.

/** A binary mask given by a format (COCO RLE, CVAT mask), placed at (left, top) in the image. */
export interface RawMask {
  left: number;
  top: number;
  width: number;
  height: number;
  /** Row-major, 1 = inside. */
  bits: Uint8Array;
}

export interface RawShape {
  /** 0-based position in the label file (or among the image's shapes), for messages. */
  index: number;
  /** The format's own id, when it has one (COCO annotation id). */
  id?: string | number | undefined;
  label: string;
  /** Rings as found in the file; coordinates may be NaN/null (reported by validation). */
  rings: (number | null)[][][];
  mask?: RawMask | undefined;
  /** Higher is on top; ties broken by order. */
  z: number;
  occluded: boolean;
  /** Shapes with the same non-empty group key are one particle (LabelMe/CVAT group_id). */
  group?: string | undefined;
  /** COCO iscrowd = 1: a region of many particles, not one. Becomes `ignore` in the target. */
  crowd: boolean;
}

export interface RawImageLabels {
  labelFile: string;
  /** The image as the label file references it (path or file name). */
  imageRef: string;
  /** Image size recorded in the label file, if any. */
  width?: number | undefined;
  height?: number | undefined;
  shapes: RawShape[];
}

export type LabelFormat = 'labelme' | 'coco' | 'cvat';

/** Limits the parsers apply before allocating anything of a size a label file declares. */
export interface ParseLimits {
  /** A mask (COCO RLE, CVAT mask) may not cover more pixels. */
  maxPixels: number;
}
