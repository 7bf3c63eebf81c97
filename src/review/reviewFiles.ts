// The files a review writes into DIR/review, in formats `photosieve annotate` reads as they are:
//   NAME.json   LabelMe, one polygon shape per particle piece, group_id = the particle id, imagePath → the photo
//   coco.json   COCO for every photo with a review file, rewritten after saves
//   state.json  per photo: reviewed or not, how many saves, particle count
// Every file goes through a temporary file and a rename.
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { z } from 'zod';
import type { ExportImage } from '../annotate/index.js';
import { canonicalize, cocoParts, readLabelFile, toLabelme } from '../annotate/index.js';
import { MAX_INSTANCE_ID, PhotosieveError } from '../core/index.js';
import { writeFileAtomic, writeJsonAtomic, writeViaTemp } from '../io/index.js';
import { REVIEW_FOLDER } from './loadReviewRun.js';
import type { FlatPolygon, ReviewParticle } from './particles.js';
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

/** The photo as a review file names it: relative to DIR/review with `/`, as LabelMe and annotate resolve it. */
export function photoRef(dir: string, photoPath: string): string {
  return relative(reviewFolder(dir), photoPath).split(sep).join(posix.sep);
}

export interface ReviewImage {
  name: string;
  /** photoRef of the photo. */
  fileName: string;
  width: number;
  height: number;
}

export function exportImageOf(image: ReviewImage, particles: Iterable<ReviewParticle>): ExportImage {
  const instances = [...particles].map((p) => ({ id: p.id, label: REVIEW_LABEL, geometry: toMultiPolygon(p.polygons) }));
  return { ...image, instances };
}

/** LabelMe JSON with one shape per line: a photo of 10,000 stones stays a file one can open and diff. */
export async function writeReviewLabelme(file: string, image: ReviewImage, particles: Iterable<ReviewParticle>): Promise<void> {
  const { shapes, ...head } = toLabelme(exportImageOf(image, particles), '5.5.0', 'always');
  const lines = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const body = shapes.map((s) => `    ${JSON.stringify(s)}`).join(',\n');
  await writeFileAtomic(file, `{\n${lines.join(',\n')},\n  "shapes": [${shapes.length ? `\n${body}\n  ` : ''}]\n}\n`);
}

function damaged(file: string, name: string, what: string): PhotosieveError {
  return new PhotosieveError('E_LABELS', what, { file, fix: `repair it, or delete it to start ${name} again from instances/${name}.png` });
}

/**
 * Reads a review file back with annotate's LabelMe reader. Shapes sharing a group_id are one particle, whose id it
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
        for (const ann of cocoParts([exportImageOf(source, await source.particles())]).annotations()) {
          id += 1;
          lines.push(`${id === 1 ? '' : ',\n'}    ${JSON.stringify({ ...ann, id, image_id: k + 1, category_id: 1 })}`);
        }
        await file.write(lines.join(''));
      }
      await file.write('\n  ]\n}\n');
    } finally {
      await file.close();
    }
  });
}
