// Before any worker starts: every photo's header is read (no pixel decoded), a photo whose file is far smaller than
// its raster (a decompression bomb, --max-expansion) is refused, the memory segmenting each will need is estimated
// for this model (core/memory.ts), and the batch is fitted to the budget (--max-memory, else the machine's). A photo
// above STRIP_THRESHOLD_PIXELS, or one that does not fit whole, is segmented in strips (segment/strips.ts) when
// strips fit; a photo that cannot fit even in strips is refused with one line naming the limit and the flag; the
// worker count shrinks until the largest remaining photo fits in every worker at once.
import type { ImageHeader, MemoryBudget, MemoryEstimate, SegmentMemoryOptions } from '../core/index.js';
import {
  PROCESS_BASE_BYTES,
  WORKER_BASE_BYTES,
  checkExpansion,
  checkMemory,
  errorLine,
  estimateSegmentMemory,
  estimateStripMemory,
  fitsBudget,
  formatBytes,
  workersWithinBudget,
} from '../core/index.js';
import type { ImageFileHeader } from '../io/index.js';
import { readImageHeader } from '../io/index.js';
import type { StripPlan, StripSettings } from '../segment/strips.js';
import { STRIP_PIXELS, STRIP_THRESHOLD_PIXELS, largestStripRows, planStrips } from '../segment/strips.js';
import type { ImageJob, ImageResult } from './types.js';

export interface MemoryPlanInput {
  jobs: readonly ImageJob[];
  budget: MemoryBudget;
  /** Workers asked for (0 = in this thread). */
  workers: number;
  maxPixels: number;
  /** --max-expansion: decoded bytes per byte of file. */
  maxExpansion: number;
  model: SegmentMemoryOptions;
  /** Rows above and below a strip's core, px, per photo (from --max-size or the model's reach). */
  stripMargin: (header: ImageHeader) => number;
  /** Rows a strip decodes beyond those it segments, for the U-Net's tiles (a tile side). @default 256 */
  tileContext?: number;
  overlay: boolean;
  roi: boolean;
  strips?: StripSettings | undefined;
}

export interface MemoryPlan {
  /** Jobs that fit, in order (with their strip plan when they go in strips). */
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
async function headersOf(jobs: readonly ImageJob[], maxPixels: number): Promise<Map<number, ImageFileHeader | undefined>> {
  const headers = new Map<number, ImageFileHeader | undefined>();
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

export interface SegmentWay {
  estimate: MemoryEstimate;
  /** The strip plan, when the photo goes in strips. */
  strips?: StripPlan;
}

/**
 * Whole or in strips, and what it needs: strips above the threshold (when the photo is taller than one strip), or
 * when the whole photo does not fit the budget (with this fixed cost) and strips need less; whole otherwise.
 */
export function segmentWay(header: ImageFileHeader, input: Omit<MemoryPlanInput, 'jobs' | 'workers' | 'maxPixels' | 'maxExpansion'>, baseBytes: number): SegmentWay {
  const whole = estimateSegmentMemory(header, input.model);
  const pixels = header.width * header.height;
  const threshold = input.strips?.thresholdPixels ?? STRIP_THRESHOLD_PIXELS;
  if (pixels <= threshold && fitsBudget(whole, input.budget, baseBytes)) return { estimate: whole };
  const plan = planStrips(header.width, header.height, { margin: input.stripMargin(header), stripPixels: input.strips?.stripPixels ?? STRIP_PIXELS });
  if (plan.strips.length < 2) return { estimate: whole };
  const estimate = estimateStripMemory(header, largestStripRows(plan), { ...input.model, overlay: input.overlay, roi: input.roi, oriented: header.oriented, contextRows: 2 * (input.tileContext ?? 256) });
  // Below the threshold strips are a way out of the budget only: worth it when they need less.
  if (pixels <= threshold && estimate.bytes >= whole.bytes) return { estimate: whole };
  return { estimate, strips: plan };
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
    let way: SegmentWay;
    try {
      checkExpansion(header, header.fileBytes, input.maxExpansion, { file: job.path });
      way = segmentWay(header, input, baseBytes);
      checkMemory(way.estimate, budget, header, { file: job.path, baseBytes });
    } catch (err) {
      refused.set(job.index, { name: job.name, path: job.path, status: 'failed', error: errorLine(err) });
      continue;
    }
    const planned = way.strips ? { ...job, strips: way.strips } : job;
    jobs.push(planned);
    if (!largest || way.estimate.bytes > largest.estimate.bytes) largest = { job: planned, header, estimate: way.estimate };
  }
  const wanted = Math.min(workers, jobs.length);
  let used = wanted;
  let note: string | undefined;
  if (largest && wanted > 1) {
    used = Math.max(1, workersWithinBudget(largest.estimate, budget, wanted).workers);
    if (used < wanted) {
      const { job, header, estimate } = largest;
      const how = job.strips ? ` in ${job.strips.strips.length} strips` : '';
      note = `memory: ${used} worker(s) instead of ${wanted}: the largest photo, ${job.name} (${header.width}×${header.height} px), needs about ${formatBytes(estimate.bytes + WORKER_BASE_BYTES)} per worker${how} within ${limitText(budget)} (raise it with --max-memory SIZE where the machine has it)`;
    }
  }
  return { jobs, refused, workers: used, pixels, note };
}
