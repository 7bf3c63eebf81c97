// COCO JSON: several images per file; polygon lists (one particle, several parts) or RLE; categories;
// iscrowd = 1 marks a crowd region, which becomes `ignore` in the target. Later annotations lie on top.
import { z } from 'zod';
import type { AnnotationIssue } from '../report.js';
import { DEFAULT_MAX_PIXELS } from '../../core/index.js';
import type { ParseLimits, RawImageLabels, RawMask } from './types.js';
import { parseWithSchema } from './parseJson.js';
import { decodeCocoRleString, runsToBits } from './rle.js';

const id = z.union([z.number(), z.string()]);
const rle = z.object({
  counts: z.union([z.array(z.number().int()), z.string()]),
  size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
});
const CocoSchema = z.object({
  images: z.array(
    z.object({
      id,
      file_name: z.string(),
      width: z.number().int().positive().nullish(),
      height: z.number().int().positive().nullish(),
    }),
  ),
  annotations: z.array(
    z.object({
      id: id.nullish(),
      image_id: id,
      category_id: id.nullish(),
      segmentation: z.union([z.array(z.array(z.number().nullable())), rle]),
      iscrowd: z.union([z.number(), z.boolean()]).nullish(),
    }),
  ),
  categories: z.array(z.object({ id, name: z.string() })).nullish(),
});

export function isCoco(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'images' in value && 'annotations' in value;
}

export function parseCoco(value: unknown, file: string, limits: ParseLimits = { maxPixels: DEFAULT_MAX_PIXELS }): { images: RawImageLabels[]; issues: AnnotationIssue[] } {
  const doc = parseWithSchema(CocoSchema, value, file, 'COCO');
  const issues: AnnotationIssue[] = [];
  const byId = new Map<string, RawImageLabels>();
  const images: RawImageLabels[] = [];
  doc.images.forEach((im, k) => {
    const key = String(im.id);
    if (byId.has(key)) {
      issues.push({
        severity: 'error',
        code: 'duplicate_id',
        file,
        image: im.file_name,
        message: `image id ${key} is used twice (images[${k}])`,
        action: 'skipped the second image entry; give every image a unique id',
      });
      return;
    }
    const labels: RawImageLabels = {
      labelFile: file,
      imageRef: im.file_name,
      width: im.width ?? undefined,
      height: im.height ?? undefined,
      shapes: [],
    };
    byId.set(key, labels);
    images.push(labels);
  });
  const categories = new Map((doc.categories ?? []).map((c) => [String(c.id), c.name]));
  const seenAnnIds = new Set<string>();
  doc.annotations.forEach((ann, index) => {
    const annName = `annotations[${index}]${ann.id === null || ann.id === undefined ? '' : ` id=${ann.id}`}`;
    const target = byId.get(String(ann.image_id));
    const catKey = ann.category_id === null || ann.category_id === undefined ? undefined : String(ann.category_id);
    let label = catKey === undefined ? 'particle' : categories.get(catKey);
    if (label === undefined) {
      label = `category_${catKey}`;
      issues.push({
        severity: 'warning',
        code: 'unknown_category',
        file,
        annotation: annName,
        message: `category_id ${catKey} is not in categories`,
        action: `labelled "${label}"`,
      });
    }
    if (!target) {
      issues.push({
        severity: 'error',
        code: 'unknown_image',
        file,
        annotation: annName,
        label,
        message: `image_id ${ann.image_id} is not in images`,
        action: 'skipped; add the image to images[] or fix image_id',
      });
      return;
    }
    let annId = ann.id ?? undefined;
    if (annId !== undefined) {
      if (seenAnnIds.has(String(annId))) {
        issues.push({
          severity: 'repair',
          code: 'duplicate_id',
          file,
          image: target.imageRef,
          annotation: annName,
          label,
          message: `annotation id ${annId} is used twice`,
          action: 'kept as a separate particle (ids are not used for matching)',
        });
        annId = `${annId}#${index}`;
      }
      seenAnnIds.add(String(annId));
    }
    const crowd = ann.iscrowd === 1 || ann.iscrowd === true;
    const seg = ann.segmentation;
    let rings: (number | null)[][][] = [];
    let mask: RawMask | undefined;
    if (Array.isArray(seg)) {
      rings = seg.map((flat) => {
        const ring: (number | null)[][] = [];
        for (let k = 0; k + 1 < flat.length; k += 2) ring.push([flat[k] ?? null, flat[k + 1] ?? null]);
        if (flat.length % 2 === 1) ring.push([flat[flat.length - 1] ?? null, null]);
        return ring;
      });
    } else {
      const [h, w] = seg.size;
      // An RLE mask covers the whole image: its size is checked before its pixels are allocated.
      const sizeProblem =
        target.width !== undefined && target.height !== undefined && (w !== target.width || h !== target.height)
          ? `RLE size ${w}×${h} (size: [${h}, ${w}]) is not the image's ${target.width}×${target.height}`
          : w * h > limits.maxPixels
            ? `RLE size ${w}×${h} = ${w * h} px is over the limit of ${limits.maxPixels} px (--max-pixels)`
            : undefined;
      if (sizeProblem !== undefined) {
        issues.push({ severity: 'error', code: 'malformed_file', file, image: target.imageRef, annotation: annName, label, message: sizeProblem, action: 'skipped' });
        return;
      }
      try {
        const counts = typeof seg.counts === 'string' ? decodeCocoRleString(seg.counts) : seg.counts;
        mask = { left: 0, top: 0, width: w, height: h, bits: runsToBits(counts, w, h, true) };
      } catch (cause) {
        issues.push({
          severity: 'error',
          code: 'malformed_file',
          file,
          image: target.imageRef,
          annotation: annName,
          label,
          message: `RLE segmentation cannot be decoded (${(cause as Error).message})`,
          action: 'skipped',
        });
        return;
      }
    }
    target.shapes.push({ index, id: annId, label, rings, mask, z: 0, occluded: false, crowd });
  });
  return { images, issues };
}
