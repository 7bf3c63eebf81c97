// One image through the pipeline: record (pending) → decode → segment → measure and write → record (done). Used by
// worker threads and by the in-thread mode; any failure becomes a result with one line naming the file and the
// fix, never an exception, so one bad photo cannot stop a batch.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { roiMask } from '../annotate/index.js';
import { DEFAULT_MAX_EXPANSION, PhotosieveError, checkExpansion, errorLine, estimateSegmentMemory, memoryBudget } from '../core/index.js';
import { readImage, readImageHeader, readImageRows } from '../io/index.js';
import { rasterRows } from '../segment/createSegmenter.js';
import { segmentInStrips, stripWarning } from '../segment/strips.js';
import { rgb8 } from './overlay.js';
import type { SegmentResult, Segmenter } from '../segment/createSegmenter.js';
import { fingerprintOf } from './fingerprint.js';
import { removeRecord, writeRecord } from './records.js';
import type { ImageJob, ImageResult, JobContext } from './types.js';
import { OVERLAY_KINDS } from './types.js';
import type { ImageOutputResult } from './writeImageOutputs.js';
import { overlayPath, possibleOutputs, writeImageOutputs } from './writeImageOutputs.js';

function failureLine(err: unknown, path: string): string {
  // An output that could not be written names the photo too: the line says which image failed and which file.
  if (err instanceof PhotosieveError) return err.file === undefined || (err.code === 'E_OUTPUT' && err.file !== path) ? `${path}: ${err.toLine()}` : err.toLine();
  return `${path}: ${errorLine(err)} Fix: run again with PHOTOSIEVE_DEBUG=1 and report the message if it persists`;
}

/** The engine that makes a segmenter's probabilities: its backend, or none for classical mode. */
export function engineOf(segmenter: Pick<Segmenter, 'kind' | 'backend'>): string {
  return segmenter.kind === 'classical' ? 'none' : (segmenter.backend?.name ?? 'unknown');
}

interface RecordBase {
  base: { name: string; path: string };
  record: Omit<Parameters<typeof writeRecord>[1], 'state' | 'result'>;
  fingerprint: string;
}

/**
 * A photo in strips (job.strips, planned by memoryPlan.ts): each strip decodes only its rows, the overlay's RGB copy
 * of the photo is filled from the strips' cores as they pass, and the instance map is stitched (segment/strips.ts).
 */
async function processInStrips(segmenter: Segmenter, job: ImageJob, ctx: JobContext, r: RecordBase, onTile?: (done: number, total: number) => void): Promise<ImageResult> {
  const plan = job.strips!;
  const t0 = performance.now();
  const header = await readImageHeader(job.path, { maxPixels: ctx.maxPixels });
  checkExpansion(header, header.fileBytes, ctx.maxExpansion ?? DEFAULT_MAX_EXPANSION, { file: job.path });
  if (header.width !== plan.width || header.height !== plan.height) {
    throw new PhotosieveError('E_IMAGE', `the image is ${header.width}×${header.height} px, not the ${plan.width}×${plan.height} its strips were planned for (changed during the run?).`, { file: job.path, fix: 'run again' });
  }
  const { width: w, height: h } = header;
  const roi = roiMask(ctx.roi, w, h);
  const photo = ctx.overlays === 'none' ? undefined : new Uint8Array(w * h * 3);
  const headerMs = performance.now() - t0;
  const seg = await segmentInStrips(segmenter, (from, to) => readImageRows(job.path, header, from, to, { maxPixels: ctx.maxPixels }), plan, {
    roi,
    onTile,
    onRows: photo ? (raster, top, strip) => photo.set(rgb8(rasterRows(raster, top, strip.core[0], strip.core[1])), strip.core[0] * w * 3) : undefined,
  });
  const t2 = performance.now();
  const written = await writeImageOutputs({ out: ctx.out, name: job.name, path: job.path, photoRgb: photo, instances: seg.instances, unresolvedAreaPx: seg.unresolved?.areaPx, measure: { scale: job.scale, spec: ctx.spec }, roi, overlays: ctx.overlays, largestPx: largestSeenPx(segmenter, seg.levels), oneAtATime: true });
  const t3 = performance.now();
  const warning = stripWarning(seg, plan.margin);
  if (warning && written.measure) written.measure.warnings = [...written.measure.warnings, warning];
  return recordDone(ctx, job, r, { width: w, height: h, seg, written, decodeMs: headerMs + seg.timings.decodeMs, writeMs: t3 - t2 - written.measureMs }, { strips: seg.strips, ...(warning ? { warnings: [warning] } : {}) });
}

/** The largest b-axis, px at full resolution, a scale-band model's coarsest level saw whole: its band top × 2^levels. */
function largestSeenPx(segmenter: Segmenter, levels: number): number | undefined {
  const band = segmenter.meta?.sizeBand;
  return band ? band.maxPx * 2 ** levels : undefined;
}

/** One photo's result, done, recorded (state done) before it is returned; the same for whole photos and strips. */
async function recordDone(
  ctx: JobContext,
  job: ImageJob,
  r: RecordBase,
  d: { width: number; height: number; seg: Pick<SegmentResult, 'tiles' | 'levels' | 'timings'>; written: ImageOutputResult; decodeMs: number; writeMs: number },
  extra: Pick<ImageResult, 'strips' | 'warnings'> = {},
): Promise<ImageResult> {
  const { seg, written } = d;
  const result: ImageResult = {
    ...r.base,
    status: 'done',
    width: d.width,
    height: d.height,
    particles: written.particles,
    tiles: seg.tiles,
    levels: seg.levels,
    timings: { decodeMs: d.decodeMs, semanticMs: seg.timings.semanticMs, instancesMs: seg.timings.instancesMs, measureMs: written.measureMs, writeMs: d.writeMs },
    ...(written.measure ? { measure: written.measure } : {}),
    ...(job.scale !== undefined ? { scale: job.scale } : {}),
    fingerprint: r.fingerprint,
    ...extra,
  };
  await writeRecord(ctx.out, { ...r.record, state: 'done', result });
  return result;
}

export async function processImage(
  segmenter: Segmenter,
  job: ImageJob,
  ctx: JobContext,
  onTile?: (done: number, total: number) => void,
): Promise<ImageResult> {
  const base = { name: job.name, path: job.path };
  const engine = engineOf(segmenter);
  const fingerprint = fingerprintOf(job.settings, engine);
  const record = { format: 'photosieve-record/1' as const, name: job.name, fingerprint, settings: { ...job.settings }, engine, input: job.input };
  let recorded = false;
  try {
    // Pending before any output is touched: an interrupted image is redone by a rerun with these settings and
    // refused by one with others, whatever state its files are in.
    await writeRecord(ctx.out, { ...record, state: 'pending' });
    recorded = true;
    if (job.removeOtherOverlays) {
      const stale = OVERLAY_KINDS.flatMap((k) => (k === ctx.overlays ? [] : (overlayPath(ctx.out, job.name, k) ?? [])));
      await Promise.all(stale.map((f) => rm(f, { force: true })));
    }
    if (job.strips) return await processInStrips(segmenter, job, ctx, { base, record, fingerprint }, onTile);
    const t0 = performance.now();
    const budget = ctx.maxMemory === undefined ? undefined : memoryBudget({ maxMemory: ctx.maxMemory });
    const raster = await readImage(job.path, { maxPixels: ctx.maxPixels, maxExpansion: ctx.maxExpansion ?? DEFAULT_MAX_EXPANSION, budget, use: (header) => estimateSegmentMemory(header, ctx.memory) });
    const t1 = performance.now();
    const roi = roiMask(ctx.roi, raster.width, raster.height);
    const seg = await segmenter.segment(raster, { onTile, ...(roi ? { roi } : {}) });
    const t2 = performance.now();
    const written = await writeImageOutputs({ out: ctx.out, name: job.name, path: job.path, raster, instances: seg.instances, unresolvedAreaPx: seg.unresolved?.areaPx, measure: { scale: job.scale, spec: ctx.spec }, roi, overlays: ctx.overlays, largestPx: largestSeenPx(segmenter, seg.levels) });
    const t3 = performance.now();
    return await recordDone(ctx, job, { base, record, fingerprint }, { width: raster.width, height: raster.height, seg, written, decodeMs: t1 - t0, writeMs: t3 - t2 - written.measureMs });
  } catch (err) {
    if (process.env.PHOTOSIEVE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    // Nothing of this image on disk: no record either, so the next run starts it afresh with any settings.
    if (recorded && !possibleOutputs(ctx.out, job.name).some((f) => existsSync(f))) await removeRecord(ctx.out, job.name).catch(() => undefined);
    return { ...base, status: 'failed', error: failureLine(err, job.path) };
  }
}
