// `photosieve segment`: thin layer over runSegmentBatch — parse and validate flags, show progress, print the summary.
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { parseRoi } from '../annotate/index.js';
import { PhotosieveError } from '../core/index.js';
import type { BackendName } from '../segment/backendNames.js';
import { BACKENDS, describeBackend, parseBackendName } from '../segment/backendNames.js';
import { DEFAULT_MAX_PIXELS } from '../io/index.js';
import type { BatchReport, MeasureOptions, OverlayKind } from '../pipeline/index.js';
// types.ts only: the batch runner itself (TensorFlow.js, OpenCV.js) is imported when the command runs.
import { DEFAULT_OVERLAYS, OVERLAY_KINDS } from '../pipeline/types.js';
import { readModelMeta } from '../segment/modelMeta.js';
import { resolveModelOption } from '../segment/modelLocation.js';
import { expandInputs, formatTable, parseIntOption, parsePositive, progressBar } from './common.js';
import type { BinFlags } from './measure.js';
import { addBinOptions, binSpecFromFlags } from './measure.js';

const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'tif', 'tiff', 'webp'];

interface SegmentFlags extends BinFlags {
  out: string;
  model: string;
  truth?: string;
  workers: number;
  force: boolean;
  roi: string;
  resize?: number;
  overlap?: number;
  batch?: number;
  backend?: BackendName;
  tile?: number;
  threads?: number;
  minArea?: number;
  maxPixels: number;
  overlays: OverlayKind;
  maxSize?: number;
  minSize?: number;
  multiscale: boolean;
}

/** The summary table (one row per image) and the totals, as lines. */
export function formatSegmentSummary(report: BatchReport, out: string): string[] {
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
  lines.push(
    `segment: ${report.results.length} image(s): ${count('done')} done, ${count('skipped')} skipped (outputs exist; --force redoes them), ${count('failed')} failed; ${(report.wallMs / 1000).toFixed(1)} s with ${report.workers} worker(s), backend ${backend}`,
    `  MP/s per stage: decode ${s.decode.mpPerS.toFixed(2)}, U-Net ${s.semantic.mpPerS.toFixed(2)}, instances ${s.instances.mpPerS.toFixed(2)}, write ${s.write.mpPerS.toFixed(2)}`,
  );
  if (report.info?.backend?.warning) lines.push(`  warning: ${report.info.backend.warning}`);
  // A fall-back below onnxruntime is slower: say why each faster engine was passed over (no model.onnx, …).
  const b = report.info?.backend;
  if (b && b.name !== 'onnxruntime' && b.name !== 'onnxruntime-cuda' && b.name !== 'tensorflow-gpu') {
    for (const s of b.skipped) lines.push(`  note: ${s}`);
  }
  for (const r of report.results) if (r.status === 'failed') lines.push(`  failed: ${r.error ?? r.path}`);
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
    if (m.noTruth.length) lines.push(`  no truth row for: ${m.noTruth.join(', ')}`);
    for (const w of m.warnings) lines.push(`  warning: ${w}`);
  } else lines.push('  no --scale or --bins: particle tables written, no histograms.csv');
  const overlays = report.overlays === 'none' ? '' : `, ${out}/overlays (${report.overlays})`;
  lines.push(`  outputs: ${out}/instances, ${out}/particles${overlays}${m ? `, ${out}/histograms.csv` : ''}, ${out}/run.json`);
  return lines;
}

export function segmentCommand(): Command {
  const cmd = new Command('segment')
    .description(
      'Segment photos into particles at full resolution: DIR/instances/NAME.png (16-bit ids, input size),\n' +
        'DIR/particles/NAME.csv (one row per particle), DIR/overlays/NAME.jpg (outlines and ids; see --overlays),\n' +
        'DIR/histograms.csv (with --scale or --bins), DIR/run.json (model, backend, options, timings, versions).',
    )
    .argument('[images...]', 'image files, folders of them, or glob patterns')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--model <model>', 'a model folder, "default" (the packaged model) or "classical" (no U-Net)', 'default')
    .option('--truth <csv>', 'ground-truth distributions (image,group,<bins>): RMSE per image and overall')
    .option('--workers <n>', 'worker threads, one segmenter each (0 = none)', parseIntOption('--workers', 0, 256), availableParallelism())
    .option('--force', 'redo images whose outputs already exist', false)
    .option('--roi <spec>', 'region of interest: none | circle | circle:CX,CY,R | polygon:X1,Y1,...', 'none')
    .option('--resize <factor>', 'shrink photos by this factor (0-1] first; only if particles are far larger than needed', parsePositive('--resize', 1))
    .option('--backend <name>', `inference engine: auto or ${BACKENDS.join(', ')} (default auto, or PHOTOSIEVE_BACKEND)`, (v: string) => parseBackendName(v, '--backend'))
    .option('--tile <px>', 'inference tile side in px, a multiple of the model\'s size multiple (default 256)', parseIntOption('--tile', 16, 4096))
    .option('--overlap <px>', 'tile overlap in px (default a quarter of the model\'s training tile, at least tile/8)', parseIntOption('--overlap', 1))
    .option('--batch <tiles>', 'tiles per U-Net call (default 1)', parseIntOption('--batch', 1, 64))
    .option('--threads <n>', 'onnxruntime threads per worker (default cores / workers)', parseIntOption('--threads', 1, 256))
    .option('--min-area <px>', 'drop particles smaller than this (default 20 with a model, 30 classical)', parseIntOption('--min-area', 0))
    .option('--max-pixels <n>', 'refuse images with more pixels (decompression bombs)', parseIntOption('--max-pixels', 1), DEFAULT_MAX_PIXELS)
    .option('--max-size <size>', 'the largest particle b-axis to measure (mm with --scale, else px); sets the image pyramid of scale-band models (default half the shorter side)', parsePositive('--max-size'))
    .option('--min-size <size>', 'detection limit in mm with --scale, else px: smaller particles are reported as unmeasured, not binned (overrides --min-size-px)', parsePositive('--min-size'))
    .option('--no-multiscale', 'scale-band models: run full resolution only (large counted as body)')
    .addOption(new Option('--overlays <kind>', 'overlays/NAME.jpg (quick to write), .png (lossless, slow at full size) or none').choices(OVERLAY_KINDS).default(DEFAULT_OVERLAYS))
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  photosieve segment photos/*.jpg --out results --model classical\n' +
        '  photosieve segment photos --out results --model models/my-unet --workers 2\n' +
        '\nEngine (auto): tfjs-node-gpu where installed, else onnxruntime on the CPU (needs MODEL/model.onnx:\n' +
        '`photosieve export MODEL` writes it), else tfjs-node, wasm (SIMD), cpu. --backend or PHOTOSIEVE_BACKEND\n' +
        'forces one; run.json says which ran and why faster ones were skipped.\n' +
        'Images whose outputs exist are skipped (an interrupted run resumes); --force redoes them.\n' +
        'Exit code 1 when any image failed (each is reported in one line); the others are still written.',
    )
  return addBinOptions(cmd).action(async (images: string[], flags: SegmentFlags, command: Command) => {
      const roi = parseRoi(flags.roi);
      const files = await expandInputs(images, IMAGE_EXTENSIONS);
      // Without --scale and --bins there are no bin edges to use: particle tables only, no histograms.csv.
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
      const spec = flags.scale === undefined && flags.bins === undefined ? undefined : binSpecFromFlags(flags);
      if (flags.truth !== undefined && !spec) {
        throw new PhotosieveError('E_PARAM', '--truth needs size bins to compare with.', { fix: 'pass --scale MM_PER_PX (default sieve bins) or --bins E1,E2,... in px' });
      }
      const measure: MeasureOptions = {
        ...(flags.scale !== undefined ? { scale: flags.scale } : {}),
        ...(spec ? { spec } : {}),
        ...(flags.truth !== undefined ? { truth: flags.truth } : {}),
      };
      const minArea = flags.minArea === undefined ? {} : { minArea: flags.minArea };
      // Loaded here, not at the top: TensorFlow.js and OpenCV.js are heavy and other commands do not need them.
      const { runSegmentBatch } = await import('../pipeline/index.js');
      const bar = progressBar('segment');
      let current = { done: 0, total: files.length };
      let report: BatchReport;
      try {
        report = await runSegmentBatch({
          images: files,
          out: flags.out,
          segmenter: {
            model: flags.model,
            instance: minArea,
            classical: minArea,
            ...(flags.resize !== undefined ? { resize: flags.resize } : {}),
            ...(flags.overlap !== undefined ? { overlap: flags.overlap } : {}),
            ...(flags.batch !== undefined ? { batchSize: flags.batch } : {}),
            ...(flags.backend !== undefined ? { backend: flags.backend } : {}),
            ...(flags.tile !== undefined ? { tileSize: flags.tile } : {}),
            ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
            ...(maxSizePx !== undefined ? { maxSizePx } : {}),
            ...(flags.multiscale ? {} : { multiscale: false }),
          },
          workers: flags.workers,
          force: flags.force,
          roi,
          maxPixels: flags.maxPixels,
          measure,
          overlays: flags.overlays,
          onProgress: (e) => {
            if (e.kind === 'image') {
              current = { done: e.done, total: e.total };
              bar.update(e.done, e.total, e.name);
            } else bar.update(current.done, current.total, `${e.name} tiles ${e.done}/${e.total}`);
          },
        });
      } finally {
        bar.stop();
      }
      for (const line of formatSegmentSummary(report, flags.out)) process.stdout.write(`${line}\n`);
      if (report.failed > 0) process.exitCode = 1;
    });
}
