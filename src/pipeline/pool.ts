// Worker-thread pool: N workers, each holding one segmenter, pulling images from a shared queue. A worker that
// dies mid-image fails that image only (reported) and is replaced; a worker that cannot start fails the run.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PhotosieveError, startModuleWorker, workerEntryOf } from '../core/index.js';
import type { FromWorker, Leftovers, SegmenterInfo, ToWorker, WorkerInit } from './protocol.js';
import type { ImageJob, ImageResult } from './types.js';

export function defaultWorkers(): number {
  return availableParallelism();
}

/** The worker entry beside this file: worker.js in dist; worker.ts (booted through tsx) under tsx or vitest. */
export function workerEntry(): { url: URL; fromSource: boolean } {
  return workerEntryOf(import.meta.url, 'worker');
}

function startWorker(workerData: WorkerInit): Worker {
  return startModuleWorker(import.meta.url, 'worker', workerData);
}

export interface PoolCallbacks {
  /** Called once, when the first worker is ready and before any job is sent; a rejection stops the pool with it. */
  onReady?: (info: SegmenterInfo) => void | Promise<void>;
  onTile?: (job: ImageJob, done: number, total: number) => void;
  onResult?: (job: ImageJob, result: ImageResult) => void;
  /** Aborted: no further job is sent; jobs in progress finish, then the pool ends. */
  signal?: AbortSignal | undefined;
}

export interface PoolOutcome {
  /** Per job, in order; undefined for jobs never started because the signal was aborted. */
  results: (ImageResult | undefined)[];
  info: SegmenterInfo;
  /** Tensors, Mats and ONNX sessions alive in each worker after it released its engine (a leak shows up here). */
  leftovers: Leftovers[];
}

interface Slot {
  worker: Worker;
  job: ImageJob | undefined;
  ready: boolean;
  last: Leftovers;
  closed: boolean;
}

/** How long a closing worker may take to release its engine before it is terminated anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

export function runPool(jobs: ImageJob[], init: WorkerInit, workers: number, callbacks: PoolCallbacks = {}): Promise<PoolOutcome> {
  const queue = [...jobs];
  const results = new Map<number, ImageResult>();
  const slots: Slot[] = [];
  let info: SegmenterInfo | undefined;
  let settled = false;
  let sent = 0;
  // Every worker waits on this before its first job: the caller's onReady (a check of the engine) runs first.
  let gate: Promise<void> | undefined;

  return new Promise<PoolOutcome>((resolve, reject) => {
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      for (const s of slots) void s.worker.terminate();
      if (err) reject(err);
      else if (info === undefined) reject(new Error('no worker started'));
      else resolve({ results: jobs.map((j) => results.get(j.index)), info, leftovers: slots.map((s) => s.last) });
    };
    // Set once every job is done and the workers were asked to close: they release their engine (the ONNX
    // session, the tfjs model) and report, and the pool ends when all have, or when this timer fires.
    let closeTimer: NodeJS.Timeout | undefined;
    const finishIfClosed = (): void => {
      if (closeTimer === undefined || !slots.every((s) => s.closed)) return;
      clearTimeout(closeTimer);
      finish();
    };
    const onAbort = (): void => {
      queue.length = 0;
      checkDone();
    };
    callbacks.signal?.addEventListener('abort', onAbort, { once: true });
    const checkDone = (): void => {
      if (queue.length > 0 || results.size < sent || closeTimer !== undefined) return;
      callbacks.signal?.removeEventListener('abort', onAbort);
      for (const s of slots) s.worker.postMessage({ type: 'close' } satisfies ToWorker);
      closeTimer = setTimeout(finish, CLOSE_TIMEOUT_MS);
      finishIfClosed();
    };
    const next = (slot: Slot): void => {
      if (settled) return;
      const job = queue.shift();
      slot.job = job;
      if (job !== undefined) {
        sent += 1;
        slot.worker.postMessage({ type: 'job', job } satisfies ToWorker);
      } else checkDone();
    };
    const spawn = (): void => {
      const worker = startWorker(init);
      const slot: Slot = { worker, job: undefined, ready: false, last: { tensors: 0, mats: 0, sessions: 0 }, closed: false };
      slots.push(slot);
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            if (info === undefined) {
              info = message.info;
              gate = Promise.resolve(callbacks.onReady?.(message.info));
            }
            slot.ready = true;
            void gate!.then(() => next(slot), (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
            break;
          case 'fatal':
            finish(new PhotosieveError('E_INPUT', `the segmenter could not start: ${message.error}`));
            break;
          case 'tile':
            if (slot.job) callbacks.onTile?.(slot.job, message.done, message.total);
            break;
          case 'closed':
            slot.last = { tensors: message.tensors, mats: message.mats, sessions: message.sessions };
            slot.closed = true;
            finishIfClosed();
            break;
          case 'result':
            slot.last = { tensors: message.tensors, mats: message.mats, sessions: message.sessions };
            results.set(message.index, message.result);
            if (slot.job) callbacks.onResult?.(slot.job, message.result);
            next(slot);
            break;
        }
      });
      worker.on('error', (err) => {
        // A crash inside a job (out of memory, a native abort) fails that image; the pool carries on.
        const job = slot.job;
        slot.job = undefined;
        if (job === undefined || !slot.ready) {
          finish(new PhotosieveError('E_INPUT', `a worker thread failed to start: ${err.message}`, { fix: 'run with --workers 0 to see the error in this thread' }));
          return;
        }
        const result: ImageResult = {
          name: job.name,
          path: job.path,
          status: 'failed',
          error: `${job.path}: the worker segmenting it crashed (${err.message}). Fix: try --workers 1 or --resize, or check the file`,
        };
        results.set(job.index, result);
        callbacks.onResult?.(job, result);
        slots.splice(slots.indexOf(slot), 1);
        if (queue.length > 0) spawn();
        checkDone();
      });
    };
    const n = Math.max(1, Math.min(workers, jobs.length));
    for (let k = 0; k < n; k++) spawn();
  });
}
