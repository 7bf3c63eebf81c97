// `photosieve annotate`: thin layer over runAnnotate / runFromInstances.
import { Command, Option } from 'commander';
import type { AnnotateReport, LabelFormatOption, PixelOrigin } from '../annotate/index.js';
import { DEFAULT_BOUNDARY_PX, LABEL_FORMATS, PIXEL_ORIGINS, formatIssue, parseRoi, runAnnotate, runFromInstances } from '../annotate/index.js';
import { PhotosieveError, parseMemorySize } from '../core/index.js';
import { DEFAULT_MAX_PIXELS } from '../io/index.js';
import { expandInputs, parseIntOption, parseListOption, parseRealOption, progressBar } from './common.js';

interface AnnotateFlags {
  out: string;
  images?: string;
  format: LabelFormatOption;
  boundaryPx: number;
  roi: string;
  strict: boolean;
  labels?: string[];
  copyImages: boolean;
  fromInstances?: string;
  label: string;
  maxPixels: number;
  maxMemory?: number;
  maxExpansion: number;
  allowOutside: boolean;
  pixelOrigin: PixelOrigin;
}

const MAX_LISTED_ISSUES = 12;

export function printAnnotateSummary(report: AnnotateReport, out: string, write: (line: string) => void): void {
  const t = report.totals;
  const formats = new Map<string, number>();
  for (const i of report.inputs) if (i.format) formats.set(i.format, (formats.get(i.format) ?? 0) + 1);
  const fmt = [...formats].map(([f, n]) => `${f} ${n}`).join(', ');
  write(`annotate: ${t.files} input file(s)${fmt ? ` (${fmt})` : ''} → ${t.images} image(s), ${t.particles} particle(s) in ${out}`);
  const overlapped = report.images.reduce((a, im) => a + im.overlapped, 0);
  const hidden = report.images.reduce((a, im) => a + im.hidden, 0);
  const crowd = report.images.reduce((a, im) => a + im.crowdRegions, 0);
  write(`  overlaps resolved by z-order: ${overlapped} particle(s) partly covered, ${hidden} hidden; crowd regions: ${crowd}`);
  write(`  errors ${t.errors}, repairs ${t.repairs}, warnings ${t.warnings}; files failed ${t.failedFiles}, images skipped ${t.skippedImages}`);
  const ranked = [...report.issues].sort((a, b) => rank(a.severity) - rank(b.severity));
  for (const issue of ranked.slice(0, MAX_LISTED_ISSUES)) write(`  ${formatIssue(issue)}`);
  if (ranked.length > MAX_LISTED_ISSUES) write(`  … ${ranked.length - MAX_LISTED_ISSUES} more`);
  write(`  report: ${out}/annotate-report.json`);
}

function rank(severity: string): number {
  return severity === 'error' ? 0 : severity === 'repair' ? 1 : 2;
}

export function annotateCommand(): Command {
  return new Command('annotate')
    .description(
      'Import polygon labels (LabelMe JSON, COCO JSON, CVAT for images XML) into training targets:\n' +
        'DIR/instances/NAME.png (16-bit ids), DIR/masks/NAME.png (0 background, 1 body, 2 boundary, 255 ignore),\n' +
        'DIR/labels/NAME.json (LabelMe), DIR/annotations.json (COCO), DIR/images/, DIR/annotate-report.json.\n' +
        'Pixel (row i, col j) covers x in [j, j+1), y in [i, i+1) and belongs to a polygon when its centre does.',
    )
    .argument('[labels...]', 'label files, folders of them, or glob patterns')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--images <dir>', 'folder with the images (default: beside each label file, or its images/ folder)')
    .addOption(new Option('--format <format>', 'label format').choices(LABEL_FORMATS).default('auto'))
    .option('--boundary-px <n>', 'width of the boundary band inside each particle outline, px', parseIntOption('--boundary-px', 0, 64), DEFAULT_BOUNDARY_PX)
    .option('--roi <spec>', 'region of interest: none | circle | circle:CX,CY,R | polygon:X1,Y1,X2,Y2,X3,Y3,...', 'none')
    .option('--strict', 'treat every repair (clipping, self-intersection, NaN points, size scaling) as an error', false)
    .option('--labels <list>', 'only shapes with these labels (comma-separated) are particles', parseListOption)
    .addOption(
      new Option(
        '--pixel-origin <origin>',
        'corner: pixel corners at integer coordinates (COCO, CVAT, this project); center: coordinates are pixel indices and outlines run through boundary-pixel centres (OpenCV findContours, LabelMe\'s own masks)',
      )
        .choices(PIXEL_ORIGINS)
        .default('corner'),
    )
    .option('--no-copy-images', 'do not copy the images into DIR/images')
    .option('--from-instances <dir>', 'trace 16-bit instance PNGs in DIR to polygons instead of reading label files')
    .option('--label <name>', 'label for particles traced with --from-instances', 'particle')
    .option('--max-pixels <n>', 'refuse images (found, or sized by a label file) with more pixels (decompression bombs)', parseIntOption('--max-pixels', 1), DEFAULT_MAX_PIXELS)
    .option('--max-memory <size>', 'memory one image may take, e.g. 4G or 1500M (default 80 % of the memory available)', (v: string) => parseMemorySize(v, '--max-memory'))
    .option('--max-expansion <ratio>', 'with --from-instances: refuse instance maps that decode to more than this many times their file\'s size (an empty 16-bit map reaches ~1030, deflate\'s ceiling)', parseRealOption('--max-expansion', { min: 1 }), 1100)
    .option('--allow-outside', "follow image paths in label files that lead outside the label file's folder (or --images): absolute, ../ or links", false)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  photosieve annotate labels/*.json --images photos --out data/annotated\n' +
        '  photosieve annotate export/annotations.xml --roi circle --out data/cvat\n' +
        '  photosieve annotate --from-instances masks16 --images photos --out data/traced\n' +
        '\nImage paths in label files may lead only into the label file\'s folder, its images/ and ../images\n' +
        'folders, or --images DIR (links resolved); others are not opened unless --allow-outside.\n' +
        'Exit code 1 when any file, image or shape failed (see the report); the rest is still written.',
    )
    .action(async (labels: string[], flags: AnnotateFlags) => {
      const roi = parseRoi(flags.roi);
      const bar = progressBar('annotate');
      const common = {
        out: flags.out,
        images: flags.images,
        boundaryPx: flags.boundaryPx,
        roi,
        strict: flags.strict,
        copyImages: flags.copyImages,
        maxPixels: flags.maxPixels,
        maxMemory: flags.maxMemory,
        maxExpansion: flags.maxExpansion,
        allowOutside: flags.allowOutside,
        onProgress: (d: number, t: number, n: string) => bar.update(d, t, n),
      };
      let report: AnnotateReport;
      try {
        if (flags.fromInstances !== undefined) {
          if (labels.length > 0) {
            throw new PhotosieveError('E_PARAM', 'label files and --from-instances cannot be combined.', { fix: 'run annotate once for each' });
          }
          report = await runFromInstances({ ...common, instances: flags.fromInstances, label: flags.label });
        } else {
          if (labels.length === 0) {
            throw new PhotosieveError('E_PARAM', 'no label files given.', { fix: 'pass LabelMe/COCO/CVAT files, or --from-instances DIR' });
          }
          const files = await expandInputs(labels, ['json', 'xml']);
          report = await runAnnotate({ ...common, labels: files, format: flags.format, includeLabels: flags.labels, pixelOrigin: flags.pixelOrigin });
        }
      } finally {
        bar.stop();
      }
      printAnnotateSummary(report, flags.out, (line) => process.stdout.write(`${line}\n`));
      if (report.totals.errors > 0 || report.totals.failedFiles > 0) process.exitCode = 1;
    });
}
