// The fit loop: tiles from weighted folders, U-Net trained with the masked CE + Dice loss, per-class IoU on fixed
// validation tiles every epoch, the whole pipeline (tiled inference + watershed) on the validation photos every
// few epochs, early stopping on a pipeline metric, best and last checkpoints, resume, and a JSON log.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PhotosieveError, PixelClass, invalidParameter } from '../core/index.js';
import { writeJsonAtomic } from '../io/index.js';
import type { SegmentationScore } from '../aggregate/index.js';
import { SegmentationScorer } from '../aggregate/index.js';
import type { BackendInfo, ModelMeta, UnetArchitecture } from '../segment/index.js';
import { DEFAULT_UNET_ARCHITECTURE, buildUnet, initBackend, loadModelFolder, modelSourceHash, predictMultiscale, readModelMeta, probabilitiesToInstances, saveModelFolder, tfjsEngine, unetSizeMultiple } from '../segment/index.js';
import { createRandom } from '../synth/random.js';
import type { AugmentOptions, LargeRim } from './augment.js';
import { DEFAULT_AUGMENT, NO_AUGMENT, sampleTile } from './augment.js';
import type { TrainingImage, TrainingSource } from './data.js';
import { loadTrainingFolder, splitByGroup } from './data.js';
import type { LossOptions } from './loss.js';
import { DEFAULT_LOSS, defaultClassWeights, packTarget, segmentationLoss } from './loss.js';
import { startParallelTraining } from './parallel.js';
import { registerWasmTrainingKernels } from './wasmKernels.js';

export interface TrainOptions {
  data: (TrainingSource & { license?: string })[];
  /** Output model folder (best checkpoint); `checkpoints/last` and `train-log.json` go inside. */
  out: string;
  /** @default DEFAULT_UNET_ARCHITECTURE */
  architecture?: UnetArchitecture;
  /** @default 3 */
  inputChannels?: 1 | 3;
  /** @default 128 */
  tileSize?: number;
  /** @default 8 */
  batchSize?: number;
  /** @default 20 */
  epochs?: number;
  /** @default 100 */
  stepsPerEpoch?: number;
  /** @default 2e-3 */
  learningRate?: number;
  /** @default 1 */
  seed?: number;
  /** Share of groups held out for validation when `valImages` is not given. @default 0.15 */
  valFraction?: number;
  /** With fewer groups (photos) than this, nothing is held out: every photo trains. @default 0 */
  valMinGroups?: number;
  /**
   * Fine-tune from this model folder instead of random weights: its architecture, input channels, tile size,
   * classes and size band are used (conflicting options are refused), and meta.json records it as the parent.
   */
  init?: string | undefined;
  /** With `init`: keep the encoder's weights (layers enc*) fixed, train bottleneck and decoder only. @default false */
  freezeEncoder?: boolean;
  /** Validation images by name (their whole group is held out). */
  valImages?: string[] | undefined;
  /** Fixed validation tiles per validation image. @default 6 */
  valTilesPerImage?: number;
  /** Run the whole pipeline on the validation photos every N epochs (0 = never). @default 2 */
  pipelineEvery?: number;
  /**
   * What picks the best epoch: `f1` (instance F1 on the validation photos, counting predictions on labelled ground)
   * or `octaves` (the mean of per-octave F1s, every particle size weighted alike: SegmentationScore.octaveF1).
   * @default 'f1'
   */
  selectBy?: 'f1' | 'octaves' | undefined;
  /** Pipeline evaluations without improvement of the selection metric before stopping. @default 6 */
  patience?: number;
  /**
   * Learning rate on a plateau: after `after` pipeline evaluations without a new best, the rate is multiplied by
   * `factor` (not below `min`) and the count starts again. The rate in force is recorded per epoch, so a resumed run
   * continues with it. @default none (a constant rate)
   */
  lrDecay?: { factor: number; after: number; min?: number };
  /** Continue from checkpoints/last. @default false */
  resume?: boolean;
  augment?: Partial<AugmentOptions>;
  loss?: LossOptions;
  /**
   * Worker threads computing each batch's gradients in parallel (at most one per tile); 1 trains in this thread.
   * Results are deterministic for a given seed and worker count. @default the number of cores
   */
  workers?: number;
  /** Time budget: no epoch starts that would end after it at the pace of the last three (the first always runs). @default Infinity */
  maxSeconds?: number;
  /**
   * Train a scale-band model: particles with a b-axis above `maxPx` tile px are labelled `large` (a 4th output
   * class) so that segment's image pyramid hands them to a coarser level (see src/segment/multiscale.ts).
   * @default none (a 3-class model)
   */
  sizeBand?: { maxPx: number; minPx?: number };
  /**
   * Scale-band models: how a large particle's boundary band is labelled (see AugmentOptions.largeRim).
   * @default the --init parent's (meta.json sizeBand.rim), else 'large'
   */
  largeRim?: LargeRim;
  onProgress?: (p: TrainProgress) => void;
  /** Lines for the log (epoch summaries). */
  log?: (line: string) => void;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  etaSeconds: number;
}

export type PipelineScore = SegmentationScore;

export interface EpochRecord {
  epoch: number;
  seconds: number;
  trainLoss: number;
  valLoss: number;
  iou: { background: number; body: number; boundary: number; large?: number };
  pipeline?: PipelineScore;
  /** The value early stopping watches: pipeline F1 when measured this epoch, else mean body/boundary IoU. */
  selection: number;
  best: boolean;
  /** The learning rate this epoch trained with (absent in logs written before plateau decay existed). */
  learningRate?: number;
}

export interface TrainResult {
  epochs: EpochRecord[];
  best: EpochRecord | undefined;
  backend: BackendInfo;
  stoppedEarly: boolean;
}

function check(options: Required<Pick<TrainOptions, 'tileSize' | 'batchSize' | 'epochs' | 'stepsPerEpoch' | 'learningRate'>>, arch: UnetArchitecture): void {
  const m = unetSizeMultiple(arch);
  if (!Number.isInteger(options.tileSize) || options.tileSize < m || options.tileSize % m !== 0) {
    throw invalidParameter('--tile', `a multiple of ${m} (the U-Net depth's)`, options.tileSize);
  }
  // The wasm heap is capped at 4 GB and XNNPACK fails silently past it (STACK-FACTS): keep batches modest.
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize * options.tileSize ** 2 > 8 * 256 * 256) {
    throw invalidParameter('--batch', `an integer ≥ 1 with batch × tile² ≤ 8 × 256²`, options.batchSize);
  }
  if (!(options.epochs >= 1) || !(options.stepsPerEpoch >= 1)) throw invalidParameter('--epochs/--steps', 'at least 1', `${options.epochs}/${options.stepsPerEpoch}`);
  if (!(options.learningRate > 0)) throw invalidParameter('--lr', 'a positive number', options.learningRate);
}

function checkDecay(decay: TrainOptions['lrDecay']): void {
  if (!decay) return;
  if (!(decay.factor > 0 && decay.factor < 1)) throw invalidParameter('--lr-decay', 'a factor between 0 and 1 (exclusive)', decay.factor);
  if (!Number.isInteger(decay.after) || decay.after < 1) throw invalidParameter('--lr-decay-after', 'an integer ≥ 1', decay.after);
  if (decay.min !== undefined && !(decay.min >= 0)) throw invalidParameter('lrDecay.min', 'a number ≥ 0', decay.min);
}

/**
 * The learning rate after an evaluation under plateau decay: `rate` times the factor once `sinceImprovement`
 * evaluations (since the best or the last decay) reach `after`, never below `min`; otherwise `rate` unchanged.
 */
export function plateauRate(rate: number, sinceImprovement: number, decay: TrainOptions['lrDecay']): number {
  if (!decay || sinceImprovement < decay.after) return rate;
  return Math.max(decay.min ?? 0, rate * decay.factor);
}

/** Per-class IoU of the arg-max over valid pixels, for K classes. */
function iouOf(pred: Float32Array, targets: Uint8Array[], T: number, K: number): number[] {
  const inter = new Array<number>(K).fill(0);
  const union = new Array<number>(K).fill(0);
  targets.forEach((t, b) => {
    for (let p = 0; p < T * T; p++) {
      const truth = t[p]!;
      if (truth === PixelClass.ignore) continue;
      const o = (b * T * T + p) * K;
      let cls = 0;
      for (let k = 1; k < K; k++) if (pred[o + k]! > pred[o + cls]!) cls = k;
      for (let k = 0; k < K; k++) {
        const inP = cls === k;
        const inT = truth === k;
        if (inP && inT) inter[k]! += 1;
        if (inP || inT) union[k]! += 1;
      }
    }
  });
  return inter.map((v, k) => (union[k]! > 0 ? v / union[k]! : NaN));
}

export function batchTensors(tiles: { x: Float32Array; target: Uint8Array }[], T: number, C: number, K = 3): { x: tf.Tensor4D; y: tf.Tensor4D } {
  const xs = new Float32Array(tiles.length * T * T * C);
  const ys = new Float32Array(tiles.length * T * T * (K + 1));
  tiles.forEach((t, b) => {
    xs.set(t.x, b * T * T * C);
    packTarget(t.target, ys, b * T * T * (K + 1), K);
  });
  return { x: tf.tensor4d(xs, [tiles.length, T, T, C]), y: tf.tensor4d(ys, [tiles.length, T, T, K + 1]) };
}

/** The number the best epoch is chosen by (TrainOptions.selectBy). */
export function pipelineSelection(score: PipelineScore, selectBy: TrainOptions['selectBy']): number {
  return selectBy === 'octaves' ? score.octaveF1 : score.f1Labelled;
}

/**
 * Whole-photo pipeline scores on validation images (probabilities → watershed → instances). `complete`: the source
 * folders whose labels name every particle (their photos count every prediction).
 */
export async function pipelineScore(model: tf.LayersModel, meta: ModelMeta, images: readonly TrainingImage[], complete: ReadonlySet<string> = new Set()): Promise<PipelineScore> {
  const scorer = new SegmentationScorer();
  const engine = tfjsEngine(model, await initBackend(), meta.inputChannels, false);
  for (const im of images) {
    const raster = { width: im.width, height: im.height, channels: im.channels, depth: 8 as const, data: im.pixels };
    // A scale-band model is scored as segment runs it: through the image pyramid.
    const { probabilities: probs, scale } = await predictMultiscale(engine, meta, raster);
    const pred = await probabilitiesToInstances(probs, {}, im.valid, scale);
    scorer.add({ truth: { width: im.width, height: im.height, data: im.instances }, pred, valid: im.valid, complete: complete.has(im.source) });
  }
  return scorer.result();
}

interface ParentModel {
  dir: string;
  meta: ModelMeta;
  /** What the child's model card says about it. */
  card: Record<string, unknown>;
}

/** Reads the --init model's meta.json and refuses options that contradict it (its weights load later). */
async function parentModel(options: TrainOptions): Promise<ParentModel> {
  const dir = resolve(options.init!);
  if (!existsSync(join(dir, 'meta.json'))) {
    throw new PhotosieveError('E_INPUT', 'not a model folder (no meta.json).', { file: dir, fix: 'pass --init DIR with a trained model folder, e.g. models/default' });
  }
  const meta = await readModelMeta(dir);
  const refuse = (flag: string, why: string): never => {
    throw invalidParameter(flag, why, 'set');
  };
  if (meta.normalization !== 'unit') refuse('--init', 'a model trained on [0, 1] pixels (meta.json normalization "unit"); this one normalizes otherwise');
  if (options.architecture) refuse('--depth/--base/--upsampling/--no-batch-norm', 'left out with --init (the architecture is the parent model\'s)');
  if (options.inputChannels !== undefined && options.inputChannels !== meta.inputChannels) refuse('--channels', `left out with --init or ${meta.inputChannels} (the parent model's)`);
  if (options.tileSize !== undefined && options.tileSize !== meta.tileSize) refuse('--tile', `left out with --init or ${meta.tileSize} (the parent model's)`);
  if (options.sizeBand !== undefined && options.sizeBand.maxPx !== meta.sizeBand?.maxPx) refuse('--size-band', `left out with --init${meta.sizeBand ? ` or ${meta.sizeBand.maxPx}` : ''} (the parent model's band)`);
  const training = meta.training as { validationMetrics?: { epoch?: number; pipeline?: unknown } } | undefined;
  return {
    dir,
    meta,
    card: { dir, sourceHash: await modelSourceHash(dir), createdAt: meta.createdAt, epoch: training?.validationMetrics?.epoch, validation: training?.validationMetrics?.pipeline },
  };
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  if (options.freezeEncoder && !options.init) throw invalidParameter('--freeze-encoder', 'used with --init MODEL (a random encoder has nothing to keep)', true);
  // The backend first: the parent's weights are loaded into it.
  const backend = await initBackend();
  if (backend.name === 'wasm') registerWasmTrainingKernels();
  const parent = options.init === undefined ? undefined : await parentModel(options);
  const arch = parent?.meta.architecture ?? options.architecture ?? { ...DEFAULT_UNET_ARCHITECTURE };
  const channels = parent?.meta.inputChannels ?? options.inputChannels ?? 3;
  const o = {
    tileSize: parent?.meta.tileSize ?? options.tileSize ?? 128,
    batchSize: options.batchSize ?? 8,
    epochs: options.epochs ?? 20,
    stepsPerEpoch: options.stepsPerEpoch ?? 100,
    learningRate: options.learningRate ?? 2e-3,
  };
  check(o, arch);
  checkDecay(options.lrDecay);
  const workers = Math.min(options.workers ?? availableParallelism(), o.batchSize);
  if (!Number.isInteger(workers) || workers < 1) throw invalidParameter('--workers', 'an integer ≥ 1', options.workers);
  const seed = options.seed ?? 1;
  const T = o.tileSize;
  const band = parent ? parent.meta.sizeBand : options.sizeBand;
  if (options.largeRim !== undefined && !band) throw invalidParameter('--large-rim', 'used with a scale-band model (--size-band, or --init of one)', options.largeRim);
  // A fine-tune keeps its parent's band; the rim labelling may change (it is a property of the targets only).
  const largeRim: LargeRim = options.largeRim ?? parent?.meta.sizeBand?.rim ?? 'large';
  if (band !== undefined && !(band.maxPx > 0 && band.maxPx < o.tileSize)) {
    throw invalidParameter('--size-band', `a b-axis in tile px between 0 and the tile size (${o.tileSize})`, band.maxPx);
  }
  const K = band ? 4 : 3;
  // A fine-tuned scale-band model keeps drawing tiles over the scales its parent was trained for.
  const parentScales = parent?.meta.sizeBand?.trainedScales;
  const augment: AugmentOptions = { ...DEFAULT_AUGMENT, ...(parentScales ? { scale: parentScales } : {}), ...options.augment, ...(band ? { largeAbovePx: band.maxPx, largeRim } : {}) };
  const log = options.log ?? (() => {});
  log(`backend: ${backend.name}${backend.simd ? ' (SIMD)' : ''}`);

  const rng = createRandom(seed);
  const bySource: TrainingImage[][] = [];
  const all: TrainingImage[] = [];
  for (const src of options.data) {
    const imgs = await loadTrainingFolder(src.dir, channels, augment.boundaryPx);
    bySource.push(imgs);
    all.push(...imgs);
  }
  const groupCount = new Set(all.map((im) => `${im.source}|${im.group}`)).size;
  const valFraction = groupCount < (options.valMinGroups ?? 0) ? 0 : (options.valFraction ?? 0.15);
  const split = splitByGroup(all, rng.split(1), valFraction, options.valImages);
  if (split.train.length === 0) throw new PhotosieveError('E_INPUT', 'no training image left after the validation split.', { fix: 'lower --val-fraction or name fewer --val-images' });
  const trainSet = new Set(split.train);
  // Folders synth wrote (groups.json) label every particle unless the caller says otherwise.
  const completeSources = new Set(options.data.filter((d) => d.complete ?? existsSync(join(d.dir, 'groups.json'))).map((d) => d.dir));
  const sources = bySource.map((imgs, k) => ({ imgs: imgs.filter((im) => trainSet.has(im)), weight: options.data[k]!.weight })).filter((s) => s.imgs.length > 0);
  const totalWeight = sources.reduce((a, s) => a + s.weight, 0);
  log(`data: ${split.train.length} training and ${split.val.length} validation image(s) from ${options.data.length} folder(s)`);

  // Fixed validation tiles: a grid of centres per image, no augmentation.
  const valRng = createRandom(seed ^ 0x5eed);
  const valTiles = split.val.flatMap((im) => {
    const n = options.valTilesPerImage ?? 6;
    return Array.from({ length: n }, (_, k) => sampleTile(im, valRng, T, band ? { ...NO_AUGMENT, largeAbovePx: band.maxPx, largeRim: augment.largeRim } : NO_AUGMENT, [im.width * ((k % 3) + 0.5) / 3, im.height * (Math.floor(k / 3) % 2 + 0.5) / 2]));
  });

  const lastDir = join(options.out, 'checkpoints', 'last');
  const logFile = join(options.out, 'train-log.json');
  let epochs: EpochRecord[] = [];
  let model: tf.LayersModel;
  if (options.resume && existsSync(join(lastDir, 'meta.json'))) {
    model = (await loadModelFolder(lastDir)).model;
    if (existsSync(logFile)) epochs = (JSON.parse(await readFile(logFile, 'utf8')) as { epochs: EpochRecord[] }).epochs;
    log(`resumed after epoch ${epochs.length} (optimizer moments restart)`);
  } else if (parent) {
    model = (await loadModelFolder(parent.dir)).model;
    log(`fine-tuning from ${parent.dir}${options.freezeEncoder ? ' (encoder frozen)' : ''}`);
  } else model = buildUnet({ architecture: arch, inputChannels: channels, seed, classes: K });
  // Layers are trainable unless --freeze-encoder (a saved frozen flag from an earlier fine-tune is not inherited).
  for (const layer of model.layers) layer.trainable = !(options.freezeEncoder && layer.name.startsWith('enc'));
  if (model.outputs[0]?.shape[3] !== K) {
    throw new PhotosieveError('E_INPUT', `checkpoints/last has ${String(model.outputs[0]?.shape[3])} output classes, this run needs ${K}.`, { file: lastDir, fix: 'resume with the same --size-band as the run you resume, or start a new --out' });
  }
  const lossOptions = { ...DEFAULT_LOSS, classWeights: defaultClassWeights(K), ...options.loss };
  const lossFn = segmentationLoss(lossOptions);
  // A plain minimize loop (what tf.layers' fit does inside): the model runs in training mode, so batch-norm
  // statistics update, and the 4-channel target (classes + valid) needs no shape match with the 3-class output.
  const optimizer = tf.train.adam(o.learningRate);
  // tfjs keeps the rate in a protected field that each step reads; plateau decay and resume set it there.
  const setRate = (rate: number): void => {
    (optimizer as unknown as { learningRate: number }).learningRate = rate;
  };
  let rate = epochs.at(-1)?.learningRate ?? o.learningRate;
  setRate(rate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // Closed (workers ended) however this function exits.
  await using parallel =
    workers > 1
      ? await startParallelTraining({ model, optimizer, workers, sources, tileSize: T, inputChannels: channels, augment, loss: lossOptions, seed })
      : undefined;
  if (parallel) log(`data-parallel: ${parallel.workers} worker threads`);
  const trainStep = (x: tf.Tensor4D, y: tf.Tensor4D): number => {
    const l = optimizer.minimize(() => lossFn(y, model.apply(x, { training: true }) as tf.Tensor), true, variables);
    const v = l!.dataSync()[0]!;
    l!.dispose();
    return v;
  };

  const meta = (training: Record<string, unknown>): ModelMeta => ({
    format: 'photosieve-unet/1',
    classes: band ? ['background', 'body', 'boundary', 'large'] : ['background', 'body', 'boundary'],
    // minPx, the detection limit segment applies by default: two octaves below the band top unless given.
    ...(band ? { sizeBand: { maxPx: band.maxPx, minPx: band.minPx ?? band.maxPx / 4, trainedScales: [augment.scale[0], augment.scale[1]] as [number, number], rim: largeRim } } : {}),
    inputChannels: channels,
    normalization: 'unit',
    tileSize: T,
    architecture: arch,
    training,
    createdAt: new Date().toISOString(),
  });
  const card = (extra: Record<string, unknown>): Record<string, unknown> => ({
    data: options.data.map((d, k) => ({ dir: d.dir, weight: d.weight, images: bySource[k]!.length, license: d.license ?? 'unknown', ...(completeSources.has(d.dir) ? { complete: true } : {}) })),
    validation: split.val.map((im) => im.key),
    seed,
    tileSize: T,
    batchSize: o.batchSize,
    stepsPerEpoch: o.stepsPerEpoch,
    learningRate: o.learningRate,
    loss: { ...lossOptions, kind: 'class-weighted cross-entropy + soft Dice over non-ignored pixels' },
    augment,
    tfjs: tf.version.tfjs,
    backend: backend.name,
    workers,
    ...(parent ? { parent: parent.card, freezeEncoder: options.freezeEncoder ?? false, added: options.data.map((d, k) => ({ dir: d.dir, images: bySource[k]!.length })) } : {}),
    ...extra,
  });

  const started = performance.now();
  const patience = options.patience ?? 6;
  let best = epochs.filter((e) => e.best).pop();
  // Pipeline evaluations since the best epoch (what patience counts), so a resumed run stops where it would have.
  const evaluationsSince = (from: number): number => epochs.filter((e) => e.epoch > from && e.pipeline).length;
  let sinceBest = best ? evaluationsSince(best.epoch) : 0;
  let sinceDecay = best ? evaluationsSince(Math.max(best.epoch, epochs.findLast((e, k) => k > 0 && e.learningRate !== epochs[k - 1]!.learningRate)?.epoch ?? 0)) : 0;
  let stoppedEarly = false;
  const firstEpoch = epochs.length + 1;
  for (let epoch = firstEpoch; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    let lossSum = 0;
    for (let step = 1; step <= o.stepsPerEpoch; step++) {
      let loss: number;
      if (parallel) loss = await parallel.step((epoch - 1) * o.stepsPerEpoch + step, o.batchSize);
      else {
        const tiles = Array.from({ length: o.batchSize }, () => {
          let r = rng.uniform() * totalWeight;
          const src = sources.find((s) => (r -= s.weight) < 0) ?? sources[sources.length - 1]!;
          return sampleTile(src.imgs[Math.floor(rng.uniform() * src.imgs.length)]!, rng, T, augment);
        });
        const { x, y } = batchTensors(tiles, T, channels, K);
        try {
          loss = trainStep(x, y);
        } finally {
          x.dispose();
          y.dispose();
        }
      }
      if (!Number.isFinite(loss)) throw new PhotosieveError('E_INPUT', `the loss became ${loss} at epoch ${epoch}, step ${step}.`, { fix: 'lower --lr' });
      lossSum += loss;
      const elapsed = (performance.now() - started) / 1000;
      const done = (epoch - firstEpoch) * o.stepsPerEpoch + step;
      const remaining = (o.epochs - epoch) * o.stepsPerEpoch + (o.stepsPerEpoch - step);
      options.onProgress?.({ epoch, epochs: o.epochs, step, steps: o.stepsPerEpoch, loss: lossSum / step, etaSeconds: (elapsed / done) * remaining });
    }
    // Validation tiles: loss and per-class IoU.
    let valLoss = NaN;
    let iou: number[] = new Array<number>(K).fill(NaN);
    if (valTiles.length > 0) {
      const preds: Float32Array[] = [];
      let vl = 0;
      for (let k = 0; k < valTiles.length; k += o.batchSize) {
        const chunk = valTiles.slice(k, k + o.batchSize);
        const { x, y } = batchTensors(chunk, T, channels, K);
        const p = model.predict(x) as tf.Tensor;
        const l = lossFn(y, p);
        vl += (await l.data())[0]! * chunk.length;
        preds.push((await p.data()) as Float32Array);
        tf.dispose([x, y, p, l]);
      }
      valLoss = vl / valTiles.length;
      const flat = new Float32Array(preds.reduce((a, p) => a + p.length, 0));
      let at = 0;
      for (const p of preds) {
        flat.set(p, at);
        at += p.length;
      }
      iou = iouOf(flat, valTiles.map((t) => t.target), T, K);
    }
    const record: EpochRecord = {
      epoch,
      seconds: (performance.now() - t0) / 1000,
      trainLoss: lossSum / o.stepsPerEpoch,
      valLoss,
      iou: { background: iou[0]!, body: iou[1]!, boundary: iou[2]!, ...(K === 4 ? { large: iou[3]! } : {}) },
      selection: (iou[1]! + iou[2]!) / 2,
      best: false,
      learningRate: rate,
    };
    const pipelineEvery = options.pipelineEvery ?? 2;
    const last = epoch === o.epochs;
    if (split.val.length > 0 && pipelineEvery > 0 && (epoch % pipelineEvery === 0 || last)) {
      record.pipeline = await pipelineScore(model, meta({}), split.val, completeSources);
      record.selection = pipelineSelection(record.pipeline, options.selectBy);
    }
    const comparable = best && (best.pipeline !== undefined) === (record.pipeline !== undefined);
    // Without validation images there is nothing to select on: the latest epoch is the best we know.
    if (!best || split.val.length === 0 || (comparable && record.selection > best.selection) || (!comparable && record.pipeline && !best.pipeline)) {
      record.best = true;
      best = record;
      sinceBest = 0;
      sinceDecay = 0;
      await saveModelFolder(options.out, model, meta(card({ epoch, validationMetrics: record, seconds: (performance.now() - started) / 1000 })));
    } else if (record.pipeline) {
      sinceBest += 1;
      sinceDecay += 1;
    }
    epochs.push(record);
    await saveModelFolder(lastDir, model, meta(card({ epoch, validationMetrics: record })));
    await writeJsonAtomic(logFile, { epochs });
    const pl = record.pipeline ? `, pipeline F1 ${record.pipeline.f1.toFixed(3)} (labelled ${record.pipeline.f1Labelled.toFixed(3)}, by octave ${record.pipeline.octaveF1.toFixed(3)}), 5-bin RMSE ${record.pipeline.rmse5.toFixed(4)}` : '';
    log(`epoch ${epoch}: loss ${record.trainLoss.toFixed(4)}, val ${valLoss.toFixed(4)}, IoU body ${iou[1]!.toFixed(3)} boundary ${iou[2]!.toFixed(3)}${K === 4 ? ` large ${iou[3]!.toFixed(3)}` : ''}${pl}${record.best ? ' *' : ''} (${record.seconds.toFixed(0)} s)`);
    const next = plateauRate(rate, sinceDecay, options.lrDecay);
    if (next !== rate) {
      rate = next;
      setRate(rate);
      sinceDecay = 0;
      log(`learning rate ${rate.toExponential(2)}: no better pipeline F1 for ${options.lrDecay!.after} evaluations`);
    }
    if (sinceBest >= patience) {
      stoppedEarly = true;
      log(`early stop: no better ${record.pipeline ? 'pipeline F1' : 'IoU'} for ${patience} evaluations`);
      break;
    }
    // The budget bounds the whole run, not only the epochs started: no epoch starts that would, at the pace of the
    // slowest of the last three, end after it (the first epoch always runs; a machine that slows down can still
    // overrun by the difference).
    const elapsed = (performance.now() - started) / 1000;
    const pace = Math.max(...epochs.slice(-3).map((e) => e.seconds));
    if (elapsed + pace > (options.maxSeconds ?? Infinity)) {
      stoppedEarly = true;
      log(`time budget reached: ${elapsed.toFixed(0)} s spent, another epoch (~${pace.toFixed(0)} s) would end after ${(options.maxSeconds! / 60).toFixed(1)} min`);
      break;
    }
  }
  model.dispose();
  optimizer.dispose();
  return { epochs, best, backend, stoppedEarly };
}
