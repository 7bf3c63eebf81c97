// Process entry: runs the CLI and turns any error into one line on stderr and a non-zero exit code.
import { CommanderError } from 'commander';
import { errorLine } from '../core/index.js';
import { main } from './main.js';

// `photosieve … | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

try {
  await main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof CommanderError)) process.stderr.write(`photosieve: ${errorLine(err)}\n`);
  if (process.env.PHOTOSIEVE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = err instanceof CommanderError ? err.exitCode || 1 : 1;
}
