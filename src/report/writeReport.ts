// The report job: load a segment run folder, put the overlays, the outlines coloured by bin, the particle tables and
// the batch's CSVs beside the page (or the images inside it as data URIs with `embed`), and write the page. Every
// file goes through a temporary file and a rename.
import { copyFile, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { PhotosieveError, errorLine, invalidParameter } from '../core/index.js';
import { readInstancePng, writeFileAtomic, writeViaTemp } from '../io/index.js';
import { urlSegment } from './html.js';
import type { RunData } from './loadRun.js';
import { loadRun } from './loadRun.js';
import { outlineLayerPng } from './outlineLayer.js';
import type { ReportAssets } from './renderReport.js';
import { renderReport } from './renderReport.js';

export interface ReportOptions {
  /** The --out folder of a `photosieve segment` run. */
  dir: string;
  /** The HTML file to write. @default DIR/report/index.html */
  out?: string | undefined;
  /**
   * Put the overlays into the page as data URIs (one file to send, but large) instead of copying them and the
   * particle tables into overlays/ and particles/ beside it. @default false
   */
  embed?: boolean | undefined;
  /** The date in the footer. @default new Date() */
  now?: Date | undefined;
}

export interface ReportResult {
  /** The HTML file written. */
  file: string;
  data: RunData;
  /** Files copied beside the page. */
  copied: string[];
  /** Outline layers written beside the page (report/outlines/NAME.png; none with `embed`). */
  layers: string[];
  /** Bytes of the page itself. */
  bytes: number;
}

export const DEFAULT_REPORT_FILE = join('report', 'index.html');

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_SIGNATURE = Buffer.from([0xff, 0xd8, 0xff]);

/** Copies `from` to `to` atomically, unless they are the same file (a report written into the run folder itself). */
async function copyAtomic(from: string, to: string): Promise<boolean> {
  if (resolve(from) === resolve(to)) return false;
  await writeViaTemp(to, (tmp) => copyFile(from, tmp));
  return true;
}

/** The overlay as a data URI; the type comes from the bytes, so a renamed or damaged file is caught here. */
async function imageDataUri(file: string): Promise<string> {
  const bytes = await readFile(file);
  const type = bytes.subarray(0, 8).equals(PNG_SIGNATURE) ? 'png' : bytes.subarray(0, 3).equals(JPEG_SIGNATURE) ? 'jpeg' : undefined;
  if (type === undefined) {
    throw new PhotosieveError('E_INPUT', 'not a PNG or JPEG file.', { file, fix: 'rewrite the overlays with photosieve segment --force' });
  }
  return `data:image/${type};base64,${bytes.toString('base64')}`;
}

export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  const file = options.out ?? join(options.dir, DEFAULT_REPORT_FILE);
  if (!/^\.html?$/i.test(extname(file))) throw invalidParameter('--out', 'an HTML file name ending in .html', file, 'e.g. --out results/report.html');
  const data = await loadRun(options.dir);
  const folder = dirname(file);
  const overlays = new Map<number, string>();
  const csvs = new Map<number, string>();
  const layers = new Map<number, string>();
  const copied: string[] = [];
  const layerFiles: string[] = [];
  const bins = data.bins?.length ?? 0;
  for (const [k, im] of data.images.entries()) {
    if (im.overlay) {
      if (options.embed) overlays.set(k, await imageDataUri(im.overlay));
      else {
        const ext = extname(im.overlay);
        const target = join(folder, 'overlays', `${im.name}${ext}`);
        if (await copyAtomic(im.overlay, target)) copied.push(target);
        overlays.set(k, `overlays/${urlSegment(im.name)}${ext}`);
      }
    }
    // Outlines coloured by bin, from the instance map and the particles' classes (the run's bin spec).
    if (im.instances && im.classes && bins > 0) {
      try {
        const png = await outlineLayerPng(await readInstancePng(im.instances), im.classes, bins);
        if (options.embed) layers.set(k, `data:image/png;base64,${png.toString('base64')}`);
        else {
          const target = join(folder, 'outlines', `${im.name}.png`);
          await writeFileAtomic(target, png);
          layerFiles.push(target);
          layers.set(k, `outlines/${urlSegment(im.name)}.png`);
        }
      } catch (err) {
        data.problems.push(err instanceof PhotosieveError ? err.toLine() : `${im.instances}: ${errorLine(err)}`);
      }
    }
    if (im.particlesCsv && !options.embed) {
      const target = join(folder, 'particles', `${im.name}.csv`);
      if (await copyAtomic(im.particlesCsv, target)) copied.push(target);
      csvs.set(k, `particles/${urlSegment(im.name)}.csv`);
    }
  }
  // The batch's tables beside the page as well; an embedded page links the small CSVs as data URIs.
  const batchCsvs = new Map<'histograms' | 'pooled', string>();
  for (const [key, csv] of [
    ['histograms', data.histogramsFile],
    ['pooled', data.batch?.file ?? null],
  ] as const) {
    if (csv === null) continue;
    if (options.embed) batchCsvs.set(key, `data:text/csv;base64,${(await readFile(csv)).toString('base64')}`);
    else {
      const target = join(folder, basename(csv));
      if (await copyAtomic(csv, target)) copied.push(target);
      batchCsvs.set(key, urlSegment(basename(csv)));
    }
  }
  const assets: ReportAssets = {
    overlaySrc: (_, k) => overlays.get(k) ?? null,
    csvHref: (_, k) => csvs.get(k) ?? null,
    layerSrc: (_, k) => layers.get(k) ?? null,
    batchCsvHref: (key) => batchCsvs.get(key) ?? null,
  };
  const html = renderReport(data, { assets, now: options.now });
  await writeFileAtomic(file, html);
  return { file, data, copied, layers: layerFiles, bytes: Buffer.byteLength(html) };
}
