// Shared by the pipeline tests: small disc photos on disk, and a byte snapshot of an output folder that sets aside
// only what is meant to change between runs (timestamps, timings, the skipped/done status).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fg from 'fast-glob';
import sharp from 'sharp';
import { discGrid, discRaster } from '../segment/helpers.js';

/** Writes an RGB PNG of discs (seeded) and returns its path. */
export async function writeDiscPhoto(path: string, width: number, height: number, seed: number): Promise<string> {
  const r = discRaster(width, height, discGrid(width, height, 6, 12, seed));
  await sharp(r.data, { raw: { width, height, channels: 3 } }).png().toFile(path);
  return path;
}

interface Json {
  [key: string]: unknown;
}

function dropKeys(value: unknown, keys: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => dropKeys(v, keys));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Json).filter(([k]) => !keys.includes(k)).map(([k, v]) => [k, dropKeys(v, keys)]));
  }
  return value;
}

/**
 * Every file of DIR: its SHA-256, except run.json and records/*.json, which are parsed and stripped of what differs
 * between two runs that made the same outputs (times, timings, workers, counts; skipped reads as done).
 */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const files = (await fg('**/*', { cwd: dir, onlyFiles: true, dot: true })).sort();
  const out: Record<string, string> = {};
  for (const f of files) {
    const bytes = await readFile(join(dir, f));
    if (f === 'run.json' || f.startsWith('records/')) {
      const text = bytes.toString('utf8').replace(/"status": "skipped"/g, '"status": "done"');
      // backend: the engine this run started, absent when it only resumed (the records name each image's engine).
      const volatile = ['startedAt', 'finishedAt', 'wallSeconds', 'stages', 'timings', 'workers', 'counts', 'versions', 'force', 'threads', 'backend'];
      out[f] = JSON.stringify(dropKeys(JSON.parse(text), volatile));
    } else out[f] = createHash('sha256').update(bytes).digest('hex');
  }
  return out;
}
