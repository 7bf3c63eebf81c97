// The on-disk layout every command shares (annotate writes it, synth writes it, train and evaluate read it):
//   DIR/images/NAME.ext        the photo
//   DIR/instances/NAME.png     16-bit instance ids, 0 = background
//   DIR/masks/NAME.png         8-bit target: 0 background, 1 body, 2 boundary, 255 ignore
//   DIR/labels/NAME.json       LabelMe polygons of the visible particles
//   DIR/annotations.json       COCO for all images
import { open } from 'node:fs/promises';
import { posix, join } from 'node:path';
import type { InstanceMap } from '../core/index.js';
import { writeClassMaskPng, writeInstancePng, writeJsonAtomic, writeViaTemp } from '../io/index.js';
import type { ExportImage } from './export.js';
import { cocoParts, toLabelme } from './export.js';
import { rasterizeInstances } from './rasterize.js';
import { makeClassMask } from './target.js';

export interface WriteImageOptions {
  /** @default 2 */
  boundaryPx?: number;
  /** 1 inside the region of interest; pixels outside become background in instances and `ignore` in masks. */
  roi?: Uint8Array | undefined;
  /** 1 where the target must be `ignore` although inside the ROI (crowd regions), unless a particle covers it. */
  ignore?: Uint8Array | undefined;
}

/**
 * How label coordinates refer to pixels. `corner` (default, the project's convention, COCO's and CVAT's): pixel
 * corners at integers. `center`: coordinates are pixel indices and outlines run through the centres of boundary
 * pixels (OpenCV findContours, LabelMe's own mask export): a pixel is inside when its centre is inside or on the
 * outline, so a single point or a line of points is a particle too.
 */
export const PIXEL_ORIGINS = ['corner', 'center'] as const;
export type PixelOrigin = (typeof PIXEL_ORIGINS)[number];

export interface WrittenImage {
  instances: InstanceMap;
  /** Pixels per class in the mask: [background, body, boundary, ignore]. */
  classCounts: [number, number, number, number];
}

/**
 * Rasterizes one image's resolved (non-overlapping) instances and writes instances/, masks/ and labels/ for it.
 * `image.fileName` is the image path relative to `outDir` (e.g. `images/NAME.jpg`).
 */
export async function writeAnnotatedImage(
  outDir: string,
  image: ExportImage,
  options: WriteImageOptions = {},
): Promise<WrittenImage> {
  const { width, height } = image;
  const map = rasterizeInstances(image.instances, width, height);
  let valid: Uint8Array | undefined;
  if (options.roi || options.ignore) {
    valid = new Uint8Array(width * height).fill(1);
    for (let p = 0; p < valid.length; p++) {
      if (options.roi && options.roi[p] === 0) valid[p] = 0;
      else if (options.ignore && options.ignore[p] === 1 && map.data[p] === 0) valid[p] = 0;
    }
  }
  // The boundary band is computed before the ROI cut, so a particle cut by the ROI gets no false outline there.
  const mask = makeClassMask(map, { boundaryPx: options.boundaryPx, valid });
  if (options.roi) for (let p = 0; p < map.data.length; p++) if (options.roi[p] === 0) map.data[p] = 0;
  const classCounts: [number, number, number, number] = [0, 0, 0, 0];
  for (const v of mask.data) classCounts[v === 255 ? 3 : v]! += 1;
  const labelme = toLabelme({ ...image, fileName: posix.relative('labels', image.fileName) });
  await Promise.all([
    writeInstancePng(join(outDir, 'instances', `${image.name}.png`), map),
    writeClassMaskPng(join(outDir, 'masks', `${image.name}.png`), mask),
    writeJsonAtomic(join(outDir, 'labels', `${image.name}.json`), labelme),
  ]);
  return { instances: map, classCounts };
}

/** Writes DIR/annotations.json (COCO) for all images of a run. */
/**
 * annotations.json for all images. Streamed, one annotation per line, through a temporary file: a single
 * JSON.stringify of a few hundred synthetic 1500² images (~700 MB) is past V8's longest string.
 */
export async function writeCocoIndex(outDir: string, images: readonly ExportImage[]): Promise<void> {
  const parts = cocoParts(images);
  await writeViaTemp(join(outDir, 'annotations.json'), async (tmp) => {
    const file = await open(tmp, 'w');
    try {
      const head = { info: parts.info, images: parts.images, categories: parts.categories };
      await file.write(`${JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "annotations": [')}\n`);
      let chunk: string[] = [];
      let first = true;
      for (const ann of parts.annotations()) {
        chunk.push(`${first ? '' : ',\n'}    ${JSON.stringify(ann)}`);
        first = false;
        if (chunk.length >= 2000) {
          await file.write(chunk.join(''));
          chunk = [];
        }
      }
      await file.write(`${chunk.join('')}\n  ]\n}\n`);
    } finally {
      await file.close();
    }
  });
}
