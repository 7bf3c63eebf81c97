// `photosieve train`: thin layer over trainModel.
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { PhotosieveError } from '../core/index.js';
import { readModelMeta } from '../segment/modelMeta.js';
import { resolveModelOption } from '../segment/modelLocation.js';
import { DEFAULT_UNET_ARCHITECTURE, UPSAMPLING_KINDS } from '../segment/unetKinds.js';
import type { UpsamplingKind } from '../segment/unetKinds.js';
import type { TrainingSource } from '../train/data.js';
import { FEW_SHOT } from '../train/fewShot.js';
import { DEFAULT_LOSS } from '../train/lossDefaults.js';
import { parseIntOption, parseListOption, parseNumberList, parsePositive, parseRealOption } from './common.js';

interface TrainFlags {
  /** DIR or DIR:WEIGHT, parsed once the training code is loaded. */
  data: string[];
  out: string;
  depth: number;
  base: number;
  upsampling: UpsamplingKind;
  batchNorm: boolean;
  channels: string;
  tile: number;
  batch: number;
  epochs: number;
  steps: number;
  lr: number;
  seed: number;
  valFraction: number;
  valImages?: string[];
  pipelineEvery: number;
  patience: number;
  lrDecay?: number;
  lrDecayAfter: number;
  resume: boolean;
  init?: string;
  freezeEncoder: boolean;
  maxMinutes?: number;
  workers: number;
  classWeights?: number[];
  diceWeight: number;
  sizeBand?: number;
  largeRim?: 'large' | 'boundary' | 'ignore';
  selectBy: 'f1' | 'octaves';
}

/**
 * --class-weights needs one weight per class of the model being trained: 3, or 4 for a scale-band model (--size-band,
 * or an --init parent that has the `large` class). Checked before any training code loads, so a wrong count is
 * one line here rather than a tensor shape error later.
 */
async function checkClassWeights(f: TrainFlags): Promise<void> {
  if (!f.classWeights) return;
  let classes = f.sizeBand !== undefined ? 4 : 3;
  let why = f.sizeBand !== undefined ? 'a scale-band model (--size-band) has 4 classes' : 'the model has 3 classes (background, body, boundary)';
  if (f.init !== undefined && f.sizeBand === undefined) {
    const dir = resolveModelOption(f.init);
    if (dir !== 'classical') {
      classes = (await readModelMeta(dir)).classes.length;
      why = `the --init model has ${classes} classes`;
    }
  }
  if (f.classWeights.length !== classes) {
    throw new PhotosieveError('E_PARAM', `--class-weights must be ${classes} numbers: ${why}; received ${f.classWeights.length} (${f.classWeights.join(',')}).`, {
      fix: classes === 4 ? 'pass background,body,boundary,large, e.g. --class-weights 1,1,3,1' : 'pass background,body,boundary, e.g. --class-weights 1,1,3',
    });
  }
}

export { FEW_SHOT };

export function trainCommand(): Command {
  return new Command('train')
    .description(
      'Train the U-Net on folders written by photosieve annotate or synth (images/, instances/, masks/).\n' +
        'Writes a model folder (model.json, weights.bin, meta.json with the model card) holding the best epoch,\n' +
        'OUT/checkpoints/last and OUT/train-log.json. Uses tfjs-node(-gpu) when installed, else wasm (with\n' +
        "photosieve's gradient kernels), else cpu.",
    )
    .requiredOption('--data <dir[:weight]>', 'training folder, optionally with a sampling weight; repeat for several', (v: string, acc: string[] = []) => [...acc, v])
    .requiredOption('-o, --out <dir>', 'model folder to write')
    .option('--depth <n>', 'U-Net levels including the bottleneck', parseIntOption('--depth', 2, 7), DEFAULT_UNET_ARCHITECTURE.depth)
    .option('--base <n>', 'channels of the first level (doubling per level)', parseIntOption('--base', 1, 256), DEFAULT_UNET_ARCHITECTURE.baseChannels)
    .addOption(new Option('--upsampling <kind>', 'decoder upsampling').choices(UPSAMPLING_KINDS).default(DEFAULT_UNET_ARCHITECTURE.upsampling))
    .option('--no-batch-norm', 'no batch normalization')
    .addOption(new Option('--channels <n>', 'input channels').choices(['1', '3']).default('3'))
    .option('--tile <px>', 'training tile size', parseIntOption('--tile', 16, 1024), 128)
    .option('--batch <n>', 'tiles per step (batch × tile² ≤ 8 × 256²)', parseIntOption('--batch', 1, 512), 8)
    .option('--epochs <n>', 'epochs', parseIntOption('--epochs', 1), 20)
    .option('--steps <n>', 'steps per epoch', parseIntOption('--steps', 1), 100)
    .option('--lr <x>', 'Adam learning rate', parsePositive('--lr'), 2e-3)
    .option('--seed <n>', 'seed of weights, split and tiles', parseIntOption('--seed', 0, 2 ** 32 - 1), 1)
    .option('--val-fraction <x>', 'share of groups held out for validation (0-1)', parseRealOption('--val-fraction', { min: 0, max: 1 }), 0.15)
    .option('--val-images <names>', 'validation images by name (their groups are held out)', parseListOption)
    .option('--pipeline-every <n>', 'run tiled inference + watershed on the validation photos every N epochs (0 = never)', parseIntOption('--pipeline-every', 0), 2)
    .addOption(
      new Option('--select-by <metric>', 'what picks the best epoch: "f1" (instance F1 on the validation photos, predictions on labelled ground) or "octaves" (mean of the per-octave F1s of the b-axis: every particle size counts alike, so thousands of small particles cannot hide split boulders)').choices(['f1', 'octaves']).default('f1'),
    )
    .option('--patience <n>', 'pipeline evaluations without improvement before stopping', parseIntOption('--patience', 1), 6)
    .option('--lr-decay <x>', 'multiply the learning rate by X (0-1) when the pipeline F1 has not improved for --lr-decay-after evaluations', parseRealOption('--lr-decay', { min: 0, above: true, max: 1 }))
    .option('--lr-decay-after <n>', 'evaluations without improvement before the rate decays', parseIntOption('--lr-decay-after', 1), 3)
    .option('--resume', 'continue from OUT/checkpoints/last', false)
    .option('--init <model>', `fine-tune from a model folder (e.g. models/default): its architecture and tile size; few-shot defaults for flags left unset (--lr ${FEW_SHOT.lr}, --steps ${FEW_SHOT.steps}, --pipeline-every ${FEW_SHOT.pipelineEvery}, --max-minutes ${FEW_SHOT.maxMinutes}, one photo validates when there are ${FEW_SHOT.valMinGroups} or more)`)
    .option('--freeze-encoder', 'with --init: keep the encoder fixed and train the decoder only', false)
    .option(
      '--workers <n>',
      'worker threads computing each batch in parallel, each drawing its own tiles (1 = train in this thread as before; 2 on 2 cores: ~1.8x the steps per hour)',
      parseIntOption('--workers', 1, 256),
      availableParallelism(),
    )
    .option('--max-minutes <m>', 'time budget: no epoch starts that would end after it (at the pace of the last three epochs; the first always runs)', parsePositive('--max-minutes'))
    .option(
      '--class-weights <w>',
      `cross-entropy weights ≥ 0: background,body,boundary (default ${DEFAULT_LOSS.classWeights.join(',')}), and large for scale-band models (--size-band, or --init of one; default 1,1,3,1)`,
      parseNumberList('--class-weights', { min: 0, lengths: [3, 4], example: DEFAULT_LOSS.classWeights.join(',') }),
    )
    .option('--size-band <px>', 'train a scale-band model: particles with a b-axis above PX tile px are labelled "large" (4th class), for segment\'s image pyramid', parsePositive('--size-band'))
    .addOption(
      new Option('--large-rim <how>', 'scale-band models: label a large particle\'s boundary band "large" with its body, "boundary" like any particle\'s so the fine level outlines it, or "ignore" (out of the loss) (default: the --init parent\'s, else large)').choices(['large', 'boundary', 'ignore']),
    )
    .option('--dice-weight <x>', 'weight of the soft Dice term (≥ 0)', parseRealOption('--dice-weight', { min: 0 }), DEFAULT_LOSS.diceWeight)
    .addHelpText('after', '\nExample:\n  photosieve train --data data/real:2 --data data/synth --out models/mine --epochs 40 --val-images IMG_1,IMG_2')
    .action(async (f: TrainFlags, command: Command) => {
      const given = (name: string): boolean => command.getOptionValueSource(name) !== 'default' && command.getOptionValueSource(name) !== undefined;
      // Fine-tuning (--init): few-shot defaults for every flag left unset, and the parent's architecture and tile.
      const few = f.init !== undefined;
      const pick = <T>(name: string, value: T, fewShot: T): T => (few && !given(name) ? fewShot : value);
      if (few) {
        const arch = ['depth', 'base', 'upsampling', 'batchNorm', 'channels', 'tile'].filter(given);
        if (arch.length > 0) {
          throw new PhotosieveError('E_PARAM', `--${arch[0]!.replace('batchNorm', 'no-batch-norm')} cannot be used with --init: the architecture and tile size are the parent model's.`, { fix: 'leave it out' });
        }
      }
      await checkClassWeights(f);
      // The training code (TensorFlow.js, the data readers) loads only once the flags are known to be right.
      const { parseSource, trainModel } = await import('../train/index.js');
      const data: TrainingSource[] = f.data.map(parseSource);
      const maxMinutes = pick('maxMinutes', f.maxMinutes, FEW_SHOT.maxMinutes);
      const lr = pick('lr', f.lr, FEW_SHOT.lr);
      const interactive = process.stderr.isTTY === true && !process.env.CI;
      const bar = interactive ? new SingleBar({ format: 'train epoch {epoch} [{bar}] {value}/{total} loss {loss} eta {eta_formatted}', stream: process.stderr, clearOnComplete: true }) : undefined;
      let started = false;
      const result = await trainModel({
        data,
        out: f.out,
        ...(few
          ? { init: f.init, freezeEncoder: f.freezeEncoder, valMinGroups: FEW_SHOT.valMinGroups }
          : { architecture: { depth: f.depth, baseChannels: f.base, batchNorm: f.batchNorm, upsampling: f.upsampling }, inputChannels: f.channels === '1' ? (1 as const) : (3 as const), tileSize: f.tile }),
        batchSize: f.batch,
        epochs: pick('epochs', f.epochs, FEW_SHOT.epochs),
        stepsPerEpoch: pick('steps', f.steps, FEW_SHOT.steps),
        learningRate: lr,
        seed: f.seed,
        valFraction: pick('valFraction', f.valFraction, FEW_SHOT.valFraction),
        valImages: f.valImages,
        pipelineEvery: pick('pipelineEvery', f.pipelineEvery, FEW_SHOT.pipelineEvery),
        patience: f.patience,
        selectBy: f.selectBy,
        ...(f.lrDecay !== undefined ? { lrDecay: { factor: f.lrDecay, after: f.lrDecayAfter, min: lr / 64 } } : {}),
        resume: f.resume,
        workers: f.workers,
        maxSeconds: maxMinutes === undefined ? undefined : maxMinutes * 60,
        loss: { ...(f.classWeights ? { classWeights: f.classWeights } : {}), diceWeight: f.diceWeight },
        ...(f.sizeBand !== undefined ? { sizeBand: { maxPx: f.sizeBand } } : {}),
        ...(f.largeRim !== undefined ? { largeRim: f.largeRim } : {}),
        onProgress: (p) => {
          if (!bar) return;
          if (!started || p.step === 1) {
            if (started) bar.stop();
            bar.start(p.steps, p.step, { epoch: `${p.epoch}/${p.epochs}`, loss: p.loss.toFixed(4) });
            started = true;
          }
          bar.update(p.step, { epoch: `${p.epoch}/${p.epochs}`, loss: p.loss.toFixed(4), eta: p.etaSeconds });
        },
        log: (line) => {
          if (bar && started) bar.stop();
          started = false;
          process.stdout.write(`${line}\n`);
        },
      });
      bar?.stop();
      const b = result.best;
      process.stdout.write(`train: ${result.epochs.length} epoch(s) on ${result.backend.name}${result.stoppedEarly ? ' (stopped early)' : ''}; best epoch ${b?.epoch ?? '-'} → ${f.out}\n`);
    });
}
