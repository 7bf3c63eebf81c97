// Regenerates the bundled demo photos (fixtures/demo): three synthetic gravel trays of different size
// distributions, 768 × 768 px at 0.1 mm/px, with their sieve truth and true instances. Made by photosieve synth,
// so they are this project's own (Apache-2.0). Run: npx tsx scripts/make-demo-photos.ts
import { cp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../src/synth/index.js';

const out = join(import.meta.dirname, '..', 'fixtures', 'demo');
const tmp = join(tmpdir(), `photosieve-demo-${process.pid}`);
await runSynth({ outDir: tmp, groups: 3, perGroup: 1, width: 768, height: 768, seed: 21, scaleMmPerPx: 0.1, format: 'jpg', jpegQuality: 85 });
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
for (const d of ['images', 'instances']) await cp(join(tmp, d), join(out, d), { recursive: true });
await cp(join(tmp, 'truth.csv'), join(out, 'truth.csv'));
await rm(tmp, { recursive: true, force: true });
console.log(`demo photos written to ${out}`);
