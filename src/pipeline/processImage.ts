// One image through the pipeline: decode → segment → write. Used by worker threads and by the in-thread mode;
// any failure becomes a result with one line naming the file and the fix, never an exception, so one bad
// photo cannot stop a batch.
import { roiMask } from '../annotate/index.js';
import { PhotosieveError, errorLine } from '../core/index.js';
import { readImage } from '../io/index.js';
import type { Segmenter } from '../segment/createSegmenter.js';
import type { ImageJob, ImageResult, JobContext } from './types.js';
import { writeImageOutputs } from './writeImageOutputs.js';

function failureLine(err: unknown, path: string): string {
  if (err instanceof PhotosieveError) return err.file === undefined ? `${path}: ${err.toLine()}` : err.toLine();
  return `${path}: ${errorLine(err)} Fix: run again with PHOTOSIEVE_DEBUG=1 and report the message if it persists`;
}

export async function processImage(
  segmenter: Segmenter,
  job: ImageJob,
  ctx: JobContext,
  onTile?: (done: number, total: number) => void,
): Promise<ImageResult> {
  const base = { name: job.name, path: job.path };
  try {
    const t0 = performance.now();
    const raster = await readImage(job.path, { maxPixels: ctx.maxPixels });
    const t1 = performance.now();
    const roi = roiMask(ctx.roi, raster.width, raster.height);
    const seg = await segmenter.segment(raster, { onTile, ...(roi ? { roi } : {}) });
    const t2 = performance.now();
    const band = segmenter.meta?.sizeBand;
    // A scale-band model's coarsest level sees whole stones up to its band top × 2^levels (at full resolution).
    const largestPx = band ? band.maxPx * 2 ** seg.levels : undefined;
    const written = await writeImageOutputs({ out: ctx.out, name: job.name, path: job.path, raster, instances: seg.instances, measure: ctx.measure, roi, overlays: ctx.overlays, largestPx });
    const t3 = performance.now();
    return {
      ...base,
      status: 'done',
      width: raster.width,
      height: raster.height,
      particles: written.particles,
      tiles: seg.tiles,
      levels: seg.levels,
      timings: { decodeMs: t1 - t0, semanticMs: seg.timings.semanticMs, instancesMs: seg.timings.instancesMs, measureMs: written.measureMs, writeMs: t3 - t2 - written.measureMs },
      ...(written.measure ? { measure: written.measure } : {}),
    };
  } catch (err) {
    if (process.env.PHOTOSIEVE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return { ...base, status: 'failed', error: failureLine(err, job.path) };
  }
}
