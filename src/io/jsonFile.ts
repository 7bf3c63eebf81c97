// Reading a JSON file photosieve wrote (run.json, measure.json, records/NAME.json) against its zod schema: an
// unreadable file, invalid JSON and a wrong shape are each one line naming the file, the field and the fix.
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { PhotosieveError } from '../core/index.js';

/** Path of a field for messages: `images[2].name`. */
function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/** Validates parsed JSON against a schema; the error names the file, the field and the fix. */
export function parseRunFile<S extends z.ZodType>(schema: S, value: unknown, file: string, what: string, fix: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new PhotosieveError('E_INPUT', `not a ${what}: ${issuePath(issue.path) || '(root)'}: ${issue.message}.`, { file, fix });
}

/** Reads a JSON file a run wrote and validates it; unreadable, invalid JSON and wrong shape are one line each. */
export async function readRunFile<S extends z.ZodType>(schema: S, file: string, what: string, fix: string): Promise<z.infer<S>> {
  const text = await readFile(file, 'utf8').catch((cause: unknown) => {
    throw new PhotosieveError('E_INPUT', 'file not readable.', { file, fix: 'check its permissions', cause });
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new PhotosieveError('E_INPUT', `not valid JSON (${(cause as Error).message}).`, { file, fix, cause });
  }
  return parseRunFile(schema, json, file, what, fix);
}
