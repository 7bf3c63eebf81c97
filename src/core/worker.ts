// Starting a worker thread on a module of ours, from dist (compiled .js) or from sources (.ts under tsx or
// vitest). Node 20 applies neither `--import tsx` in a worker's execArgv nor the parent's loader hooks to a
// worker, so a TypeScript entry is booted through tsx's tsImport, which registers the loader inside the thread.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

function tsxApiUrl(): string {
  // The package's `require` export of tsx/esm/api is a CJS file; its ESM twin sits beside it.
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const mjs = cjs.replace(/\.cjs$/, '.mjs');
  return existsSync(mjs) ? pathToFileURL(mjs).href : 'tsx/esm/api';
}

/** The entry `name` (without extension) beside `callerUrl`: NAME.js in dist, NAME.ts when running from sources. */
export function workerEntryOf(callerUrl: string, name: string): { url: URL; fromSource: boolean } {
  const fromSource = callerUrl.endsWith('.ts');
  return { url: new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, callerUrl), fromSource };
}

/** Starts a worker thread on the module `name` beside `callerUrl` (see workerEntryOf). */
export function startModuleWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const { url, fromSource } = workerEntryOf(callerUrl, name);
  if (!fromSource) return new Worker(url, { workerData });
  const boot = `import(${JSON.stringify(tsxApiUrl())}).then((tsx) => tsx.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(callerUrl)}))`;
  return new Worker(boot, { eval: true, workerData });
}
