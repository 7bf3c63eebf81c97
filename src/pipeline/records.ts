// records/NAME.json: which settings made an image's outputs, and whether they are complete. Written atomically
// by whoever writes the outputs; read by the planner of the next run.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import type { ImageRecord, ImageRecordInput } from './runFiles.js';
import type { ImageResult } from './types.js';
import type { ImageMeasure } from './writeImageOutputs.js';
import { RECORDS_DIR, imageRecordSchema } from './runFiles.js';

/** Numbers of a result read back from JSON: NaN was written as null, and comes back as NaN. */
function revive(value: unknown): unknown {
  if (value === null) return NaN;
  if (Array.isArray(value)) return value.map(revive);
  return value;
}

/** A done record's result as the run that made it returned it (NaN restored in its size distribution). */
export function resultOf(record: ImageRecord): ImageResult | undefined {
  const r = record.result;
  if (!r) return undefined;
  const measure = r.measure ? (Object.fromEntries(Object.entries(r.measure).map(([k, v]) => [k, revive(v)])) as unknown as ImageMeasure) : undefined;
  return { ...r, ...(measure ? { measure } : {}) } as ImageResult;
}

export function recordPath(out: string, name: string): string {
  return join(out, RECORDS_DIR, `${name}.json`);
}

/** The record of an image; undefined when there is none; 'damaged' when the file exists but is not a record. */
export async function readRecord(out: string, name: string): Promise<ImageRecord | 'damaged' | undefined> {
  const file = recordPath(out, name);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return 'damaged';
  }
  // Validated, but the object as written is kept: its key order is the order a clean run writes run.json in.
  return imageRecordSchema.safeParse(raw).success ? (raw as ImageRecord) : 'damaged';
}

export async function writeRecord(out: string, record: ImageRecordInput): Promise<void> {
  await writeJsonAtomic(recordPath(out, record.name), record);
}

export async function removeRecord(out: string, name: string): Promise<void> {
  await rm(recordPath(out, name), { force: true });
}
