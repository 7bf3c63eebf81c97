// The `photosieve` command: one subcommand per module, each in its own file under src/cli. Only the subcommand
// being run is loaded (its file imports what it needs, heavy engines inside its action), so `photosieve --help`
// and `--version` load commander and nothing else.
import { Command } from 'commander';
import { packageVersion } from '../pipeline/version.js';

interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'synth', summary: 'render synthetic gravel with exact outlines and true size vectors', load: async () => (await import('./synth.js')).synthCommand() },
  { name: 'annotate', summary: 'import LabelMe/COCO/CVAT polygons (or instance PNGs) into training targets', load: async () => (await import('./annotate.js')).annotateCommand() },
  { name: 'train', summary: 'train the U-Net on annotate/synth folders', load: async () => (await import('./train.js')).trainCommand() },
  { name: 'export', summary: "write a model folder's model.onnx for onnxruntime (the default CPU engine)", load: async () => (await import('./export.js')).exportCommand() },
  { name: 'segment', summary: 'segment photos into particles, measure them, bin them into size vectors', load: async () => (await import('./segment.js')).segmentCommand() },
  { name: 'measure', summary: 'measure particles of instance PNGs and bin them into size vectors', load: async () => (await import('./measure.js')).measureCommand() },
  { name: 'evaluate', summary: 'score size vectors (and instances) against ground truth', load: async () => (await import('./measure.js')).evaluateCommand() },
  { name: 'calibrate', summary: 'fit a small photo-to-sieve correction on training groups', load: async () => (await import('./measure.js')).calibrateCommand() },
  { name: 'report', summary: 'write a self-contained HTML report of a segment run', load: async () => (await import('./report.js')).reportCommand() },
  { name: 'review', summary: "correct a segment run's particles in the browser (saved as LabelMe/COCO)", load: async () => (await import('./review.js')).reviewCommand() },
];

/** The subcommand argv asks for (`photosieve segment …`, `photosieve help segment`), if any. */
function requested(argv: readonly string[]): string | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * The program with every subcommand listed; `load` lists which ones get their full definition (all when
 * undefined): the others are placeholders that carry only their name and summary, for the command list.
 */
export async function buildProgram(load?: ReadonlySet<string>): Promise<Command> {
  const program = new Command('photosieve')
    .description('Measure the particle-size distribution of gravel from photographs, particle by particle.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', '\nExit codes: 0 done, 1 some inputs failed (each named on stderr), 2 usage or setup error, 130 interrupted (Ctrl-C).\nIn a clone: npx photosieve COMMAND …')
    .exitOverride();
  for (const entry of COMMANDS) {
    const cmd = load === undefined || load.has(entry.name) ? await entry.load() : new Command(entry.name);
    program.addCommand(cmd.summary(entry.summary).exitOverride());
  }
  return program;
}

/**
 * Runs the CLI with `argv` (without node and script). Usage errors throw CommanderError (already printed by
 * commander); failures of the job set process.exitCode; nothing calls process.exit, so tests run it in-process.
 */
export async function main(argv: readonly string[]): Promise<void> {
  const name = requested(argv);
  const program = await buildProgram(new Set(name === undefined ? [] : [name]));
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    // --help and --version are "errors" to commander; they succeeded.
    if (err instanceof Error && 'code' in err && (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')) return;
    throw err;
  }
}
