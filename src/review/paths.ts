// The one gate for paths a request names inside DIR: relative, no `.`/`..` segment, and the real path (symlinks
// resolved) still inside DIR's real path. Anything else is refused before a byte is read.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, sep, win32 } from 'node:path';

export type InsideResult = { ok: true; file: string } | { ok: false; status: 403 | 404; why: string };

/** Resolves `rel` (already URL-decoded) inside `rootReal`, which must itself be a real path. */
export async function resolveInside(rootReal: string, rel: string): Promise<InsideResult> {
  if (rel === '' || rel.includes('\0')) return { ok: false, status: 403, why: 'empty path or NUL byte' };
  if (isAbsolute(rel) || win32.isAbsolute(rel)) return { ok: false, status: 403, why: 'absolute path' };
  const parts = rel.split(/[/\\]/);
  if (parts.some((p) => p === '..' || p === '.')) return { ok: false, status: 403, why: 'path with . or .. segments' };
  let real: string;
  try {
    real = await realpath(join(rootReal, ...parts));
  } catch {
    return { ok: false, status: 404, why: 'no such file' };
  }
  if (real !== rootReal && !real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep)) {
    return { ok: false, status: 403, why: 'resolves outside the run folder (symbolic link)' };
  }
  const st = await stat(real).catch(() => null);
  if (!st?.isFile()) return { ok: false, status: 404, why: 'not a file' };
  return { ok: true, file: real };
}
