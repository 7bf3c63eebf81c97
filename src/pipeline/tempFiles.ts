// The atomic writers' temporary files (`.NAME.PID.N.tmp`, io/atomic.ts) in an output folder. A write that fails
// removes its own; a process killed mid-write (SIGKILL, power loss) leaves one behind, which the next run removes
// before it starts, unless the process that made it is still alive (another run on the same folder).
import { readdirSync, rmSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../core/index.js';

const TEMP = /^\..+\.(\d+)\.(\d+)\.tmp$/;

/** The folders of a segment run where temporary files appear: the run folder and every folder below it. */
async function foldersOf(out: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    found.push(dir);
    for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name));
  };
  await walk(out);
  return found;
}

/** Removes temporary files left in `out` by processes that are gone; returns their paths (relative to out). */
export async function removeStaleTempFiles(out: string): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of await foldersOf(out)) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const m = TEMP.exec(name);
      if (!m || processAlive(Number(m[1]))) continue;
      await rm(join(dir, name), { force: true }).catch(() => undefined);
      removed.push(join(dir, name).slice(out.length + 1));
    }
  }
  return removed;
}

/** Removes this process's own temporary files from `out` at once (before a hard exit, whose writes are cut off). */
export function removeOwnTempFilesSync(out: string): void {
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (Number(TEMP.exec(e.name)?.[1]) === process.pid) rmSync(join(dir, e.name), { force: true });
    }
  };
  walk(out);
}
