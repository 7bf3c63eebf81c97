// Exporters: resolved instances → COCO JSON and LabelMe JSON. Holes are split into hole-free pieces (see
// splitHoles); a particle in several pieces is one COCO annotation with several polygons, and in LabelMe several
// shapes sharing a group_id — the forms our importers read back as one particle.
import type { MultiPolygon, Polygon } from '../core/index.js';
import { multiPolygonBBox } from '../core/index.js';
import { splitHoles } from './clip.js';
import { pixelArea } from './rasterize.js';

export interface ExportInstance {
  /** The value of this particle in the instance PNG. */
  id: number;
  label: string;
  geometry: MultiPolygon;
}

export interface ExportImage {
  /** Image stem: outputs are instances/NAME.png etc. */
  name: string;
  /** Path of the image as the label file should reference it. */
  fileName: string;
  width: number;
  height: number;
  instances: readonly ExportInstance[];
}

export interface CocoExport {
  info: { description: string; version: string };
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: {
    id: number;
    image_id: number;
    category_id: number;
    segmentation: number[][];
    area: number;
    bbox: [number, number, number, number];
    iscrowd: 0;
    /** The particle's id in instances/NAME.png. */
    instance_id: number;
  }[];
  categories: { id: number; name: string; supercategory: string }[];
}

export interface LabelmeExport {
  version: string;
  flags: Record<string, never>;
  shapes: {
    label: string;
    points: [number, number][];
    group_id: number | null;
    description: string;
    shape_type: 'polygon';
    flags: Record<string, never>;
  }[];
  imagePath: string;
  imageData: null;
  imageHeight: number;
  imageWidth: number;
}

function holeFreePieces(mp: MultiPolygon): Polygon[] {
  return mp.flatMap(splitHoles);
}

/** COCO's parts, with the annotations as a lazy sequence: a writer can stream them (synth sets reach GBs). */
export function cocoParts(images: readonly ExportImage[]): Omit<CocoExport, 'annotations'> & { annotations: () => Generator<CocoExport['annotations'][number]> } {
  const labels = [...new Set(images.flatMap((im) => im.instances.map((inst) => inst.label)))].sort();
  const categoryId = new Map(labels.map((name, k) => [name, k + 1]));
  function* annotations(): Generator<CocoExport['annotations'][number]> {
    let annId = 0;
    for (const [k, im] of images.entries()) {
      for (const inst of im.instances) {
        const pieces = holeFreePieces(inst.geometry);
        if (pieces.length === 0) continue;
        const b = multiPolygonBBox(inst.geometry);
        annId += 1;
        yield {
          id: annId,
          image_id: k + 1,
          category_id: categoryId.get(inst.label)!,
          segmentation: pieces.map((p) => p[0]!.flatMap(([x, y]) => [x, y])),
          area: pixelArea(inst.geometry, im.width, im.height),
          bbox: [b.minX, b.minY, b.maxX - b.minX, b.maxY - b.minY],
          iscrowd: 0,
          instance_id: inst.id,
        };
      }
    }
  }
  return {
    info: { description: 'written by photosieve', version: '1.0' },
    images: images.map((im, k) => ({ id: k + 1, file_name: im.fileName, width: im.width, height: im.height })),
    categories: labels.map((name, k) => ({ id: k + 1, name, supercategory: 'particle' })),
    annotations,
  };
}

export function toCoco(images: readonly ExportImage[]): CocoExport {
  const parts = cocoParts(images);
  return { info: parts.info, images: parts.images, annotations: [...parts.annotations()], categories: parts.categories };
}

/**
 * Which shapes carry their particle's id as `group_id`: `pieces`, only the pieces of a particle in several parts
 * (one shape needs no group); `always`, every shape, so the ids survive a round trip (review files).
 */
export type LabelmeGroupIds = 'pieces' | 'always';

export function toLabelme(image: ExportImage, labelmeVersion = '5.5.0', groupIds: LabelmeGroupIds = 'pieces'): LabelmeExport {
  const shapes: LabelmeExport['shapes'] = [];
  for (const inst of image.instances) {
    const pieces = holeFreePieces(inst.geometry);
    for (const piece of pieces) {
      shapes.push({
        label: inst.label,
        points: piece[0]!.map(([x, y]) => [x, y]),
        group_id: pieces.length > 1 || groupIds === 'always' ? inst.id : null,
        description: '',
        shape_type: 'polygon',
        flags: {},
      });
    }
  }
  return {
    version: labelmeVersion,
    flags: {},
    shapes,
    imagePath: image.fileName,
    imageData: null,
    imageHeight: image.height,
    imageWidth: image.width,
  };
}
