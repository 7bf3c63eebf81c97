// The report job: load a segment run folder, put the overlays and particle tables beside the page (or inside it
// as data URIs with `embed`), and write the page. Every file goes through a temporary file and a rename.
import { copyFile, readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { PhotosieveError, invalidParameter } from '../core/index.js';
import { writeFileAtomic, writeViaTemp } from '../io/index.js';
import { urlSegment } from './html.js';
import type { RunData } from './loadRun.js';
import { loadRun } from './loadRun.js';
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
  const copied: string[] = [];
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
    if (im.particlesCsv && !options.embed) {
      const target = join(folder, 'particles', `${im.name}.csv`);
      if (await copyAtomic(im.particlesCsv, target)) copied.push(target);
      csvs.set(k, `particles/${urlSegment(im.name)}.csv`);
    }
  }
  const assets: ReportAssets = { overlaySrc: (_, k) => overlays.get(k) ?? null, csvHref: (_, k) => csvs.get(k) ?? null };
  const html = renderReport(data, { assets, now: options.now });
  await writeFileAtomic(file, html);
  return { file, data, copied, bytes: Buffer.byteLength(html) };
}
