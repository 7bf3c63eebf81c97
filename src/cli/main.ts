// The `photosieve` command: one subcommand per module, each in its own file under src/cli.
import { Command } from 'commander';
import { annotateCommand } from './annotate.js';
import { exportCommand } from './export.js';
import { calibrateCommand, evaluateCommand, measureCommand } from './measure.js';
import { reportCommand } from './report.js';
import { reviewCommand } from './review.js';
import { segmentCommand } from './segment.js';
import { synthCommand } from './synth.js';
import { trainCommand } from './train.js';

export function buildProgram(): Command {
  const program = new Command('photosieve')
    .description('Measure the particle-size distribution of gravel from photographs, particle by particle.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const commands = [synthCommand(), annotateCommand(), trainCommand(), exportCommand(), segmentCommand(), measureCommand(), evaluateCommand(), calibrateCommand(), reportCommand(), reviewCommand()];
  const summaries: Record<string, string> = {
    synth: 'render synthetic gravel with exact outlines and true size vectors',
    annotate: 'import LabelMe/COCO/CVAT polygons (or instance PNGs) into training targets',
    train: 'train the U-Net on annotate/synth folders',
    export: 'write a model folder\'s model.onnx for onnxruntime (the default CPU engine)',
    segment: 'segment photos into particles, measure them, bin them into size vectors',
    measure: 'measure particles of instance PNGs and bin them into size vectors',
    evaluate: 'score size vectors (and instances) against ground truth',
    calibrate: 'fit a small photo-to-sieve correction on training groups',
    report: 'write a self-contained HTML report of a segment run',
    review: 'correct a segment run\'s particles in the browser (saved as LabelMe/COCO)',
  };
  for (const cmd of commands) program.addCommand(cmd.summary(summaries[cmd.name()] ?? '').exitOverride());
  return program;
}

/**
 * Runs the CLI with `argv` (without node and script). Usage errors throw CommanderError (already printed by
 * commander); failures of the job set process.exitCode; nothing calls process.exit, so tests run it in-process.
 */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    // --help and --version are "errors" to commander; they succeeded.
    if (err instanceof Error && 'code' in err && (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')) return;
    throw err;
  }
}
