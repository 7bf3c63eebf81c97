// Before any worker starts: every photo's header is read (no pixel decoded), the memory segmenting it will need is
// estimated for this model (core/memory.ts), and the batch is fitted to the budget (--max-memory, else the
// machine's): photos that cannot fit even alone are refused with one line naming the limit and the flag, and the
// worker count shrinks until the largest remaining photo fits in every worker at once.
import type { ImageHeader, MemoryBudget, MemoryEstimate, SegmentMemoryOptions } from '../core/index.js';
import { PROCESS_BASE_BYTES, WORKER_BASE_BYTES, checkMemory, errorLine, estimateSegmentMemory, formatBytes, workersWithinBudget } from '../core/index.js';
import { readImageHeader } from '../io/index.js';
import type { ImageJob, ImageResult } from './types.js';

export interface MemoryPlanInput {
  jobs: readonly ImageJob[];
  budget: MemoryBudget;
  /** Workers asked for (0 = in this thread). */
  workers: number;
  maxPixels: number;
  model: SegmentMemoryOptions;
}

export interface MemoryPlan {
  /** Jobs that fit, in order. */
  jobs: ImageJob[];
  /** Refused jobs by batch index (status failed, the line naming the limit and the flag). */
  refused: Map<number, ImageResult>;
  /** Workers to start (≤ asked; 0 when 0 was asked). */
  workers: number;
  /** Pixels per job index from its header (0 when the header cannot be read: the worker reports that image). */
  pixels: Map<number, number>;
  /** One line when the worker count was lowered. */
  note: string | undefined;
}

/** Reads headers 8 at a time (sharp's metadata reads a few kB of each file). */
async function headersOf(jobs: readonly ImageJob[], maxPixels: number): Promise<Map<number, ImageHeader | undefined>> {
  const headers = new Map<number, ImageHeader | undefined>();
  const queue = [...jobs];
  const lane = async (): Promise<void> => {
    for (let job = queue.shift(); job; job = queue.shift()) headers.set(job.index, await readImageHeader(job.path, { maxPixels }).catch(() => undefined));
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  return headers;
}

function limitText(budget: MemoryBudget): string {
  return budget.source === 'flag' ? `--max-memory ${formatBytes(budget.limitBytes)}` : `the memory budget of ${formatBytes(budget.limitBytes)}`;
}

export async function planMemory(input: MemoryPlanInput): Promise<MemoryPlan> {
  const { budget, workers } = input;
  const headers = await headersOf(input.jobs, input.maxPixels);
  const pixels = new Map<number, number>();
  const refused = new Map<number, ImageResult>();
  const jobs: ImageJob[] = [];
  let largest: { job: ImageJob; header: ImageHeader; estimate: MemoryEstimate } | undefined;
  // The fixed cost one image is checked with: the process, and its worker when it runs in one.
  const baseBytes = PROCESS_BASE_BYTES + (workers > 0 ? WORKER_BASE_BYTES : 0);
  for (const job of input.jobs) {
    const header = headers.get(job.index);
    pixels.set(job.index, header ? header.width * header.height : 0);
    if (!header) {
      jobs.push(job);
      continue;
    }
    const estimate = estimateSegmentMemory(header, input.model);
    try {
      checkMemory(estimate, budget, header, { file: job.path, baseBytes });
    } catch (err) {
      refused.set(job.index, { name: job.name, path: job.path, status: 'failed', error: errorLine(err) });
      continue;
    }
    jobs.push(job);
    if (!largest || estimate.bytes > largest.estimate.bytes) largest = { job, header, estimate };
  }
  const wanted = Math.min(workers, jobs.length);
  let used = wanted;
  let note: string | undefined;
  if (largest && wanted > 1) {
    used = Math.max(1, workersWithinBudget(largest.estimate, budget, wanted).workers);
    if (used < wanted) {
      const { job, header, estimate } = largest;
      note = `memory: ${used} worker(s) instead of ${wanted}: the largest photo, ${job.name} (${header.width}×${header.height} px), needs about ${formatBytes(estimate.bytes + WORKER_BASE_BYTES)} per worker within ${limitText(budget)} (raise it with --max-memory SIZE where the machine has it)`;
    }
  }
  return { jobs, refused, workers: used, pixels, note };
}
