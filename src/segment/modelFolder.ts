// Model folders (model.json + weights.bin + model.onnx + meta.json) read and written with fs, since tfjs's file://
// handler needs tfjs-node, which is optional. The layers part is tfjs's own layout, so tfjs-node and browsers can
// load it too; model.onnx is its ONNX export for onnxruntime, rewritten whenever the weights are.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PhotosieveError } from '../core/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/index.js';
import type { ModelMeta } from './modelMeta.js';
import { MODEL_FILES, readLayersFiles, readModelMeta, sourceHashOf } from './modelMeta.js';
import type { ExportSummary, WeightSpec } from './onnxExport.js';
import { layersToOnnx } from './onnxExport.js';
import { buildUnet } from './unet.js';

export { MODEL_FILES };

function producerVersion(): string {
  return `photosieve (tfjs-layers ${tf.version_layers})`;
}

/** model.json's text exactly as saveModelFolder writes it (the source hash covers these bytes). */
function topologyText(json: unknown): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}

export interface LoadedModel {
  model: tf.LayersModel;
  meta: ModelMeta;
  dir: string;
}

function concatWeights(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out;
}

/** What meta.json's `files` says for a folder written by saveModelFolder or exportModelFolder. */
function filesOf(weights: string[]): NonNullable<ModelMeta['files']> {
  return { topology: MODEL_FILES.topology, weights, onnx: MODEL_FILES.onnx };
}

/**
 * Writes a model folder; each file atomically, meta.json last so a folder with meta.json is complete. model.onnx
 * is written from the same weights every time, so the ONNX and tfjs engines never disagree about a folder.
 */
export async function saveModelFolder(dir: string, model: tf.LayersModel, meta: ModelMeta): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = concatWeights(artifacts.weightData);
      const specs = (artifacts.weightSpecs ?? []) as WeightSpec[];
      const topology = new TextEncoder().encode(
        topologyText({
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [MODEL_FILES.weights], weights: specs }],
        }),
      );
      const onnx = layersToOnnx({ modelTopology: artifacts.modelTopology, weightSpecs: specs, weightData: weights, sourceSha256: sourceHashOf(topology, [weights]), producerVersion: producerVersion() });
      await writeFileAtomic(join(dir, MODEL_FILES.weights), weights);
      await writeFileAtomic(join(dir, MODEL_FILES.topology), topology);
      await writeFileAtomic(join(dir, MODEL_FILES.onnx), onnx.bytes);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
  await writeJsonAtomic(join(dir, MODEL_FILES.meta), { ...meta, files: filesOf([MODEL_FILES.weights]) });
}

export interface ExportResult extends Omit<ExportSummary, 'bytes'> {
  file: string;
  bytes: number;
}

/**
 * Writes DIR/model.onnx from DIR's model.json and weights (no tfjs model is built) and records it in meta.json.
 * The ONNX file carries the SHA-256 of its sources, so a later retrain without export is detected at load.
 */
export async function exportModelFolder(dir: string): Promise<ExportResult> {
  const meta = await readModelMeta(dir);
  const f = await readLayersFiles(dir);
  let summary: ExportSummary;
  try {
    summary = layersToOnnx({
      modelTopology: f.modelTopology,
      weightSpecs: f.weightSpecs,
      weightData: Buffer.concat(f.weights),
      sourceSha256: sourceHashOf(f.topologyBytes, f.weights),
      producerVersion: producerVersion(),
    });
  } catch (err) {
    if (err instanceof PhotosieveError) throw new PhotosieveError(err.code, err.message, { file: f.topologyFile, fix: err.fix, cause: err });
    throw err;
  }
  const file = join(dir, MODEL_FILES.onnx);
  await writeFileAtomic(file, summary.bytes);
  await writeJsonAtomic(join(dir, MODEL_FILES.meta), { ...meta, files: filesOf(f.weightPaths) });
  const { bytes, ...rest } = summary;
  return { ...rest, file, bytes: bytes.byteLength };
}

/** Loads a model folder and checks that the network matches its meta.json. */
export async function loadModelFolder(dir: string): Promise<LoadedModel> {
  const meta = await readModelMeta(dir);
  const { topologyFile, modelTopology, weightSpecs, weights: parts } = await readLayersFiles(dir);
  const weights = Buffer.concat(parts);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology, weightSpecs: weightSpecs as tf.io.WeightsManifestEntry[], weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) }),
    );
  } catch (cause) {
    throw new PhotosieveError('E_INPUT', `the weights do not load (${(cause as Error).message.split('\n')[0]}).`, {
      file: topologyFile,
      fix: 'the folder is incomplete or from another tool; restore it or retrain',
      cause,
    });
  }
  const inShape = model.inputs[0]?.shape;
  const outShape = model.outputs[0]?.shape;
  if (inShape?.[3] !== meta.inputChannels || outShape?.[3] !== meta.classes.length) {
    model.dispose();
    throw new PhotosieveError(
      'E_INPUT',
      `model.json takes ${String(inShape?.[3])} channel(s) and gives ${String(outShape?.[3])} class(es), meta.json says ${meta.inputChannels} and ${meta.classes.length}.`,
      { file: topologyFile, fix: 'model.json and meta.json come from different models; restore the folder' },
    );
  }
  return { model, meta, dir };
}

export interface RandomModelOptions {
  architecture: ModelMeta['architecture'];
  inputChannels: 1 | 3;
  tileSize: number;
  seed?: number;
}

/** The meta of a randomly initialized model (plumbing tests and benchmarks; its output means nothing). */
export function randomModelMeta(options: RandomModelOptions): ModelMeta {
  return {
    format: 'photosieve-unet/1',
    classes: ['background', 'body', 'boundary'],
    inputChannels: options.inputChannels,
    normalization: 'unit',
    tileSize: options.tileSize,
    architecture: options.architecture,
    training: { note: `randomly initialized (seed ${options.seed ?? 1}), never trained: for plumbing tests only` },
  };
}

/** Builds a seeded random U-Net and writes it as a model folder. */
export async function writeRandomModel(dir: string, options: RandomModelOptions): Promise<ModelMeta> {
  const meta = randomModelMeta(options);
  const model = buildUnet({ architecture: options.architecture, inputChannels: options.inputChannels, seed: options.seed ?? 1 });
  try {
    await saveModelFolder(dir, model, meta);
  } finally {
    model.dispose();
  }
  return meta;
}
