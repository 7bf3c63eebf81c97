// Process entry: runs the CLI and turns any error into one line on stderr and exit code 2 (usage or setup); the
// commands set 1 themselves when some inputs failed (EXIT_CODES).
import { CommanderError } from 'commander';
import { errorLine } from '../core/errors.js';
import { EXIT_CODES } from './exitCodes.js';
import { main } from './main.js';

// `photosieve … | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

try {
  await main(process.argv.slice(2));
} catch (err) {
  // Commander has printed its own usage message; every other error is one line here.
  if (!(err instanceof CommanderError)) process.stderr.write(`photosieve: ${errorLine(err)}\n`);
  if (process.env.PHOTOSIEVE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = EXIT_CODES.usage;
}
