// Label JSON is often written by Python, whose json module emits NaN and Infinity: we read those as null so
// validation can name the bad coordinate instead of the whole file failing to parse.
import type { z } from 'zod';
import { PhotosieveError } from '../../core/index.js';

const NON_FINITE = /-?Infinity|NaN/y;

/** Replaces the bare tokens NaN, Infinity and -Infinity (outside strings) with null. */
export function sanitizeNonFiniteTokens(text: string): string {
  let out = '';
  let inString = false;
  let last = 0;
  for (let k = 0; k < text.length; k++) {
    const ch = text[k];
    if (inString) {
      if (ch === '\\') k++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      continue;
    }
    if (ch === 'N' || ch === 'I' || ch === '-') {
      NON_FINITE.lastIndex = k;
      const m = NON_FINITE.exec(text);
      if (m) {
        out += `${text.slice(last, k)}null`;
        k += m[0].length - 1;
        last = k + 1;
      }
    }
  }
  return last === 0 ? text : out + text.slice(last);
}

export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(sanitizeNonFiniteTokens(text));
  } catch (cause) {
    throw new PhotosieveError('E_LABELS', `not valid JSON (${(cause as Error).message}).`, {
      file,
      fix: 'check that the file is complete; re-export it from the annotation tool',
      cause,
    });
  }
}

/** Validates with a zod schema; the error names the first offending field as a path like `shapes[3].points`. */
export function parseWithSchema<T>(schema: z.ZodType<T>, value: unknown, file: string, format: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path
    .map((p, k) => (typeof p === 'number' ? `[${p}]` : k === 0 ? String(p) : `.${String(p)}`))
    .join('');
  throw new PhotosieveError('E_LABELS', `not a valid ${format} file: ${path || '(root)'}: ${issue.message}.`, {
    file,
    fix: `fix that field, or pass --format if this is not ${format}`,
  });
}
