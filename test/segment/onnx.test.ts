// ONNX export and the onnxruntime engine: the export reproduces the tfjs network (random nets of every supported
// layer kind, and the default model on a real photo's tiles), meta.json and staleness, the fall-back when a folder
// has no usable model.onnx, session lifecycle, and the default model's instance maps on a demo photo agreeing
// between ORT and tfjs-wasm.
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxPkg from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { matchInstances } from '../../src/aggregate/index.js';
import { readImage } from '../../src/io/index.js';
import type { ModelMeta } from '../../src/segment/index.js';
import {
  compareProbabilities,
  createSegmenter,
  defaultModelDir,
  engineParity,
  exportModelFolder,
  layersToOnnx,
  liveSessionCount,
  openEngine,
  predictProbabilities,
  readModelMeta,
  writeRandomModel,
} from '../../src/segment/index.js';
import { errorLineOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { capture, resetCliAfterEach } from '../helpers/cli.js';

const { onnx } = onnxPkg;
let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
resetCliAfterEach();

/** A fixed pseudo-random input in [0, 1). */
function noise(length: number, seed = 99): Float32Array {
  const out = new Float32Array(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648;
  }
  return out;
}

/** Copies a model folder's files (not its name) into a fresh folder under the test's temp dir. */
async function copyModel(from: string, name: string): Promise<string> {
  const to = join(tmp.dir, name);
  await mkdir(to, { recursive: true });
  for (const f of await readdir(from)) await copyFile(join(from, f), join(to, f));
  return to;
}

describe('ONNX export', () => {
  const variants = [
    { name: 'bn-transpose-rgb', architecture: { depth: 3, baseChannels: 4, batchNorm: true, upsampling: 'transpose' as const }, inputChannels: 3 as const, tileSize: 64 },
    { name: 'plain-bilinear-grey', architecture: { depth: 3, baseChannels: 4, batchNorm: false, upsampling: 'bilinear' as const }, inputChannels: 1 as const, tileSize: 64 },
    { name: 'bn-bilinear-depth4', architecture: { depth: 4, baseChannels: 6, batchNorm: true, upsampling: 'bilinear' as const }, inputChannels: 3 as const, tileSize: 64 },
  ];

  it.each(variants)('reproduces the tfjs network ($name) on square and non-square tiles: max |Δ| ≤ 1e-4, argmax ≥ 99.9 %', async (v) => {
    const dir = join(tmp.dir, v.name);
    await writeRandomModel(dir, { ...v, seed: 5 });
    const meta = await readModelMeta(dir);
    expect(meta.files).toEqual({ topology: 'model.json', weights: ['weights.bin'], onnx: 'model.onnx' });
    const ort = await openEngine(dir, meta, { backend: 'onnxruntime', threads: 1 });
    const tfjs = await openEngine(dir, meta, { backend: 'wasm' });
    try {
      for (const [n, h, w] of [[2, 64, 64], [1, 64, 128]] as const) {
        // Inputs spread around the normalized range so every unit of the random net is exercised.
        const input = noise(n * h * w * v.inputChannels).map((x) => 4 * x - 2);
        const r = await engineParity(ort, tfjs, input, n, h, w);
        expect(r.pixels).toBe(n * h * w);
        expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-4);
        expect(r.argmaxAgreement).toBeGreaterThanOrEqual(0.999);
      }
    } finally {
      await Promise.all([ort.dispose(), tfjs.dispose()]);
    }
  });

  it('folds every batch norm of the default model and matches tfjs-wasm on a demo photo (whole tiled map)', async () => {
    const dir = defaultModelDir();
    const meta = await readModelMeta(dir);
    const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { modelTopology: unknown; weightsManifest: { weights: { name: string; shape: number[]; dtype: string }[] }[] };
    const summary = layersToOnnx({ modelTopology: mj.modelTopology, weightSpecs: mj.weightsManifest[0]!.weights, weightData: await readFile(join(dir, 'weights.bin')), sourceSha256: 'x', producerVersion: 'test' });
    const bns = (JSON.stringify(mj.modelTopology).match(/"BatchNormalization"/g) ?? []).length;
    expect(summary.foldedBatchNorms).toBe(bns);
    expect(summary.foldedBatchNorms).toBeGreaterThan(0);
    // Folded means gone: the graph has no separate scale-and-shift (Mul, Add) left, one Conv per tfjs Conv2D.
    const ops = (onnx.ModelProto.decode(summary.bytes).graph?.node ?? []).map((n) => n.opType);
    expect(ops.filter((o) => o === 'Mul' || o === 'Add')).toEqual([]);
    expect(ops.filter((o) => o === 'Conv')).toHaveLength((JSON.stringify(mj.modelTopology).match(/"Conv2D"/g) ?? []).length);

    const raster = await readImage(join(import.meta.dirname, '..', '..', 'fixtures', 'demo', 'images', 'g01_001.jpg'));
    const crop = { ...raster, width: 300, height: 260, data: new Uint8Array(300 * 260 * raster.channels) };
    for (let y = 0; y < 260; y++) crop.data.set(raster.data.subarray((y * raster.width + 200) * raster.channels, (y * raster.width + 500) * raster.channels), y * 300 * raster.channels);
    const ort = await openEngine(dir, meta, { backend: 'onnxruntime', threads: 1 });
    const tfjs = await openEngine(dir, meta, { backend: 'wasm' });
    try {
      const a = await predictProbabilities(ort, meta, crop);
      const b = await predictProbabilities(tfjs, meta, crop);
      const r = compareProbabilities(a.data, b.data);
      expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      expect(r.argmaxAgreement).toBeGreaterThanOrEqual(0.999);
    } finally {
      await Promise.all([ort.dispose(), tfjs.dispose()]);
    }
  });

  it('refuses a layer it cannot convert, naming the layer and what it supports', async () => {
    const topology = {
      config: {
        name: 'm',
        layers: [
          { name: 'image', class_name: 'InputLayer', config: { batch_input_shape: [null, null, null, 3], name: 'image' }, inbound_nodes: [] },
          { name: 'dense1', class_name: 'Dense', config: { units: 3, name: 'dense1' }, inbound_nodes: [[['image', 0, 0, {}]]] },
        ],
        input_layers: [['image', 0, 0]],
        output_layers: [['dense1', 0, 0]],
      },
    };
    expect(await errorLineOf(() => layersToOnnx({ modelTopology: topology, weightSpecs: [], weightData: new Uint8Array(0), sourceSha256: 'x', producerVersion: 't' }))).toMatch(
      /^cannot export to ONNX: layer dense1 is a Dense\. Fix: export supports photosieve U-Nets \(Conv2D, .*\)/,
    );
  });

  it('photosieve export writes model.onnx for a folder that lacks one, and --verify compares it with tfjs', async () => {
    const dir = await copyModel(defaultModelDir(), 'old-folder');
    await rm(join(dir, 'model.onnx'));
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as ModelMeta;
    delete meta.files;
    await writeFile(join(dir, 'meta.json'), JSON.stringify(meta));
    const { out, exitCode } = await capture(['export', dir, '--verify']);
    expect(exitCode).toBe(0);
    expect(out).toMatch(/^export: wrote .*model\.onnx \(1\.\d\d MB, \d+ nodes, 18 batch norm\(s\) folded, 485,835 parameters\)$/m);
    expect(out).toMatch(/^verify: 2 random 256² tile\(s\): max \|Δ\| \d\.\d\de-\d, argmax agreement (99\.9\d\d|100\.000) % \(onnxruntime vs wasm\)$/m);
    expect((await readModelMeta(dir)).files?.onnx).toBe('model.onnx');
  });
});

describe('engine choice', () => {
  it('a folder without model.onnx: auto falls back to tfjs and says why; forcing onnxruntime names `photosieve export`', async () => {
    const dir = join(tmp.dir, 'no-onnx');
    await writeRandomModel(dir, { ...variants0(), seed: 3 });
    await rm(join(dir, 'model.onnx'));
    const meta = await readModelMeta(dir);
    const engine = await openEngine(dir, meta);
    try {
      expect(engine.info.name).toBe('wasm');
      expect(engine.info.skipped).toContain(`onnxruntime: the model has no model.onnx. Fix: run \`photosieve export ${dir}\` to write it`);
    } finally {
      await engine.dispose();
    }
    expect(await errorLineOf(() => openEngine(dir, meta, { backend: 'onnxruntime' }))).toBe(
      `PHOTOSIEVE_BACKEND=onnxruntime is not available here (the model has no model.onnx.). Fix: run \`photosieve export ${dir}\` to write it`,
    );
  });

  it('a model.onnx older than the weights is not used: auto falls back, with a note to export again', async () => {
    const dir = join(tmp.dir, 'stale');
    await writeRandomModel(dir, { ...variants0(), seed: 4 });
    const weights = await readFile(join(dir, 'weights.bin'));
    weights[0] = weights[0]! ^ 0xff;
    await writeFile(join(dir, 'weights.bin'), weights);
    const meta = await readModelMeta(dir);
    const engine = await openEngine(dir, meta);
    try {
      expect(engine.info.name).toBe('wasm');
      expect(engine.info.skipped).toContain(`onnxruntime: model.onnx was exported from other weights than the folder now holds. Fix: run \`photosieve export ${dir}\` again`);
    } finally {
      await engine.dispose();
    }
    await exportModelFolder(dir);
    const fresh = await openEngine(dir, meta);
    expect(fresh.info).toMatchObject({ name: 'onnxruntime', threads: expect.any(Number) });
    await fresh.dispose();
  });
});

function variants0(): { architecture: { depth: number; baseChannels: number; batchNorm: boolean; upsampling: 'transpose' }; inputChannels: 3; tileSize: number } {
  return { architecture: { depth: 3, baseChannels: 4, batchNorm: true, upsampling: 'transpose' }, inputChannels: 3, tileSize: 64 };
}

describe('session lifecycle', () => {
  it('sessions are released on dispose (twice is safe; run afterwards throws), also through createSegmenter', async () => {
    const dir = join(tmp.dir, 'life');
    await writeRandomModel(dir, { ...variants0(), seed: 6 });
    const meta = await readModelMeta(dir);
    const before = liveSessionCount();
    const engines = await Promise.all([1, 2, 3].map(() => openEngine(dir, meta, { backend: 'onnxruntime', threads: 1 })));
    expect(liveSessionCount()).toBe(before + 3);
    for (const e of engines) await e.dispose();
    await engines[0]!.dispose();
    expect(liveSessionCount()).toBe(before);
    await expect(engines[1]!.run(new Float32Array(64 * 64 * 3), 1, 64, 64)).rejects.toThrow(/after dispose/);
    const seg = await createSegmenter({ model: dir, backend: 'onnxruntime', threads: 1 });
    expect(liveSessionCount()).toBe(before + 1);
    await seg.dispose();
    expect(liveSessionCount()).toBe(before);
  });
});

describe('default model on a demo photo', () => {
  it('instance maps from onnxruntime and tfjs-wasm agree (F1 at IoU 0.5 ≥ 0.99)', async () => {
    const raster = await readImage(join(import.meta.dirname, '..', '..', 'fixtures', 'demo', 'images', 'g02_001.jpg'));
    const ort = await createSegmenter({ model: 'default', backend: 'onnxruntime', threads: 1 });
    const wasm = await createSegmenter({ model: 'default', backend: 'wasm' });
    try {
      const a = await ort.segment(raster);
      const b = await wasm.segment(raster);
      expect(ort.backend?.name).toBe('onnxruntime');
      expect(wasm.backend?.name).toBe('wasm');
      const m = matchInstances(a.instances, b.instances);
      const f1 = (2 * m.truePositives) / (m.truthCount + m.predCount);
      expect(m.truthCount).toBeGreaterThan(150);
      expect(f1).toBeGreaterThanOrEqual(0.99);
    } finally {
      await Promise.all([ort.dispose(), wasm.dispose()]);
    }
  });
});
