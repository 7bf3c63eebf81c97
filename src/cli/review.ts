// `photosieve review`: thin layer over src/review — start the server, print its URL, open a browser, and stop
// cleanly on Ctrl+C or SIGTERM once every save is on disk.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { PhotosieveError } from '../core/index.js';
import { FEW_SHOT } from '../train/fewShot.js';
import { parseIntOption, parsePositive } from './common.js';

interface ReviewFlags {
  port?: number;
  open: boolean;
  fineTune: boolean;
  init?: string;
  maxMinutes?: number;
  freezeEncoder: boolean;
}

const FINE_TUNE_ONLY = ['init', 'maxMinutes', 'freezeEncoder'] as const;

/** The platform's "open this URL" command; failures only cost a note (the URL is printed anyway). */
function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', (err) => process.stderr.write(`review: could not open a browser (${cmd}: ${err.message}); open the URL above yourself\n`));
    child.unref();
  } catch (err) {
    process.stderr.write(`review: could not open a browser (${(err as Error).message}); open the URL above yourself\n`);
  }
}

function waitForStop(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveSignal(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function reviewCommand(): Command {
  return new Command('review')
    .description(
      'Correct the particles of a photosieve segment run in the browser: delete,\n' +
        'merge, split, draw and erase outlines on each photo, undo/redo, mark photos\n' +
        'reviewed. Edits are saved as you go (atomically) to DIR/review/NAME.json\n' +
        '(LabelMe), DIR/review/coco.json (COCO, all saved photos) and\n' +
        'DIR/review/state.json; photosieve annotate reads them as they are.\n' +
        'The server listens on 127.0.0.1 only and answers only requests carrying the\n' +
        'random token of the printed URL.',
    )
    .argument('<dir>', 'the --out folder of photosieve segment (with run.json and instances/)')
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', parseIntOption('--port', 0, 65535))
    .option('--no-open', 'do not open a browser, only print the URL')
    .option('--fine-tune', 'no page: fine-tune a model on the photos marked reviewed (what the page\'s Fine-tune button runs), write it to DIR/review/model and exit', false)
    .option('--init <model>', 'with --fine-tune: the model to start from (default: the run\'s own model; models/default if the run was classical)')
    .option('--max-minutes <n>', `with --fine-tune: time budget of the training (default ${FEW_SHOT.maxMinutes})`, parsePositive('--max-minutes', 24 * 60))
    .option('--freeze-encoder', 'with --fine-tune: keep the encoder fixed and train the decoder only', false)
    .addHelpText(
      'after',
      '\nShortcuts on the page: v select (shift+click adds), d delete, m merge, s split\n' +
        '(drag a line), p polygon, e erase, Enter close a polygon, Esc cancel,\n' +
        'ctrl+z undo, ctrl+shift+z redo, f fit, r mark reviewed; wheel zooms, drag pans.\n' +
        '\nExamples:\n' +
        '  photosieve segment photos --out results && photosieve review results\n' +
        '  photosieve review results --port 8765 --no-open\n' +
        '  photosieve review results --fine-tune   (fine-tune on the reviewed photos, as the page\'s button does)\n' +
        '  photosieve segment photos --model results/review/model --out results-ft\n' +
        '  photosieve annotate results/review/coco.json --images photos --out train-data   (train on them yourself)\n' +
        '\nCtrl+C stops the server after the last save is written.',
    )
    .action(async (dir: string, flags: ReviewFlags) => {
      if (!flags.fineTune) {
        const stray = FINE_TUNE_ONLY.find((k) => k === 'freezeEncoder' ? flags.freezeEncoder : flags[k] !== undefined);
        if (stray) throw new PhotosieveError('E_PARAM', `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is used only with --fine-tune.`, { fix: 'add --fine-tune, or leave the flag out' });
      } else {
        const { fineTuneLeftovers, fineTuneOnReviewed } = await import('../review/fineTune.js');
        // Stopped (Ctrl-C, or the page's server stopping its job): the lock and the half-trained model go, the
        // previous model stays; a later fine-tune starts afresh.
        const stop = (signal: NodeJS.Signals): void => {
          for (const f of fineTuneLeftovers(dir)) rmSync(f, { recursive: true, force: true });
          process.stderr.write(`review: fine-tune stopped (${signal}); the previous model, if any, is unchanged\n`);
          process.exit(signal === 'SIGINT' ? 130 : 143);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        let r;
        try {
          r = await fineTuneOnReviewed({ dir, init: flags.init, maxMinutes: flags.maxMinutes, freezeEncoder: flags.freezeEncoder, log: (line) => process.stdout.write(`${line}\n`) });
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
        process.stdout.write(`review: fine-tuned ${r.parent} on ${r.photos.length} reviewed photo(s) for ${r.epochs} epoch(s) → ${r.model}\nsegment again with it:  photosieve segment PHOTOS --model ${r.model} --out DIR\n`);
        return;
      }
      const { startReviewServer } = await import('../review/index.js');
      const server = await startReviewServer({ dir, port: flags.port, log: (line) => process.stderr.write(`${line}\n`) });
      const photos = server.store.list();
      const problems = photos.filter((p) => p.problem !== null);
      process.stdout.write(`review: ${photos.length} photo(s), ${photos.filter((p) => p.reviewed).length} reviewed${problems.length ? `, ${problems.length} cannot be reviewed` : ''}; edits are saved to ${join(dir, 'review')}\n`);
      for (const p of problems) process.stdout.write(`warning: ${p.name}: ${p.problem}\n`);
      process.stdout.write(`open ${server.url}   (Ctrl+C to stop)\n`);
      if (flags.open) openBrowser(server.url);
      const signal = await waitForStop();
      await server.close();
      process.stdout.write(`review: stopped (${signal}); ${server.store.saves} save(s) written this session to ${join(dir, 'review')}\n`);
    });
}
