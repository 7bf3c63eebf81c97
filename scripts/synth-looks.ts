// Renders one small example photo per look of `photosieve synth` into docs/img/synth-looks/ (LOOK.jpg), and for
// the looks whose labels are the point (burial, fracture, texture, size range) the same photo with its visible
// outlines (LOOK-outlines.jpg), so the docs show what each look trains on and that the label is the visible
// stone. Run: npx tsx scripts/synth-looks.ts
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { LabelmeExport } from '../src/annotate/index.js';
import { LOOK_NAMES, runSynth } from '../src/synth/index.js';

const OUT = 'docs/img/synth-looks';
const SIZE = 384;
const QUALITY = 82;
const WITH_OUTLINES: readonly string[] = ['matrix', 'angular', 'textured', 'wide', 'heldout'];

await mkdir(OUT, { recursive: true });
const dir = await mkdtemp(join(tmpdir(), 'photosieve-looks-'));
try {
  for (const look of LOOK_NAMES) {
    const out = join(dir, look);
    // wide needs a frame where its 8–250 px range fits the default bins: 0.1 mm/px puts the bins at 40–112 px.
    const wide = look === 'wide';
    await runSynth({
      outDir: out,
      vector: wide ? [0.1, 0.1, 0.15, 0.25, 0.4] : [0.1, 0.2, 0.3, 0.25, 0.15],
      width: wide ? 768 : SIZE,
      height: wide ? 768 : SIZE,
      scaleMmPerPx: wide ? 0.1 : 0.12,
      seed: 2024,
      format: 'png',
      look: [look],
    });
    const photo = await sharp(join(out, 'images/g01_001.png')).resize(SIZE, SIZE).toBuffer();
    const labels = JSON.parse(await readFile(join(out, 'labels/g01_001.json'), 'utf8')) as LabelmeExport;
    const k = SIZE / labels.imageWidth;
    const paths = labels.shapes
      .map((s) => `<path d="M${s.points.map(([x, y]) => `${(x * k).toFixed(2)},${(y * k).toFixed(2)}`).join('L')}Z"/>`)
      .join('');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}"><g fill="none" stroke="#ffe600" stroke-width="1">${paths}</g></svg>`;
    await sharp(photo).jpeg({ quality: QUALITY }).toFile(join(OUT, `${look}.jpg`));
    if (WITH_OUTLINES.includes(look)) {
      await sharp(photo)
      .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
      .jpeg({ quality: QUALITY })
      .toFile(join(OUT, `${look}-outlines.jpg`));
    }
    process.stdout.write(`wrote ${OUT}/${look}.jpg (${labels.shapes.length} outlines)\n`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
