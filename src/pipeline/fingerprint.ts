// The settings fingerprint of an image's outputs: everything that changes them (photosieve version, model folder
// and the hash of its files, segmenter knobs, region of interest, the image's scale, the bin spec) plus the engine
// that ran the U-Net. A rerun compares them before touching anything (plan.ts).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BinSpec } from '../aggregate/distribution.js';
import type { RoiSpec } from '../annotate/roi.js';
import type { SegmenterOptions } from '../segment/createSegmenter.js';
import { CLASSICAL, resolveModelOption } from '../segment/modelLocation.js';
import { MODEL_FILES, readLayersFiles } from '../segment/modelMeta.js';
import { DEFAULT_LARGE_INHERITANCE } from '../segment/largeInheritance.js';
import { DEFAULT_BACKGROUND_OWNERSHIP_RADIUS, DEFAULT_OWNERSHIP_RADIUS } from '../segment/multiscale.js';

/** A JSON value with object keys sorted and undefined members dropped: equal settings give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface ModelIdentity {
  kind: 'unet' | 'classical';
  /** The model folder's absolute path, or 'classical'. */
  path: string;
  /** SHA-256 over meta.json, model.json and the weight files (null for classical mode). */
  sha256: string | null;
}

/** Resolves --model and hashes the files that define the network; a folder that cannot be read fails here. */
export async function modelIdentity(model: string): Promise<ModelIdentity> {
  const path = resolveModelOption(model);
  if (path === CLASSICAL) return { kind: 'classical', path, sha256: null };
  const h = createHash('sha256');
  h.update(await readFile(join(path, MODEL_FILES.meta)).catch(() => Buffer.alloc(0)));
  const layers = await readLayersFiles(path);
  h.update(layers.topologyBytes);
  for (const w of layers.weights) h.update(w);
  return { kind: 'unet', path, sha256: h.digest('hex') };
}

/** Everything that changes one image's outputs except the engine (known once a segmenter has started). */
export interface ImageSettings {
  photosieve: string;
  model: ModelIdentity;
  /** The segmenter knobs that apply to this kind of model, as given (defaults follow from model and version). */
  segmenter: Record<string, unknown>;
  roi: RoiSpec;
  /** mm per pixel of this image, or null. */
  scale: number | null;
  spec: BinSpec | null;
}

/** The knobs of SegmenterOptions that change a result (not the engine, threads or the model path, kept elsewhere). */
export function resultSegmenterOptions(options: SegmenterOptions, kind: ModelIdentity['kind']): Record<string, unknown> {
  // Spelled-out defaults count as unset, so a library call and the CLI asking for the same thing agree.
  const knobs = (o: object | undefined): object | undefined => (o !== undefined && Object.values(o).some((v) => v !== undefined) ? o : undefined);
  const common = { resize: options.resize === 1 ? undefined : options.resize };
  if (kind === 'classical') return { ...common, classical: knobs(options.classical) };
  return {
    ...common,
    tileSize: options.tileSize,
    overlap: options.overlap,
    batchSize: options.batchSize === 1 ? undefined : options.batchSize,
    multiscale: options.multiscale === false ? false : undefined,
    maxSizePx: options.maxSizePx,
    boundaryOwnership: options.boundaryOwnership === DEFAULT_OWNERSHIP_RADIUS ? undefined : options.boundaryOwnership,
    backgroundOwnership: options.backgroundOwnership === DEFAULT_BACKGROUND_OWNERSHIP_RADIUS ? undefined : options.backgroundOwnership,
    levelPeaks: options.levelPeaks === false ? false : undefined,
    inheritLarge: options.inheritLarge === DEFAULT_LARGE_INHERITANCE ? undefined : options.inheritLarge,
    instance: knobs(options.instance),
  };
}

export function fingerprintOf(settings: ImageSettings | Record<string, unknown>, engine: string): string {
  return sha256(canonicalJson({ settings, engine }));
}

export function sameSettings(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Leaf paths of a JSON value: `{ a: { b: 1 } }` → [['a.b', '1']]. */
function leaves(value: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  const sorted = sortKeys(value);
  if (sorted !== null && typeof sorted === 'object' && !Array.isArray(sorted)) {
    for (const [k, v] of Object.entries(sorted)) for (const [p, t] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(p, t);
  } else out.set(prefix, JSON.stringify(sorted));
  return out;
}

/** What differs between two settings, as `path old → new` phrases (model.sha256 shortened), at most `max`. */
export function settingsDiff(before: unknown, after: unknown, max = 3): string[] {
  const a = leaves(before);
  const b = leaves(after);
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
  const show = (key: string, v: string | undefined): string => (v === undefined ? 'unset' : key.endsWith('sha256') && v.length > 14 ? `${v.slice(1, 9)}…` : v);
  const phrases = keys.slice(0, max).map((k) => `${k} ${show(k, a.get(k))} → ${show(k, b.get(k))}`);
  if (keys.length > max) phrases.push(`${keys.length - max} more`);
  return phrases;
}
