// The files a review writes into DIR/review, in formats `photosieve annotate` reads as they are:
//   NAME.json   LabelMe, one polygon shape per particle piece, group_id = the particle id, imagePath → the photo,
//               relative to the file's own folder (review/a/x.json of a `segment --recursive` photo a/x is one
//               folder deeper), as LabelMe and annotate resolve it
//   coco.json   COCO for every photo with a review file, rewritten after saves; file_name relative to DIR/review
//   state.json  per photo: reviewed or not, how many saves, particle count
// Every file goes through a temporary file and a rename.
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { dirname, join, posix, relative, sep } from 'node:path';
import { z } from 'zod';
import type { ExportImage } from '../annotate/index.js';
import { canonicalize, cocoParts, pixelArea, readLabelFile, toLabelme } from '../annotate/index.js';
import { MAX_INSTANCE_ID, PhotosieveError, multiPolygonBBox } from '../core/index.js';
import { writeFileAtomic, writeJsonAtomic, writeViaTemp } from '../io/index.js';
import { REVIEW_FOLDER } from './loadReviewRun.js';
import type { FlatPolygon, FlatRing, ReviewParticle } from './particles.js';
import { flatRing, fromMultiPolygon, toMultiPolygon } from './particles.js';

export const REVIEW_LABEL = 'particle';
export const STATE_FILE = 'state.json';
export const COCO_FILE = 'coco.json';

export function reviewFolder(dir: string): string {
  return join(dir, REVIEW_FOLDER);
}

export function reviewFileOf(dir: string, name: string): string {
  return join(reviewFolder(dir), `${name}.json`);
}

/** A path relative to `from`, with `/`. */
function refFrom(from: string, path: string): string {
  return relative(from, path).split(sep).join(posix.sep);
}

/** The photo as coco.json names it: relative to DIR/review with `/`, as annotate resolves a COCO file's images. */
export function photoRef(dir: string, photoPath: string): string {
  return refFrom(reviewFolder(dir), photoPath);
}

/**
 * The photo as review/NAME.json names it: relative to that file's own folder with `/`, as LabelMe and annotate
 * resolve a LabelMe imagePath. The same as photoRef for a photo whose name has no folder.
 */
export function labelmePhotoRef(dir: string, name: string, photoPath: string): string {
  return refFrom(dirname(reviewFileOf(dir, name)), photoPath);
}

export interface ReviewImage {
  name: string;
  /** The photo as the file being written names it: photoRef (coco.json) or labelmePhotoRef (NAME.json). */
  fileName: string;
  width: number;
  height: number;
}

export function exportImageOf(image: ReviewImage, particles: Iterable<ReviewParticle>): ExportImage {
  const instances = [...particles].map((p) => ({ id: p.id, label: REVIEW_LABEL, geometry: toMultiPolygon(p.polygons) }));
  return { ...image, instances };
}

/**
 * Each particle's LabelMe shapes and COCO annotation as JSON text, kept while the particle object lives: stored
 * particles are never changed in place (a save replaces the changed ones), so a save of a photo of 10,000 stones
 * serializes only what changed.
 */
const labelmeText = new WeakMap<ReviewParticle, string[]>();
const cocoText = new WeakMap<ReviewParticle, string>();

/** [[x0,y0],[x1,y1],…] of a flat ring, as JSON.stringify writes it. */
function pointsJson(ring: FlatRing): string {
  const parts: string[] = [];
  for (let k = 0; k + 1 < ring.length; k += 2) parts.push(`[${ring[k]},${ring[k + 1]}]`);
  return `[${parts.join(',')}]`;
}

/** One polygon without holes (nearly every stone): the JSON is written straight from the flat ring. */
function simple(p: ReviewParticle): FlatRing | null {
  return p.polygons.length === 1 && p.polygons[0]!.length === 1 ? p.polygons[0]![0]! : null;
}

/** The particle's LabelMe shapes as JSON, exactly as toLabelme(…, 'always') gives them. */
export function labelmeShapesJson(image: ReviewImage, p: ReviewParticle): string[] {
  let text = labelmeText.get(p);
  if (!text) {
    const ring = simple(p);
    text = ring
      ? [`{"label":${JSON.stringify(REVIEW_LABEL)},"points":${pointsJson(ring)},"group_id":${p.id},"description":"","shape_type":"polygon","flags":{}}`]
      : toLabelme(exportImageOf(image, [p]), '5.5.0', 'always').shapes.map((s) => JSON.stringify(s));
    labelmeText.set(p, text);
  }
  return text;
}

/**
 * The particle's COCO annotation after id, image_id and category_id (`"segmentation":…}`), exactly as cocoParts
 * writes those fields; '' when it has no piece.
 */
export function cocoAnnotationTail(image: ReviewImage, p: ReviewParticle): string {
  let text = cocoText.get(p);
  if (text === undefined) {
    const ring = simple(p);
    if (ring) {
      const mp = toMultiPolygon(p.polygons);
      const b = multiPolygonBBox(mp);
      const bbox = [b.minX, b.minY, b.maxX - b.minX, b.maxY - b.minY];
      text = `"segmentation":[${JSON.stringify(ring)}],"area":${pixelArea(mp, image.width, image.height)},"bbox":${JSON.stringify(bbox)},"iscrowd":0,"instance_id":${p.id}}`;
    } else {
      const first = cocoParts([exportImageOf(image, [p])]).annotations().next();
      const ann = first.done ? undefined : first.value;
      const fields: Record<string, unknown> = ann ? { ...ann } : {};
      for (const k of ['id', 'image_id', 'category_id']) delete fields[k];
      text = ann ? JSON.stringify(fields).slice(1) : '';
    }
    cocoText.set(p, text);
  }
  return text;
}

/** LabelMe JSON with one shape per line: a photo of 10,000 stones stays a file one can open and diff. */
export async function writeReviewLabelme(file: string, image: ReviewImage, particles: Iterable<ReviewParticle>): Promise<void> {
  const head = Object.entries(toLabelme(exportImageOf(image, []), '5.5.0', 'always')).filter(([k]) => k !== 'shapes');
  const lines = head.map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const shapes: string[] = [];
  for (const p of particles) for (const s of labelmeShapesJson(image, p)) shapes.push(`    ${s}`);
  await writeFileAtomic(file, `{\n${lines.join(',\n')},\n  "shapes": [${shapes.length ? `\n${shapes.join(',\n')}\n  ` : ''}]\n}\n`);
}

function damaged(file: string, name: string, what: string): PhotosieveError {
  return new PhotosieveError('E_LABELS', what, { file, fix: `repair it, or delete it to start ${name} again from instances/${name}.png` });
}

/**
 * Reads a review file back with annotate's LabelMe reader. Its imagePath is not used (the photo is run.json's), so
 * files written before imagePath was made relative to their own folder (one `..` short for a photo a/x) read as
 * before; the next save rewrites the path. Shapes sharing a group_id are one particle, whose id it
 * is (pieces are united again, so holes come back); shapes without a usable id get fresh ids.
 */
export async function readReviewLabelme(file: string, name: string, width: number, height: number): Promise<ReviewParticle[]> {
  let parsed: Awaited<ReturnType<typeof readLabelFile>>;
  try {
    parsed = await readLabelFile(file, 'labelme');
  } catch (err) {
    throw err instanceof PhotosieveError ? damaged(file, name, err.message) : err;
  }
  const im = parsed.images[0]!;
  if ((im.width !== undefined && im.width !== width) || (im.height !== undefined && im.height !== height)) {
    throw damaged(file, name, `made for a ${im.width}×${im.height} image, but instances/${name}.png is ${width}×${height}.`);
  }
  const groups = new Map<string, { id: number | null; pieces: FlatPolygon[] }>();
  for (const shape of im.shapes) {
    const rings = shape.rings.map((ring) => {
      if (ring.some((p) => p.length < 2 || p.some((v) => v === null || !Number.isFinite(v)))) throw damaged(file, name, `shape #${shape.index} has a missing or non-finite coordinate.`);
      return flatRing(ring as number[][]);
    });
    const key = shape.group ?? `\u0001${shape.index}`;
    let g = groups.get(key);
    if (!g) {
      const id = shape.group === undefined ? NaN : Number(shape.group.slice(shape.group.indexOf('\u0000') + 1));
      groups.set(key, (g = { id: Number.isInteger(id) && id >= 1 && id <= MAX_INSTANCE_ID ? id : null, pieces: [] }));
    }
    g.pieces.push(rings);
  }
  const used = new Set<number>();
  const out: ReviewParticle[] = [];
  const later: FlatPolygon[][] = [];
  for (const g of groups.values()) {
    const polygons = g.pieces.length === 1 ? g.pieces : fromMultiPolygon(canonicalize(toMultiPolygon(g.pieces)));
    if (polygons.length === 0) continue;
    if (g.id !== null && !used.has(g.id)) {
      used.add(g.id);
      out.push({ id: g.id, polygons });
    } else later.push(polygons);
  }
  let next = 1;
  for (const polygons of later) {
    while (used.has(next)) next += 1;
    if (next > MAX_INSTANCE_ID) throw damaged(file, name, `more than ${MAX_INSTANCE_ID} particles.`);
    used.add(next);
    out.push({ id: next, polygons });
  }
  return out;
}

const stateSchema = z.object({
  tool: z.literal('photosieve review'),
  photos: z.array(
    z.object({
      name: z.string(),
      reviewed: z.boolean(),
      saves: z.number().int().min(0),
      savedAt: z.string().nullable(),
      particles: z.number().int().min(0).nullable(),
    }),
  ),
});

export type PhotoReviewState = z.infer<typeof stateSchema>['photos'][number];

/** state.json as a map by photo name; a missing file is an empty map, a damaged one an error naming the fix. */
export async function readReviewState(dir: string): Promise<Map<string, PhotoReviewState>> {
  const file = join(reviewFolder(dir), STATE_FILE);
  if (!existsSync(file)) return new Map();
  const fix = 'repair it, or delete it (the review files stay; only the reviewed marks are lost)';
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new PhotosieveError('E_INPUT', `not valid JSON (${(cause as Error).message}).`, { file, fix, cause });
  }
  const r = stateSchema.safeParse(json);
  if (!r.success) throw new PhotosieveError('E_INPUT', `not a state.json written by photosieve review: ${r.error.issues[0]!.message}.`, { file, fix });
  return new Map(r.data.photos.map((p) => [p.name, p]));
}

export async function writeReviewState(dir: string, photos: readonly PhotoReviewState[]): Promise<void> {
  const reviewed = photos.filter((p) => p.reviewed).length;
  await writeJsonAtomic(join(reviewFolder(dir), STATE_FILE), { tool: 'photosieve review', reviewed, total: photos.length, photos });
}

/** One photo of the COCO file; its particles are loaded only when its turn comes, so memory holds one photo. */
export interface CocoSource extends ReviewImage {
  particles(): Promise<Iterable<ReviewParticle>>;
}

/** review/coco.json for the given photos, streamed one annotation per line (the layout of annotate's own COCO). */
export async function writeReviewCoco(dir: string, sources: readonly CocoSource[]): Promise<void> {
  const head = {
    info: { description: 'written by photosieve review', version: '1.0' },
    images: sources.map((s, k) => ({ id: k + 1, file_name: s.fileName, width: s.width, height: s.height })),
    categories: [{ id: 1, name: REVIEW_LABEL, supercategory: 'particle' }],
  };
  await writeViaTemp(join(reviewFolder(dir), COCO_FILE), async (tmp) => {
    const file = await open(tmp, 'w');
    try {
      await file.write(`${JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "annotations": [')}\n`);
      let id = 0;
      for (const [k, source] of sources.entries()) {
        const lines: string[] = [];
        for (const p of await source.particles()) {
          const tail = cocoAnnotationTail(source, p);
          if (tail === '') continue;
          id += 1;
          lines.push(`${id === 1 ? '' : ',\n'}    {"id":${id},"image_id":${k + 1},"category_id":1,${tail}`);
        }
        await file.write(lines.join(''));
      }
      await file.write('\n  ]\n}\n');
    } finally {
      await file.close();
    }
  });
}
