// Writes a seeded, randomly initialized U-Net model folder: plumbing tests and benchmarks need a model of the
// right shape long before a trained one exists. Its probabilities mean nothing.
//   npx tsx scripts/make-random-model.ts OUT_DIR [--depth 4] [--base 16] [--tile 256] [--channels 3] [--seed 1]
//                                        [--no-batch-norm] [--upsampling transpose|bilinear]
import { parseArgs } from 'node:util';
import { errorLine } from '../src/core/index.js';
import { initBackend, writeRandomModel } from '../src/segment/index.js';
import type { UpsamplingKind } from '../src/segment/index.js';

async function run(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      depth: { type: 'string', default: '4' },
      base: { type: 'string', default: '16' },
      tile: { type: 'string', default: '256' },
      channels: { type: 'string', default: '3' },
      seed: { type: 'string', default: '1' },
      'no-batch-norm': { type: 'boolean', default: false },
      upsampling: { type: 'string', default: 'transpose' },
    },
  });
  const out = positionals[0];
  if (out === undefined) throw new Error('usage: make-random-model.ts OUT_DIR [--depth 4] [--base 16] [--tile 256] [--channels 3] [--seed 1]');
  const channels = Number(values.channels);
  if (channels !== 1 && channels !== 3) throw new Error(`--channels must be 1 or 3, received ${values.channels}`);
  await initBackend();
  const meta = await writeRandomModel(out, {
    architecture: {
      depth: Number(values.depth),
      baseChannels: Number(values.base),
      batchNorm: !values['no-batch-norm'],
      upsampling: values.upsampling as UpsamplingKind,
    },
    inputChannels: channels,
    tileSize: Number(values.tile),
    seed: Number(values.seed),
  });
  process.stdout.write(`wrote ${out} (${JSON.stringify(meta.architecture)}, tile ${meta.tileSize}, ${meta.inputChannels} channel(s))\n`);
}

run().catch((err: unknown) => {
  process.stderr.write(`make-random-model: ${errorLine(err)}\n`);
  process.exitCode = 1;
});
