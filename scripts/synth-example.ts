// Regenerates the README example of `photosieve synth`: a small synthetic photo and the same photo with the
// visible outlines from its LabelMe file drawn over it. Run: npx tsx scripts/synth-example.ts
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { LabelmeExport } from '../src/annotate/index.js';
import { runSynth } from '../src/synth/index.js';

const OUT = 'docs/img';
const SIZE = 384;

const dir = await mkdtemp(join(tmpdir(), 'photosieve-example-'));
try {
  await runSynth({
    outDir: dir,
    vector: [0.1, 0.2, 0.3, 0.25, 0.15],
    width: SIZE,
    height: SIZE,
    scaleMmPerPx: 0.12,
    seed: 2024,
    format: 'jpg',
    jpegQuality: 88,
  });
  const photo = join(dir, 'images/g01_001.jpg');
  const labels = JSON.parse(await readFile(join(dir, 'labels/g01_001.json'), 'utf8')) as LabelmeExport;
  const paths = labels.shapes
    .map((s) => `<path d="M${s.points.map(([x, y]) => `${x.toFixed(2)},${y.toFixed(2)}`).join('L')}Z"/>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}"><g fill="none" stroke="#ffe600" stroke-width="1">${paths}</g></svg>`;
  await sharp(photo).toFile(join(OUT, 'synth-example.jpg'));
  await sharp(photo)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .jpeg({ quality: 88 })
    .toFile(join(OUT, 'synth-example-overlay.jpg'));
  process.stdout.write(`wrote ${OUT}/synth-example.jpg and ${OUT}/synth-example-overlay.jpg (${labels.shapes.length} outlines)\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
