// Model folders (model.json + weights.bin + meta.json) read and written with fs, since tfjs's file:// handler
// needs tfjs-node, which is optional. The layout is tfjs's own, so tfjs-node and browsers can load it too.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PhotosieveError } from '../core/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/index.js';
import type { ModelMeta } from './modelMeta.js';
import { parseModelMeta } from './modelMeta.js';
import { buildUnet } from './unet.js';

export const MODEL_FILES = { topology: 'model.json', weights: 'weights.bin', meta: 'meta.json' } as const;

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

/** Writes a model folder; each file atomically, meta.json last so a folder with meta.json is complete. */
export async function saveModelFolder(dir: string, model: tf.LayersModel, meta: ModelMeta): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = concatWeights(artifacts.weightData);
      await writeFileAtomic(join(dir, MODEL_FILES.weights), weights);
      await writeJsonAtomic(join(dir, MODEL_FILES.topology), {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs ?? [] }],
      });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
  await writeJsonAtomic(join(dir, MODEL_FILES.meta), meta);
}

async function readIn(dir: string, name: string): Promise<Buffer> {
  const file = join(dir, name);
  try {
    return await readFile(file);
  } catch (cause) {
    throw new PhotosieveError('E_INPUT', `the model folder has no readable ${name}.`, {
      file,
      fix: 'pass --model DIR with a folder holding model.json, weights.bin and meta.json (or --model classical)',
      cause,
    });
  }
}

const topologySchemaCheck = (json: unknown): json is {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
} =>
  typeof json === 'object' &&
  json !== null &&
  'modelTopology' in json &&
  'weightsManifest' in json &&
  Array.isArray(json.weightsManifest);

/** Loads a model folder and checks that the network matches its meta.json. */
export async function loadModelFolder(dir: string): Promise<LoadedModel> {
  const meta = parseModelMeta((await readIn(dir, MODEL_FILES.meta)).toString('utf8'), join(dir, MODEL_FILES.meta));
  const topologyFile = join(dir, MODEL_FILES.topology);
  let topology: unknown;
  try {
    topology = JSON.parse((await readIn(dir, MODEL_FILES.topology)).toString('utf8'));
  } catch (cause) {
    if (cause instanceof PhotosieveError) throw cause;
    throw new PhotosieveError('E_INPUT', 'model.json is not valid JSON.', { file: topologyFile, fix: 'restore the model folder', cause });
  }
  if (!topologySchemaCheck(topology)) {
    throw new PhotosieveError('E_INPUT', 'model.json is not a TensorFlow.js layers model.', { file: topologyFile, fix: 'restore the model folder' });
  }
  const specs = topology.weightsManifest.flatMap((g) => g.weights);
  const parts = await Promise.all(topology.weightsManifest.flatMap((g) => g.paths).map((p) => readIn(dir, p)));
  const weights = Buffer.concat(parts);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: topology.modelTopology, weightSpecs: specs, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) }),
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
