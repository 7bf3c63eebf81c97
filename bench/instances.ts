// Timing of the CPU stages after the U-Net: instances (probabilities → instance map), measure (particle table)
// and write (instance PNG, overlay, CSV), on saved probability maps so each run sees exactly the same input.
// The U-Net runs once per photo (--capture) and its probabilities are cached as raw float32 files; afterwards
// every run only times the three stages, several times, and prints medians in ms per MP and a hash of the
// instance map and of the particle CSV, so two source trees can be compared side by side on the same inputs:
//   npx tsx bench/instances.ts --capture --cache /tmp/ps/probs PHOTOS...   once (U-Net, minutes)
//   npx tsx bench/instances.ts --cache /tmp/ps/probs                      time this tree
//   npx tsx bench/instances.ts --cache /tmp/ps/probs --src /tmp/old/src   time another checkout's src/ (same API)
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Saved } from './probabilityCache.js';
import { cachedNames, hash, median, readCached } from './probabilityCache.js';

type Instances = typeof import('../src/segment/instances.js');
type Batch = typeof import('../src/pipeline/index.js');
type Io = typeof import('../src/io/index.js');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    cache: { type: 'string' },
    capture: { type: 'boolean', default: false },
    src: { type: 'string' },
    repeats: { type: 'string', default: '5' },
    overlays: { type: 'string', default: 'png' },
  },
});
if (values.cache === undefined) throw new Error('--cache DIR is required (where the probability maps are kept). Fix: pass --cache /tmp/probs');
const cache = resolve(values.cache);
const repeats = Number(values.repeats);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got ${values.repeats}. Fix: pass --repeats 5`);
const src = pathToFileURL(`${resolve(values.src ?? join(import.meta.dirname, '..', 'src'))}/`);
const load = <T>(path: string): Promise<T> => import(new URL(path, src).href) as Promise<T>;

async function capture(photos: string[]): Promise<void> {
  const { createSegmenter } = await load<typeof import('../src/segment/createSegmenter.js')>('segment/createSegmenter.ts');
  const { readImage } = await load<Io>('io/index.ts');
  await mkdir(cache, { recursive: true });
  const segmenter = await createSegmenter({ model: 'default' });
  try {
    for (const photo of photos) {
      const name = basename(photo, extname(photo));
      const raster = await readImage(photo);
      const seg = await segmenter.segment(raster, { keepProbabilities: true });
      const p = seg.probabilities!;
      await writeFile(join(cache, `${name}.f32`), new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
      const saved: Saved = { name, photo: resolve(photo), width: p.width, height: p.height };
      await writeFile(join(cache, `${name}.json`), JSON.stringify(saved));
      process.stderr.write(`captured ${name} ${p.width}×${p.height}\n`);
    }
  } finally {
    await segmenter.dispose();
  }
}

async function time(): Promise<void> {
  const { probabilitiesToInstances } = await load<Instances>('segment/instances.ts');
  const { writeImageOutputs } = await load<Batch>('pipeline/index.ts').catch(() => load<Batch>('segment/batch/index.ts'));
  const { readImage } = await load<Io>('io/index.ts');
  const names = await cachedNames(cache);
  const out = join(tmpdir(), `photosieve-bench-${process.pid}`);
  const rows: string[] = [];
  const sums = { mp: 0, instances: 0, measure: 0, write: 0 };
  try {
    for (const cached of names) {
      const { saved, probs } = await readCached(cache, cached);
      const raster = await readImage(saved.photo);
      const mp = (saved.width * saved.height) / 1e6;
      const t = { instances: [] as number[], measure: [] as number[], write: [] as number[] };
      let mapHash = '';
      let csvHash = '';
      for (let k = 0; k < repeats; k++) {
        const t0 = performance.now();
        const map = await probabilitiesToInstances(probs);
        const t1 = performance.now();
        t.instances.push(t1 - t0);
        mapHash = hash(new Uint8Array(map.data.buffer, map.data.byteOffset, map.data.byteLength));
        // Options the old tree does not know are ignored there: it always writes its PNG overlay.
        const job = { out, name: saved.name, path: saved.photo, raster, instances: map, measure: { scale: 0.1 }, overlays: values.overlays };
        const t2 = performance.now();
        const written = await writeImageOutputs(job as Parameters<typeof writeImageOutputs>[0]);
        const t3 = performance.now();
        t.measure.push(written.measureMs);
        t.write.push(t3 - t2 - written.measureMs);
        csvHash = hash(await readFile(join(out, 'particles', `${saved.name}.csv`)));
      }
      const m = { instances: median(t.instances), measure: median(t.measure), write: median(t.write) };
      sums.mp += mp;
      sums.instances += m.instances;
      sums.measure += m.measure;
      sums.write += m.write;
      rows.push(
        `${saved.name.padEnd(10)} ${saved.width}×${saved.height}  instances ${(m.instances / mp).toFixed(0).padStart(5)} ms/MP  measure ${(m.measure / mp).toFixed(0).padStart(4)} ms/MP  write ${(m.write / mp).toFixed(0).padStart(4)} ms/MP  map ${mapHash} csv ${csvHash}`,
      );
      process.stderr.write(`${rows.at(-1)}\n`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  process.stdout.write(
    `all ${sums.mp.toFixed(2)} MP (medians of ${repeats}): instances ${(sums.instances / sums.mp).toFixed(0)} ms/MP, measure ${(sums.measure / sums.mp).toFixed(0)} ms/MP, write ${(sums.write / sums.mp).toFixed(0)} ms/MP\n`,
  );
}

if (values.capture) await capture(positionals);
else await time();
