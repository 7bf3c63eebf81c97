// Training data: folders in the layout `annotate` and `synth` write (images/, instances/, masks/), held in
// memory as 8-bit pixels plus instance ids, so tiles can be cut, rescaled and re-labelled at any scale.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { PhotosieveError, PixelClass } from '../core/index.js';
import { readCsv, readImage, readInstancePng } from '../io/index.js';
import { makeClassMask } from '../annotate/index.js';
import { measureParticles } from '../aggregate/index.js';
import type { Random } from '../synth/random.js';

export interface TrainingSource {
  /** A folder written by `photosieve annotate` or `photosieve synth`. */
  dir: string;
  /** Share of the tiles drawn from this folder (relative to the other folders). @default 1 */
  weight: number;
  /**
   * Every particle in this folder's photos is labelled (synth writes such folders; traced real photos leave fines
   * blank). Validation then counts every predicted particle against it, including those on unlabelled ground.
   * @default true for a folder synth wrote (it has groups.json), else false
   */
  complete?: boolean | undefined;
}

export interface TrainingImage {
  key: string;
  source: string;
  /** Distribution group (synth's truth.csv), else the image itself: validation splits never cut a group. */
  group: string;
  width: number;
  height: number;
  channels: 1 | 3;
  /** Interleaved 8-bit pixels. */
  pixels: Uint8Array;
  instances: Int32Array;
  /** 0 where the target is `ignore` (outside the ROI, crowd regions); undefined when nothing is ignored. */
  valid: Uint8Array | undefined;
  /** Indices of boundary pixels (a sample), for boundary-weighted tile sampling. */
  boundary: Int32Array;
  /** b-axis (minor axis, px at this image's resolution) of each instance, indexed by id: scale-band targets. */
  minorPx: Float32Array;
}

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff'];

/** Parses `DIR` or `DIR:WEIGHT` (the CLI's --data form). */
export function parseSource(text: string): TrainingSource {
  const m = /^(.*):(\d+(?:\.\d+)?)$/.exec(text);
  const dir = m ? m[1]! : text;
  const weight = m ? Number(m[2]) : 1;
  if (!(weight > 0)) throw new PhotosieveError('E_PARAM', `--data ${text}: the weight must be > 0.`, { fix: 'use --data DIR or --data DIR:WEIGHT' });
  return { dir, weight };
}

function toChannels(data: Uint8Array | Uint16Array, channelsIn: number, depth: number, want: 1 | 3): Uint8Array {
  const n = data.length / channelsIn;
  const out = new Uint8Array(n * want);
  const shift = depth === 16 ? 8 : 0;
  for (let p = 0; p < n; p++) {
    const base = p * channelsIn;
    const grey = channelsIn < 3;
    const r = data[base]! >> shift;
    const g = grey ? r : data[base + 1]! >> shift;
    const b = grey ? r : data[base + 2]! >> shift;
    if (want === 3) {
      out[3 * p] = r;
      out[3 * p + 1] = g;
      out[3 * p + 2] = b;
    } else out[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  return out;
}

async function groupsOf(dir: string): Promise<Map<string, string>> {
  const file = join(dir, 'truth.csv');
  if (!existsSync(file)) return new Map();
  const t = await readCsv(file);
  const gi = t.header.indexOf('group');
  return new Map(t.rows.map((r) => [basename(r[0]!, extname(r[0]!)), gi >= 0 ? r[gi]! : r[0]!]));
}

/** Loads every image of a folder that has images/NAME.*, instances/NAME.png and masks/NAME.png. */
export async function loadTrainingFolder(dir: string, channels: 1 | 3, boundaryPx = 2): Promise<TrainingImage[]> {
  const maskDir = join(dir, 'masks');
  if (!existsSync(maskDir) || !existsSync(join(dir, 'instances')) || !existsSync(join(dir, 'images'))) {
    throw new PhotosieveError('E_INPUT', 'not a training folder: images/, instances/ and masks/ are needed.', {
      file: dir,
      fix: 'make it with photosieve annotate or photosieve synth',
    });
  }
  // synth's `heldout` look exists to test on photos no model has seen: training on it would void the benchmark.
  const groupsJson = join(dir, 'groups.json');
  if (existsSync(groupsJson)) {
    const g = (JSON.parse(await readFile(groupsJson, 'utf8')) as { options?: { look?: unknown; look_for_training?: unknown } }).options;
    if (g?.look_for_training === false) {
      throw new PhotosieveError('E_INPUT', `this folder was rendered in the benchmark-only look ${JSON.stringify(g.look)}, which no model may train on.`, {
        file: dir,
        fix: 'render training data with another --look (see photosieve synth --help)',
      });
    }
  }
  const groups = await groupsOf(dir);
  const images = await readdir(join(dir, 'images'));
  const out: TrainingImage[] = [];
  for (const m of (await readdir(maskDir)).filter((f) => f.endsWith('.png')).sort()) {
    const key = m.slice(0, -4);
    const img = images.find((f) => f.slice(0, f.length - extname(f).length) === key && IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()));
    if (!img) continue;
    const [raster, inst, mask] = await Promise.all([
      readImage(join(dir, 'images', img)),
      readInstancePng(join(dir, 'instances', `${key}.png`)),
      readImage(join(maskDir, m)),
    ]);
    if (raster.width !== inst.width || raster.height !== inst.height) {
      throw new PhotosieveError('E_INPUT', `image and instance map differ in size (${raster.width}×${raster.height} vs ${inst.width}×${inst.height}).`, { file: join(dir, 'images', img), fix: 'regenerate the folder' });
    }
    let valid: Uint8Array | undefined;
    for (let p = 0; p < mask.data.length; p++) {
      if (mask.data[p] === PixelClass.ignore) {
        valid ??= new Uint8Array(mask.data.length).fill(1);
        valid[p] = 0;
      }
    }
    const cls = makeClassMask(inst, { boundaryPx, valid });
    const idx: number[] = [];
    for (let p = 0; p < cls.data.length; p += 7) if (cls.data[p] === PixelClass.boundary) idx.push(p);
    const particles = measureParticles(inst);
    const minorPx = new Float32Array(particles.reduce((m, q) => Math.max(m, q.id), 0) + 1);
    for (const q of particles) minorPx[q.id] = q.minorPx;
    out.push({
      key: `${basename(dir)}/${key}`,
      source: dir,
      group: groups.get(key) ?? key,
      width: raster.width,
      height: raster.height,
      channels,
      pixels: toChannels(raster.data, raster.channels, raster.depth, channels),
      instances: inst.data,
      valid,
      boundary: Int32Array.from(idx),
      minorPx,
    });
  }
  if (out.length === 0) throw new PhotosieveError('E_INPUT', 'no image with instances and masks found.', { file: dir, fix: 'check images/, instances/ and masks/' });
  return out;
}

/**
 * Splits images into training and validation by group (never a group on both sides). `valKeys` names the
 * validation images explicitly (image names without folder); otherwise `fraction` of the groups, drawn with `rng`.
 */
export function splitByGroup(images: readonly TrainingImage[], rng: Random, fraction: number, valKeys?: readonly string[]): { train: TrainingImage[]; val: TrainingImage[] } {
  if (valKeys && valKeys.length > 0) {
    // `STEM` names that photo in any folder; `FOLDER/STEM` only the one in that folder (synth stems repeat).
    const names = new Set(valKeys);
    const named = (im: TrainingImage): boolean => names.has(im.key) || names.has(im.key.split('/').pop()!);
    const valGroups = new Set(images.filter(named).map((im) => `${im.source}|${im.group}`));
    return { train: images.filter((im) => !valGroups.has(`${im.source}|${im.group}`)), val: images.filter((im) => valGroups.has(`${im.source}|${im.group}`)) };
  }
  const groups = [...new Set(images.map((im) => `${im.source}|${im.group}`))].sort();
  const shuffled = groups.map((g) => ({ g, r: rng.uniform() })).sort((a, b) => a.r - b.r).map((x) => x.g);
  const nVal = fraction > 0 ? Math.max(1, Math.round(groups.length * fraction)) : 0;
  const val = new Set(shuffled.slice(0, nVal));
  return { train: images.filter((im) => !val.has(`${im.source}|${im.group}`)), val: images.filter((im) => val.has(`${im.source}|${im.group}`)) };
}
