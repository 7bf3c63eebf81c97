// The page's "Fine-tune" button: one background `photosieve review DIR --fine-tune` process at a time. A child
// process, not a call in the server: training keeps both cores busy for minutes and the page must stay responsive
// (saves go on while it trains). Its output lines are kept for the page to show; stopping the server stops it.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FINE_TUNED_MODEL, reviewedPhotos } from './fineTune.js';
import { reviewFolder } from './reviewFiles.js';
import { ReviewError } from './reviewStore.js';

export type FineTuneState = 'idle' | 'running' | 'done' | 'failed';

export interface FineTuneStatus {
  state: FineTuneState;
  /** Reviewed photos the running (or last) job trains on. */
  photos: string[];
  startedAt: string | null;
  finishedAt: string | null;
  /** The last lines the job printed (stdout and stderr). */
  lines: string[];
  /** The fine-tuned model folder once a job is done (or from an earlier session), else null. */
  model: string | null;
  /** Why the job failed, or null. */
  error: string | null;
}

export interface FineTuneRequest {
  maxMinutes?: number | undefined;
  freezeEncoder?: boolean | undefined;
}

/** The program and arguments that run photosieve's CLI with ARGS. */
export type CliLauncher = (args: string[]) => { command: string; args: string[] };

/** This photosieve's own CLI: the compiled entry beside dist/, or the TypeScript one through tsx when run from src/. */
export const ownCli: CliLauncher = (args) => {
  const ts = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(ts ? '../cli/run.ts' : '../cli/run.js', import.meta.url));
  return { command: process.execPath, args: [...(ts ? ['--import', 'tsx'] : []), entry, ...args] };
};

const KEEP_LINES = 200;

/** The review store of a running server: what it holds in memory is newer than the files until its writes end. */
export interface ReviewedSource {
  /** Names of the photos marked reviewed that have a review file. */
  reviewed(): string[];
  /** Resolves once every save and mark is on disk. */
  idle(): Promise<void>;
}

export class FineTuneJob {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private current: FineTuneStatus;

  constructor(
    private readonly dir: string,
    private readonly launch: CliLauncher = ownCli,
    private readonly source?: ReviewedSource,
  ) {
    const model = join(reviewFolder(dir), FINE_TUNED_MODEL);
    this.current = { state: 'idle', photos: [], startedAt: null, finishedAt: null, lines: [], model: existsSync(join(model, 'meta.json')) ? model : null, error: null };
  }

  status(): FineTuneStatus {
    return { ...this.current, lines: [...this.current.lines] };
  }

  /** Starts a fine-tune on the photos marked reviewed; refused while one runs or when none is reviewed. */
  async start(request: FineTuneRequest = {}): Promise<FineTuneStatus> {
    if (this.child) throw new ReviewError('conflict', 'a fine-tune is already running; wait for it to finish');
    // The job reads the review files from disk: a save or mark still being written must land first (and the list
    // is taken after it, so a mark made just before the click counts).
    await this.source?.idle();
    const photos = this.source ? this.source.reviewed() : await reviewedPhotos(this.dir);
    if (photos.length === 0) throw new ReviewError('invalid', 'no photo is marked reviewed yet: correct one to three photos and mark each reviewed (r)');
    if (this.child) throw new ReviewError('conflict', 'a fine-tune is already running; wait for it to finish');
    const args = ['review', this.dir, '--fine-tune'];
    if (request.maxMinutes !== undefined) args.push('--max-minutes', String(request.maxMinutes));
    if (request.freezeEncoder) args.push('--freeze-encoder');
    const { command, args: argv } = this.launch(args);
    const previousModel = this.current.model;
    this.current = { state: 'running', photos, startedAt: new Date().toISOString(), finishedAt: null, lines: [], model: previousModel, error: null };
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    this.child = child;
    const keep = (chunk: Buffer | string): void => {
      const lines = String(chunk).split(/\r?\n/).filter((l) => l.trim() !== '');
      this.current.lines.push(...lines);
      if (this.current.lines.length > KEEP_LINES) this.current.lines.splice(0, this.current.lines.length - KEEP_LINES);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exited = new Promise<void>((done) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
        if (this.child !== child) return;
        this.child = null;
        const model = join(reviewFolder(this.dir), FINE_TUNED_MODEL);
        const ok = code === 0 && !spawnError && existsSync(join(model, 'meta.json'));
        // The command exits 143/130 when it stops on SIGTERM/SIGINT itself (after removing what it left).
        const stoppedBy = signal ?? (code === 143 ? 'SIGTERM' : code === 130 ? 'SIGINT' : null);
        const why = spawnError ? `could not start photosieve (${spawnError.message})` : stoppedBy ? `stopped by ${stoppedBy}` : `exited with code ${code}: ${this.current.lines.at(-1) ?? 'no output'}`;
        Object.assign(this.current, { state: ok ? 'done' : 'failed', finishedAt: new Date().toISOString(), model: ok ? model : this.current.model, error: ok ? null : why });
        done();
      };
      child.once('error', (err) => finish(null, null, err));
      child.once('close', (code, signal) => finish(code, signal));
    });
    return this.status();
  }

  /** Stops a running job (SIGTERM) and waits for it; the previous fine-tuned model is left as it was. */
  async stop(): Promise<void> {
    this.child?.kill('SIGTERM');
    await this.exited;
  }

  /** Resolves when the running job (if any) has ended. */
  wait(): Promise<void> {
    return this.exited;
  }
}
