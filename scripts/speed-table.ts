// Prints the README's Speed tables from bench/results/speed.json (so the README quotes the run, not a retyping).
//   npx tsx scripts/speed-table.ts
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface Row {
  engine: string;
  threadsPerWorker: number;
  image: string;
  megapixels: number;
  workers: number;
  images: number;
  particlesPerImage: number;
  wallSeconds: number;
  throughputMPperS: number;
  stageSecondsPerImage: Record<string, number>;
  peakRssMB: number;
  unetGflopPerS?: number;
  unetShareOfPeak?: number;
  loadAverageBefore: number;
}

const json = JSON.parse(await readFile(join(import.meta.dirname, '..', 'bench', 'results', 'speed.json'), 'utf8')) as {
  command: string;
  date: string;
  network: { gflopPerMP: number; flopsPerPixel: number; tilePixelsPerPhotoPixel: number } | null;
  peak: { coreGflopPerS: number; basis: string };
  headline: { results: Row[]; throughputRatio?: number; unetStageRatio?: number; instanceF1OrtVsWasm?: number };
  ratios: { throughputOrtOverWasm: Record<string, number>; unetSpeedupOrtOverWasm: Record<string, number> } | null;
  results: Row[];
};
const s = (v: number | undefined, d = 2): string => (v === undefined ? '' : `${v.toFixed(d)} s`);
const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
const head = ['engine', 'photo', 'particles', 'workers', 'wall', 'throughput', 'decode', 'U-Net', 'instances', 'measure', 'write', 'peak RSS', 'U-Net GFLOP/s (share of peak)'];
const row = (r: Row): string =>
  line([
    `${r.engine}${r.engine === 'onnxruntime' ? ` (${r.threadsPerWorker} thr.)` : ''}`,
    `${r.megapixels} MP (${r.image})${r.images !== r.workers ? ` ×${r.images}` : ''}`,
    r.particlesPerImage.toLocaleString('en-US'),
    String(r.workers),
    `${r.wallSeconds.toFixed(1)} s`,
    `**${r.throughputMPperS.toFixed(2)} MP/s**`,
    s(r.stageSecondsPerImage.decode),
    s(r.stageSecondsPerImage.semantic),
    s(r.stageSecondsPerImage.instances),
    s(r.stageSecondsPerImage.measure),
    s(r.stageSecondsPerImage.write),
    `${r.peakRssMB.toLocaleString('en-US')} MB`,
    r.unetGflopPerS === undefined ? '' : `${r.unetGflopPerS} (${Math.round(100 * (r.unetShareOfPeak ?? 0))} %)`,
  ]);
const out: string[] = [];
out.push(`Headline (${json.headline.results[0]?.images ?? 4} different 1500² photos, 2 workers):`, '', line(head), line(head.map(() => '---')));
for (const r of json.headline.results) out.push(row(r));
out.push('', `ratio ORT / wasm: throughput ${json.headline.throughputRatio ?? '-'}×, U-Net stage ${json.headline.unetStageRatio ?? '-'}×, instance-map F1 between engines ${json.headline.instanceF1OrtVsWasm ?? '-'}`);
out.push('', 'All sizes (N workers, N copies of one photo):', '', line(head), line(head.map(() => '---')));
for (const r of json.results) out.push(row(r));
if (json.ratios) {
  out.push('', `U-Net speed-up ORT over wasm: ${Object.entries(json.ratios.unetSpeedupOrtOverWasm).map(([k, v]) => `${k} ${v}×`).join('; ')}`);
  out.push(`throughput ORT / wasm: ${Object.entries(json.ratios.throughputOrtOverWasm).map(([k, v]) => `${k} ${v}×`).join('; ')}`);
}
if (json.network) out.push('', `network: ${json.network.flopsPerPixel.toLocaleString('en-US')} FLOP per tile pixel; ${json.network.gflopPerMP} GFLOP per photo MP with the tile overlaps (${json.network.tilePixelsPerPhotoPixel}× the pixels); peak ${json.peak.coreGflopPerS} GFLOP/s per core (${json.peak.basis})`);
out.push('', `(${json.command}, ${json.date}; load average before each case in the JSON)`);
process.stdout.write(`${out.join('\n')}\n`);
