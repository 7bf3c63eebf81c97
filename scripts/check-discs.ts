// Issue 12's fast check, on demand: a photo of known discs of 10-300 px (scripts/discPhoto.ts), rendered
// analytically at 0.5×, 1× and 2× of 10 px/mm and segmented by a model; every disc resolvable at 0.5× (≥ 12 px
// there) must have the same b-axis in mm at all three resolutions within ±5 %. Exit code 1 when any disc fails.
// It becomes a test in test/segment once the default model passes it (the current one does not: see the README).
//   npx tsx scripts/check-discs.ts [MODEL] [SEGMENTER_OPTIONS_JSON]     e.g. '{"backgroundOwnership":0}'
import { createSegmenter } from '../src/segment/index.js';
import type { SegmenterOptions } from '../src/segment/index.js';
import { DISC_PX_PER_MM, discDrifts, discSizesMm, renderDiscs } from './discPhoto.js';

const model = process.argv[2] ?? 'default';
const extra = JSON.parse(process.argv[3] ?? '{}') as Partial<SegmenterOptions>;
const seg = await createSegmenter({ ...extra, model, threads: 1 });
const sizes: number[][] = [];
try {
  for (const ppm of DISC_PX_PER_MM) {
    const { raster, discs } = renderDiscs(ppm);
    const { instances, levels } = await seg.segment(raster);
    const { mm, particles } = discSizesMm(instances, discs, ppm);
    sizes.push(mm);
    process.stdout.write(`${ppm} px/mm: ${raster.width}×${raster.height}, ${particles} particles, pyramid levels ${levels}\n`);
  }
} finally {
  await seg.dispose();
}
let failed = 0;
for (const { disc, mm, drift, ok } of discDrifts(sizes)) {
  if (!ok) failed++;
  const [a, b, c] = mm as [number, number, number];
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} disc ${disc.d} mm: 0.5× ${a.toFixed(2)}, 1× ${b.toFixed(2)}, 2× ${c.toFixed(2)} mm (worst drift ${(100 * drift).toFixed(1)} %)\n`);
}
process.stdout.write(failed ? `check-discs: ${failed} disc(s) drift more than 5 %\n` : 'check-discs: every resolvable disc within 5 %\n');
process.exitCode = failed ? 1 : 0;
