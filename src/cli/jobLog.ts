// What a long batch prints while it runs, for a person at a terminal and for a job scheduler alike. stderr gets
// progress and per-image status: one status line redrawn in place on a TTY, else one line per finished image,
// written as it finishes; stdout gets results only, and with --json nothing but NDJSON events. ETA is estimated
// from pixels segmented, shown only once an image has finished (never `0s` or `INF`).
import type { ImageResult, ProgressEvent } from '../pipeline/types.js';

export type JobLogMode = 'tty' | 'lines' | 'json' | 'quiet';

export interface Sink {
  write(text: string): unknown;
}

export interface JobLogOptions {
  mode: JobLogMode;
  stderr?: Sink;
  stdout?: Sink;
  /** Milliseconds, for tests. @default performance.now */
  now?: () => number;
}

/** The mode from the flags and the terminal: --json, then -q, then a TTY (not in CI), else lines. */
export function jobLogMode(flags: { json?: boolean; quiet?: boolean }, stderr: { isTTY?: boolean } = process.stderr, env: NodeJS.ProcessEnv = process.env): JobLogMode {
  if (flags.json) return 'json';
  if (flags.quiet) return 'quiet';
  return stderr.isTTY === true && !env.CI ? 'tty' : 'lines';
}

/** `42 s`, `14 min`, `2 h 05 min`. */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return '< 1 s';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/**
 * Seconds left at the rate so far (pixels segmented per second since segmenting began), or undefined while no image
 * has finished, and once nothing is left.
 */
export function etaSeconds(pixelsDone: number, pixelsTotal: number, elapsedMs: number): number | undefined {
  if (!(pixelsDone > 0) || !(elapsedMs > 0) || !(pixelsTotal > pixelsDone)) return undefined;
  return ((pixelsTotal - pixelsDone) * elapsedMs) / pixelsDone / 1000;
}

function imageSeconds(r: ImageResult): number | undefined {
  const t = r.timings;
  return t ? (t.decodeMs + t.semanticMs + t.instancesMs + t.measureMs + t.writeMs) / 1000 : undefined;
}

/** The NDJSON event of one settled image. */
export function imageEvent(r: ImageResult, done: number, total: number): Record<string, unknown> {
  const seconds = imageSeconds(r);
  return {
    event: 'image',
    status: r.status,
    name: r.name,
    path: r.path,
    done,
    total,
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.width !== undefined ? { width: r.width, height: r.height } : {}),
    ...(r.particles !== undefined ? { particles: r.particles } : {}),
    ...(r.tiles !== undefined ? { tiles: r.tiles } : {}),
    ...(r.scale !== undefined ? { scale: r.scale } : {}),
    ...(seconds !== undefined ? { seconds: Number(seconds.toFixed(3)) } : {}),
    ...(r.timings ? { timings: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v)])) } : {}),
    ...(r.measure ? { n: r.measure.n, vector: r.measure.fractions.map((v) => (Number.isFinite(v) ? v : null)) } : {}),
    ...(r.strips !== undefined ? { strips: r.strips } : {}),
    ...(r.warnings ? { warnings: r.warnings } : {}),
  };
}

export class JobLog {
  private readonly mode: JobLogMode;
  private readonly stderr: Sink;
  private readonly stdout: Sink;
  private readonly now: () => number;
  private status = '';
  private startedMs: number | undefined;
  private pixelsDone = 0;
  private pixelsTotal = 0;
  private done = 0;
  private total = 0;
  /** Images with outputs: done in this run or skipped (done before). */
  private withOutputs = 0;
  /** Images segmented (done or failed) in this run. */
  private segmentedHere = 0;

  constructor(
    private readonly command: string,
    options: JobLogOptions,
  ) {
    this.mode = options.mode;
    this.stderr = options.stderr ?? process.stderr;
    this.stdout = options.stdout ?? process.stdout;
    this.now = options.now ?? (() => performance.now());
  }

  get json(): boolean {
    return this.mode === 'json';
  }

  /** One NDJSON line on stdout (--json only). */
  emit(event: Record<string, unknown>): void {
    if (this.mode === 'json') this.stdout.write(`${JSON.stringify(event)}\n`);
  }

  /** A line on stderr that matters in every mode, --json and -q included (a failure, a warning). */
  problem(text: string): void {
    this.printLine(text);
  }

  /** A line on stderr for a person following the run (not with -q or --json). */
  info(text: string): void {
    if (this.mode === 'tty' || this.mode === 'lines') this.printLine(text);
  }

  private printLine(text: string): void {
    if (this.mode === 'tty' && this.status !== '') this.stderr.write(`\r\x1b[K${text}\n${this.status}`);
    else this.stderr.write(`${text}\n`);
  }

  private redraw(status: string): void {
    if (this.mode !== 'tty') return;
    this.status = status;
    this.stderr.write(`\r\x1b[K${status}`);
  }

  /** Clears the status line (before the summary on stdout). */
  stop(): void {
    if (this.mode === 'tty' && this.status !== '') this.stderr.write('\r\x1b[K');
    this.status = '';
  }

  private eta(): string {
    if (this.startedMs === undefined) return '';
    const left = etaSeconds(this.pixelsDone, this.pixelsTotal, this.now() - this.startedMs);
    return left === undefined ? '' : `, eta ${formatDuration(left)}`;
  }

  /** Counts so far, for the interrupt message: images with outputs, in all, segmented in this run. */
  counts(): { withOutputs: number; total: number; segmentedHere: number } {
    return { withOutputs: this.withOutputs, total: this.total, segmentedHere: this.segmentedHere };
  }

  event(e: ProgressEvent): void {
    switch (e.kind) {
      case 'start': {
        this.total = e.total;
        this.pixelsTotal = e.pixels;
        this.emit({ event: 'start', command: this.command, total: e.total, toDo: e.jobs, skipped: e.skipped, failed: e.failed, megapixels: Number((e.pixels / 1e6).toFixed(3)) });
        const skipped = e.skipped > 0 ? `, ${e.skipped} skipped (done before with these settings)` : '';
        this.info(`${this.command}: ${e.total} image(s): ${e.jobs} to segment (${(e.pixels / 1e6).toFixed(e.pixels < 1e6 ? 2 : 1)} MP)${skipped}`);
        break;
      }
      case 'engine': {
        this.startedMs = this.now();
        const b = e.info.backend;
        this.emit({ event: 'engine', kind: e.info.kind, model: e.info.modelId, backend: e.info.kind === 'classical' ? 'none' : (b?.name ?? null) });
        break;
      }
      case 'tile':
        this.redraw(`${this.command} ${this.done}/${this.total}: ${e.name} tiles ${e.done}/${e.total}${this.eta()}`);
        break;
      case 'image': {
        this.done = e.done;
        this.pixelsDone = e.pixelsDone;
        const r = e.result;
        this.emit(imageEvent(r, e.done, e.total));
        if (r.status !== 'failed') this.withOutputs += 1;
        if (r.status !== 'skipped' && this.startedMs !== undefined) this.segmentedHere += 1;
        const at = `[${e.done}/${e.total}]`;
        if (r.status === 'failed') this.problem(`${this.command}: ${at} failed: ${r.error ?? r.path}`);
        else if (r.status === 'done') {
          const seconds = imageSeconds(r);
          const size = r.width !== undefined ? `${r.width}×${r.height}, ` : '';
          if (this.mode === 'lines') this.info(`${this.command}: ${at} done ${r.name} (${size}${r.particles ?? 0} particles, ${(seconds ?? 0).toFixed(1)} s)${this.eta()}`);
          // Said as it happens, with or without bins (a photo's particles cut by its strips).
          for (const w of r.warnings ?? []) this.problem(`${this.command}: ${at} warning: ${r.name}: ${w}`);
        }
        this.redraw(`${this.command} ${e.done}/${e.total}${r.status === 'done' ? `: ${r.name} done` : ''}${this.eta()}`);
        break;
      }
    }
  }
}
