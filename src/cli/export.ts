// `photosieve export`: thin layer over exportModelFolder — write MODEL/model.onnx and, with --verify, compare it
// with the tfjs model on random tiles.
import { Command } from 'commander';
import { PhotosieveError } from '../core/index.js';

export function exportCommand(): Command {
  return new Command('export')
    .description(
      'Write MODEL/model.onnx, the ONNX export of a photosieve model folder, for\n' +
        'onnxruntime (the default CPU engine of segment). Batch norm is folded into the\n' +
        'convolutions; height and width are free. meta.json records the file, and the\n' +
        'ONNX file carries a hash of model.json and the weights, so a folder retrained\n' +
        'without export falls back to TensorFlow.js with a note instead of using stale\n' +
        'weights. train writes model.onnx itself; export is for older folders.',
    )
    .argument('<model>', 'a model folder (model.json, weights, meta.json) or "default"')
    .option('--verify', 'also run onnxruntime and TensorFlow.js (wasm) on random tiles and print how far they differ', false)
    .addHelpText('after', '\nExamples:\n  photosieve export models/my-unet\n  photosieve export models/my-unet --verify')
    .action(async (model: string, flags: { verify: boolean }) => {
      const { exportModelFolder, resolveModelOption } = await import('../segment/index.js');
      const dir = resolveModelOption(model);
      if (dir === 'classical') throw new PhotosieveError('E_PARAM', 'classical mode has no network to export.', { fix: 'pass a model folder' });
      const r = await exportModelFolder(dir);
      process.stdout.write(
        `export: wrote ${r.file} (${(r.bytes / 1e6).toFixed(2)} MB, ${r.nodes} nodes, ${r.foldedBatchNorms} batch norm(s) folded, ${r.parameters.toLocaleString('en-US')} parameters)\n`,
      );
      if (flags.verify) {
        const v = await verifyExport(dir);
        process.stdout.write(
          `verify: ${v.tiles} random ${v.tile}² tile(s): max |Δ| ${v.maxAbsDiff.toExponential(2)}, argmax agreement ${(100 * v.argmaxAgreement).toFixed(3)} % (onnxruntime vs ${v.against})\n`,
        );
        if (v.maxAbsDiff > 1e-4 || v.argmaxAgreement < 0.999) {
          process.stdout.write('verify: FAILED: the export does not reproduce the model (limits: 1e-4, 99.9 %)\n');
          process.exitCode = 1;
        }
      }
    });
}

async function verifyExport(dir: string): Promise<{ tiles: number; tile: number; maxAbsDiff: number; argmaxAgreement: number; against: string }> {
  const { engineParity, openEngine, readModelMeta, inferenceTileSize } = await import('../segment/index.js');
  const meta = await readModelMeta(dir);
  const [ort, tfjs] = await Promise.all([openEngine(dir, meta, { backend: 'onnxruntime', threads: 1 }), openEngine(dir, meta, { backend: 'wasm' })]);
  try {
    const t = inferenceTileSize(meta);
    const n = 2;
    // A fixed pseudo-random input, so two runs of --verify print the same numbers.
    const input = new Float32Array(n * t * t * meta.inputChannels);
    let s = 12345;
    for (let i = 0; i < input.length; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      input[i] = s / 2147483648;
    }
    const r = await engineParity(ort, tfjs, input, n, t, t);
    return { tiles: n, tile: t, maxAbsDiff: r.maxAbsDiff, argmaxAgreement: r.argmaxAgreement, against: tfjs.info.name };
  } finally {
    await Promise.all([ort.dispose(), tfjs.dispose()]);
  }
}
