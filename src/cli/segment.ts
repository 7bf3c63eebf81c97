// `photosieve segment`: thin layer over runSegmentBatch — parse and validate flags, log progress (jobLog.ts), print
// the summary, set the exit code. Light imports only: the runner (sharp, OpenCV.js, the engines) loads in the action.
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { parseRoi } from '../annotate/roi.js';
import { PhotosieveError, errorLine } from '../core/errors.js';
import { parseMemorySize } from '../core/memory.js';
import type { BatchReport } from '../pipeline/runSegmentBatch.js';
import type { BatchOptions, MeasureOptions } from '../pipeline/types.js';
import { DEFAULT_OVERLAYS, OVERLAY_KINDS } from '../pipeline/types.js';
import type { OverlayKind } from '../pipeline/types.js';
import type { BackendName } from '../segment/backendNames.js';
import { BACKENDS, describeBackend, parseBackendName } from '../segment/backendNames.js';
import type { SegmenterOptions } from '../segment/createSegmenter.js';
import { DEFAULT_LARGE_INHERITANCE, LARGE_INHERITANCE } from '../segment/largeInheritance.js';
import type { LargeInheritance } from '../segment/largeInheritance.js';
import { resolveModelOption } from '../segment/modelLocation.js';
import { readModelMeta } from '../segment/modelMeta.js';
import type { BinFlags } from './binFlags.js';
import { addBinOptions, binSpecFromFlags } from './binFlags.js';
import { formatTable, parseClusterBoundary, parseIntOption, parsePositive, parseRealOption } from './common.js';
import { EXIT_CODES } from './exitCodes.js';
import { JobLog, jobLogMode } from './jobLog.js';

/** sharp's decompression-bomb limit of io/image.ts (DEFAULT_MAX_PIXELS), spelled here so --help loads no sharp. */
export const MAX_PIXELS_DEFAULT = 100_000_000;
/** DEFAULT_MAX_EXPANSION of core/memory.ts (decoded bytes per byte of file), likewise. */
export const MAX_EXPANSION_DEFAULT = 1000;

interface SegmentFlags extends BinFlags {
  out: string;
  model: string;
  truth?: string;
  workers: number;
  force: boolean;
  recursive: boolean;
  roi: string;
  resize?: number;
  overlap?: number;
  batch?: number;
  backend?: BackendName;
  tile?: number;
  threads?: number;
  minArea?: number;
  clusterBoundary?: number;
  maxPixels: number;
  maxMemory?: number;
  maxExpansion: number;
  stripThreshold?: number;
  stripPixels?: number;
  overlays: OverlayKind;
  maxSize?: number;
  minSize?: number;
  multiscale: boolean;
  boundaryOwnership?: number;
  backgroundOwnership?: number;
  levelPeaks: boolean;
  inheritLarge?: LargeInheritance;
  json: boolean;
  quiet: boolean;
}

/** Every key of T present (values may still be undefined): a library option without a flag is a compile error. */
type EveryKey<T> = { [K in keyof Required<T>]: T[K] };

/** Flags → segmenter options, typed against SegmenterOptions. */
export function segmenterOptionsFromFlags(flags: SegmentFlags, maxSizePx: number | undefined): SegmenterOptions {
  const minArea = flags.minArea === undefined ? undefined : { minArea: flags.minArea };
  const instance = minArea || flags.clusterBoundary !== undefined ? { ...minArea, ...(flags.clusterBoundary !== undefined ? { clusterBoundary: flags.clusterBoundary } : {}) } : undefined;
  const options: EveryKey<SegmenterOptions> = {
    model: flags.model,
    instance,
    classical: minArea,
    backend: flags.backend,
    threads: flags.threads,
    tileSize: flags.tile,
    batchSize: flags.batch,
    overlap: flags.overlap,
    resize: flags.resize,
    multiscale: flags.multiscale ? undefined : false,
    maxSizePx,
    boundaryOwnership: flags.boundaryOwnership,
    backgroundOwnership: flags.backgroundOwnership,
    levelPeaks: flags.levelPeaks ? undefined : false,
    inheritLarge: flags.inheritLarge === DEFAULT_LARGE_INHERITANCE ? undefined : flags.inheritLarge,
  };
  // Unset options stay out, so run.json lists what was asked for.
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as unknown as SegmenterOptions;
}

/** The summary table (one row per image) and the totals, for stdout; problems (warnings, notes) go to stderr. */
export function formatSegmentSummary(
  report: BatchReport,
  out: string,
  pooledLines?: (pooled: NonNullable<BatchReport['measure']>['pooled'], bins: readonly string[], out: string) => string[],
): { lines: string[]; problems: string[] } {
  const rows = report.results.map((r) => [
    r.name,
    r.width && r.height ? `${r.width}×${r.height}` : '',
    r.particles === undefined ? '' : String(r.particles),
    r.tiles === undefined ? '' : String(r.tiles),
    r.timings ? ((r.timings.decodeMs + r.timings.semanticMs + r.timings.instancesMs + r.timings.measureMs + r.timings.writeMs) / 1000).toFixed(1) : '',
    r.status,
  ]);
  const header = ['image', 'size', 'particles', 'tiles', 'seconds', 'status'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((s, c) => (c >= 2 && c <= 4 ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join('  ').trimEnd();
  const count = (s: string): number => report.results.filter((r) => r.status === s).length;
  const backend = report.info?.kind === 'classical' ? 'classical (no U-Net)' : report.info?.backend ? describeBackend(report.info.backend) : 'none (nothing was segmented)';
  const s = report.stages;
  const lines = [line(header), ...rows.map(line)];
  const problems: string[] = [];
  lines.push(
    `segment: ${report.results.length} image(s): ${count('done')} done, ${count('skipped')} skipped (done before with these settings; --force redoes them), ${count('failed')} failed; ${(report.wallMs / 1000).toFixed(1)} s with ${report.workers} worker(s), backend ${backend}`,
    `  MP/s per stage: decode ${s.decode.mpPerS.toFixed(2)}, U-Net ${s.semantic.mpPerS.toFixed(2)}, instances ${s.instances.mpPerS.toFixed(2)}, write ${s.write.mpPerS.toFixed(2)}`,
  );
  if (report.info?.backend?.warning) problems.push(`warning: ${report.info.backend.warning}`);
  // A fall-back below onnxruntime is slower: say why each faster engine was passed over (no model.onnx, …).
  const b = report.info?.backend;
  if (b && b.name !== 'onnxruntime' && b.name !== 'onnxruntime-cuda' && b.name !== 'tensorflow-gpu') {
    for (const skipped of b.skipped) problems.push(`note: ${skipped}`);
  }
  for (const n of report.notes) problems.push(`note: ${n}`);
  const m = report.measure;
  if (m) {
    const withTruth = m.images.some((im) => im.truth);
    const head = ['size vectors', 'n', ...m.bins, ...(withTruth ? ['rmse'] : [])];
    const vrows: (string | number)[][] = [];
    for (const im of m.images) {
      vrows.push([im.image, String(im.n), ...im.vector, ...(withTruth ? [im.rmse ?? NaN] : [])]);
      if (im.truth) vrows.push(['  truth', '', ...im.truth, ...(withTruth ? [''] : [])]);
    }
    lines.push('', ...formatTable(head, vrows, 3));
    if (withTruth) lines.push(`  mean RMSE over ${m.images.filter((im) => im.rmse !== undefined).length} image(s) with truth: ${m.rmse.toFixed(4)}`);
    if (m.noTruth.length) problems.push(`note: no truth row for: ${m.noTruth.join(', ')}`);
    for (const w of m.warnings) problems.push(`warning: ${w}`);
    for (const w of m.pooled.warnings) problems.push(`warning: ${w}`);
    if (pooledLines) lines.push(...pooledLines(m.pooled, m.bins, out).map((l) => `  ${l}`));
  } else lines.push('  no --scale, --scales or --bins: particle tables written, no histograms.csv');
  const overlays = report.overlays === 'none' ? '' : `, ${out}/overlays (${report.overlays})`;
  lines.push(`  outputs: ${out}/instances, ${out}/particles${overlays}${m ? `, ${out}/histograms.csv, ${out}/${m.pooled.file}` : ''}, ${out}/run.json, ${out}/records`);
  return { lines, problems };
}

/** The NDJSON summary event (with the warnings and notes a terminal run prints on stderr). */
function summaryEvent(report: BatchReport, out: string, exitCode: number, messages: string[]): Record<string, unknown> {
  const count = (s: string): number => report.results.filter((r) => r.status === s).length;
  return {
    event: 'summary',
    done: count('done'),
    skipped: count('skipped'),
    failed: count('failed'),
    wallSeconds: Number((report.wallMs / 1000).toFixed(3)),
    workers: report.workers,
    backend: report.info?.kind === 'classical' ? 'none' : (report.info?.backend?.name ?? null),
    out,
    runJson: report.runJsonPath,
    ...(report.measure ? { bins: report.measure.bins, ...(Number.isFinite(report.measure.rmse) ? { rmse: report.measure.rmse } : {}) } : {}),
    messages,
    exitCode,
  };
}

export function segmentCommand(): Command {
  const cmd = new Command('segment')
    .description(
      'Segment photos into particles at full resolution: DIR/instances/NAME.png (16-bit ids, input size),\n' +
        'DIR/particles/NAME.csv (one row per particle), DIR/overlays/NAME.jpg (outlines and ids; see --overlays),\n' +
        'DIR/histograms.csv (with --scale, --scales or --bins: vector, D10…D90, Cu, Cc per image),\n' +
        'DIR/histograms-pooled.csv (all particles of the batch in one row), DIR/run.json (model, backend, options,\n' +
        'timings, versions), DIR/records/NAME.json (the settings each image was made with). NAME is the photo\'s stem,\n' +
        'or for photos found in a folder or by a glob its path below that folder without the extension (site-a/IMG_1).',
    )
    .argument('[images...]', 'image files, folders of them, or glob patterns')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--model <model>', 'a model folder, "default" (the packaged model) or "classical" (no U-Net)', 'default')
    .option('--recursive', 'read the subfolders of folders too; outputs keep the subfolders (DIR/instances/site-a/IMG_1.png)', false)
    .option('--scales <csv>', 'a table image,mm_per_px with each photo\'s own scale (instead of --scale); checked against every photo first')
    .option('--truth <csv>', 'ground-truth distributions (image,group,<bins>): RMSE per image and overall')
    .option('--workers <n>', 'worker threads, one segmenter each (0 = none)', parseIntOption('--workers', 0, 256), availableParallelism())
    .option('--force', 'redo every image, also those made before with these or other settings', false)
    .option('--json', 'print NDJSON events on stdout (start, engine, one per image, summary) and nothing else there', false)
    .option('-q, --quiet', 'no progress on stderr (failures and warnings still)', false)
    .option('--roi <spec>', 'region of interest: none | circle | circle:CX,CY,R | polygon:X1,Y1,...', 'none')
    .option('--resize <factor>', 'shrink photos by this factor (0-1] first; only if particles are far larger than needed', parsePositive('--resize', 1))
    .option('--backend <name>', `inference engine: auto or ${BACKENDS.join(', ')} (default auto, or PHOTOSIEVE_BACKEND)`, (v: string) => parseBackendName(v, '--backend'))
    .option('--tile <px>', 'inference tile side in px, a multiple of the model\'s size multiple (default 256)', parseIntOption('--tile', 16, 4096))
    .option('--overlap <px>', 'tile overlap in px (default a quarter of the model\'s training tile, at least tile/8)', parseIntOption('--overlap', 1))
    .option('--batch <tiles>', 'tiles per U-Net call (default 1)', parseIntOption('--batch', 1, 64))
    .option('--threads <n>', 'onnxruntime threads per worker (default cores / workers)', parseIntOption('--threads', 1, 256))
    .option('--min-area <px>', 'drop particles smaller than this (default 20 with a model, 30 classical)', parseIntOption('--min-area', 0))
    .option('--cluster-boundary <p>', "a particle whose interior's mean boundary probability is above p is a cluster of grains too small to resolve: its stones are kept, the rest is reported as unmeasured; off keeps every cluster as one particle (default: the model's meta.json, 0.4 for models/scale-band, else off)", parseClusterBoundary)
    .option('--max-pixels <n>', 'refuse images with more pixels (decompression bombs)', parseIntOption('--max-pixels', 1), MAX_PIXELS_DEFAULT)
    .option('--max-memory <size>', 'memory the batch may use (4G, 1500M, 2GiB); every photo\'s header is read first: a photo that does not fit whole is segmented in strips, fewer workers start when the largest photo does not fit in each, a photo that cannot fit even in strips fails (default 80 % of available memory)', (v: string) => parseMemorySize(v, '--max-memory'))
    .option('--max-expansion <ratio>', 'refuse photos whose decoded pixels take more than this many times their file\'s size (decompression bombs; real photos measured up to 170)', parseRealOption('--max-expansion', { min: 1 }), MAX_EXPANSION_DEFAULT)
    .addOption(new Option('--strip-threshold <pixels>', 'segment photos above this many pixels in strips (default 40000000)').argParser(parseIntOption('--strip-threshold', 1)).hideHelp())
    .addOption(new Option('--strip-pixels <pixels>', 'pixels one strip segments, margins included (default 16000000)').argParser(parseIntOption('--strip-pixels', 1)).hideHelp())
    .option('--max-size <size>', 'the largest particle b-axis to measure (mm with --scale, else px); sets the image pyramid of scale-band models (default half the shorter side)', parsePositive('--max-size'))
    .option('--min-size <size>', 'detection limit in mm with --scale, else px: smaller particles are reported as unmeasured, not binned (overrides --min-size-px)', parsePositive('--min-size'))
    .option('--no-multiscale', 'scale-band models: run full resolution only (large counted as body)')
    .option('--boundary-ownership <px>', 'scale-band pyramids: a level\'s boundary within this many px of particles it calls large is decided by the coarser level; 0 hands on only large (default 2)', parseIntOption('--boundary-ownership', 0, 64))
    .option('--background-ownership <px>', 'scale-band pyramids: a level\'s background within this many px of particles it calls large is decided by the coarser level; 0 keeps it (default 2)', parseIntOption('--background-ownership', 0, 64))
    .option('--no-level-peaks', 'scale-band pyramids: split touching particles by peak heights at full resolution everywhere, not at the resolution of the level that outlines each one')
    .addOption(new Option('--inherit-large <mode>', 'scale-band pyramids: what a coarser level calls large is handed on by every finer level too, keeping boulders with textured surfaces whole: confirmed (only where the next coarser level outlines a particle), all (merges densely packed gravel), off').choices(LARGE_INHERITANCE).default(DEFAULT_LARGE_INHERITANCE))
    .addOption(new Option('--overlays <kind>', 'overlays/NAME.jpg (quick to write), .png (lossless, slow at full size) or none').choices(OVERLAY_KINDS).default(DEFAULT_OVERLAYS))
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  photosieve segment photos --out results --scale 0.1\n' +
        '  photosieve segment survey --recursive --scales survey/scales.csv --out results --json > events.ndjson\n' +
        '  photosieve segment photos/*.jpg --out results --model classical --bins 20,40,80 --bins-px\n' +
        '\nEngine (auto): tfjs-node-gpu where installed, else onnxruntime on the CPU (needs MODEL/model.onnx:\n' +
        '`photosieve export MODEL` writes it), else tfjs-node, wasm (SIMD), cpu. --backend or PHOTOSIEVE_BACKEND\n' +
        'forces one; run.json says which ran and why faster ones were skipped.\n' +
        'Resume: an image whose outputs were made with the same settings (model and its files, engine, scale, bins,\n' +
        'weighting, sizes, instance settings, ROI) is skipped, so an interrupted run continues where it stopped;\n' +
        'outputs made with other settings stop the run with one line before anything is written (--force redoes them).\n' +
        'Logs: progress and one line per image on stderr (a status line on a terminal), results on stdout.\n' +
        'Exit codes: 0 all done, 1 some images failed (each named on stderr; the others are written), 2 usage or\n' +
        'setup error (nothing done), 130 interrupted by Ctrl-C, 143 stopped by SIGTERM (a rerun resumes; this\n' +
        'run\'s temporary files are removed either way).',
    );
  return addBinOptions(cmd).action(async (images: string[], flags: SegmentFlags, command: Command) => {
    const log = new JobLog('segment', { mode: jobLogMode(flags) });
    try {
      await runSegmentCommand(images, flags, command, log);
    } catch (err) {
      log.stop();
      log.emit({ event: 'error', error: errorLine(err), exitCode: EXIT_CODES.usage });
      throw err;
    }
  });
}

async function runSegmentCommand(inputs: string[], flags: SegmentFlags, command: Command, log: JobLog): Promise<void> {
  const roi = parseRoi(flags.roi);
  if (flags.scale !== undefined && flags.scales !== undefined) {
    throw new PhotosieveError('E_PARAM', '--scale and --scales cannot be combined.', { fix: 'pass one scale for the batch (--scale) or a table of them (--scales)' });
  }
  const scaled = flags.scale !== undefined || flags.scales !== undefined;
  if (flags.scales !== undefined && (flags.minSize !== undefined || flags.maxSize !== undefined)) {
    throw new PhotosieveError('E_PARAM', '--min-size and --max-size are in mm, which differ per photo with --scales.', { fix: 'give them in pixels with --min-size-px, or use one --scale' });
  }
  // --min-size is in mm with a scale: the detection limit travels as px in the bin spec.
  if (flags.minSize !== undefined) flags.minSizePx = flags.scale === undefined ? flags.minSize : flags.minSize / flags.scale;
  // Unless the user set one, a scale-band model's own detection limit (meta.json sizeBand.minPx): particles
  // it cannot resolve are reported as unmeasured rather than binned as whatever they merged into.
  else if (command.getOptionValueSource('minSizePx') === 'default') {
    const modelDir = resolveModelOption(flags.model);
    const band = modelDir === 'classical' ? undefined : (await readModelMeta(modelDir)).sizeBand;
    if (band?.minPx !== undefined) flags.minSizePx = band.minPx;
  }
  const maxSizePx = flags.maxSize === undefined ? undefined : flags.scale === undefined ? flags.maxSize : flags.maxSize / flags.scale;
  // Without a scale and without --bins there are no bin edges: particle tables only, no histograms.csv.
  const spec = !scaled && flags.bins === undefined && !flags.binsPx ? undefined : binSpecFromFlags(flags);
  if (flags.truth !== undefined && !spec) {
    throw new PhotosieveError('E_PARAM', '--truth needs size bins to compare with.', { fix: 'pass --scale MM_PER_PX (default sieve bins) or --bins E1,E2,... --bins-px' });
  }
  const measure: MeasureOptions = {
    ...(flags.scale !== undefined ? { scale: flags.scale } : {}),
    ...(flags.scales !== undefined ? { scales: flags.scales } : {}),
    ...(spec ? { spec } : {}),
    ...(flags.truth !== undefined ? { truth: flags.truth } : {}),
  };
  const { expandImageInputs } = await import('../pipeline/inputs.js');
  const expanded = await expandImageInputs(inputs, { recursive: flags.recursive, exclude: [flags.out] });
  for (const note of expanded.notes) {
    log.emit({ event: 'note', message: note });
    log.info(`note: ${note}`);
  }
  // Loaded here, not at the top: sharp, OpenCV.js and the engines are heavy and --help does not need them.
  const { runSegmentBatch } = await import('../pipeline/runSegmentBatch.js');
  const { removeOwnTempFilesSync } = await import('../pipeline/tempFiles.js');

  // Ctrl-C once: no new image starts, those in progress finish; twice: stop at once. Either way a rerun resumes.
  const controller = new AbortController();
  let interrupts = 0;
  const interruptedLine = (): string => {
    const c = log.counts();
    return `segment: interrupted: ${c.withOutputs} of ${c.total} image(s) done (${c.segmentedHere} in this run); run the same command again to resume (images in progress are redone; run.json and histograms.csv are written when a run completes)`;
  };
  const stopNow = (code: number, signal: string): never => {
    log.stop();
    // The writes in progress are cut off here: their temporary files go now (a SIGKILL's go at the next run).
    removeOwnTempFilesSync(flags.out);
    log.problem(interruptedLine());
    log.emit({ event: 'interrupted', signal, ...log.counts() });
    process.exit(code);
  };
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      controller.abort();
      log.problem('segment: stopping after the image(s) in progress (Ctrl-C again to stop now)');
      return;
    }
    stopNow(EXIT_CODES.interrupted, 'SIGINT');
  };
  // SIGTERM (kill, a scheduler's stop or timeout) stops at once, like a second Ctrl-C: schedulers follow it with
  // SIGKILL after a grace period, too soon to wait for the photos in progress.
  const onSigterm = (): void => {
    stopNow(EXIT_CODES.terminated, 'SIGTERM');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const options: EveryKey<Omit<BatchOptions, 'onProgress' | 'signal'>> = {
    images: expanded.images,
    out: flags.out,
    segmenter: segmenterOptionsFromFlags(flags, maxSizePx),
    workers: flags.workers,
    force: flags.force,
    roi,
    maxPixels: flags.maxPixels,
    maxMemory: flags.maxMemory,
    maxExpansion: flags.maxExpansion,
    strips: flags.stripThreshold === undefined && flags.stripPixels === undefined ? undefined : { ...(flags.stripThreshold !== undefined ? { thresholdPixels: flags.stripThreshold } : {}), ...(flags.stripPixels !== undefined ? { stripPixels: flags.stripPixels } : {}) },
    measure,
    overlays: flags.overlays,
  };
  let report: BatchReport;
  try {
    report = await runSegmentBatch({ ...options, signal: controller.signal, onProgress: (e) => log.event(e) });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    log.stop();
  }
  if (report.interrupted) {
    log.problem(interruptedLine());
    log.emit({ event: 'interrupted', ...log.counts() });
    process.exitCode = EXIT_CODES.interrupted;
    return;
  }
  const exitCode = report.failed > 0 || report.problems.length > 0 ? EXIT_CODES.someFailed : EXIT_CODES.done;
  const { pooledSummaryLines } = await import('../aggregate/pooled.js');
  const { lines, problems } = formatSegmentSummary(report, flags.out, pooledSummaryLines);
  for (const p of report.problems) problems.push(`error: ${p}`);
  for (const p of problems) log.problem(p);
  if (log.json) log.emit(summaryEvent(report, flags.out, exitCode, problems));
  else for (const line of lines) process.stdout.write(`${line}\n`);
  if (exitCode !== EXIT_CODES.done) process.exitCode = exitCode;
}
