// The batch log on its own, with a fake clock and fake streams: ETA from pixels (none before the first image,
// none once nothing is left), one line per image when not on a terminal, a status line redrawn on one, NDJSON only
// on stdout with --json, and only failures with -q.
import { describe, expect, it } from 'vitest';
import { JobLog, etaSeconds, formatDuration, imageEvent, jobLogMode } from '../../src/cli/jobLog.js';
import type { ImageResult, ProgressEvent } from '../../src/pipeline/types.js';

function sinks(): { err: string[]; out: string[]; stderr: { write(t: string): void }; stdout: { write(t: string): void } } {
  const err: string[] = [];
  const out: string[] = [];
  return { err, out, stderr: { write: (t) => err.push(t) }, stdout: { write: (t) => out.push(t) } };
}

const done = (name: string, ms: number, particles = 10): ImageResult => ({
  name,
  path: `photos/${name}.jpg`,
  status: 'done',
  width: 2000,
  height: 1000,
  particles,
  tiles: 40,
  timings: { decodeMs: ms / 4, semanticMs: ms / 2, instancesMs: ms / 8, measureMs: ms / 16, writeMs: ms / 16 },
});
const failed: ImageResult = { name: 'bad', path: 'photos/bad.jpg', status: 'failed', error: 'photos/bad.jpg: cannot decode the image. Fix: re-export it' };
const skipped: ImageResult = { ...done('old', 1000), status: 'skipped' };

/** A run of 4 photos of 2 MP: one skipped, then a, bad, b segmented, 10 s per image on the fake clock. */
function events(): { at: number; e: ProgressEvent }[] {
  const total = 4;
  const px = 6e6;
  return [
    { at: 0, e: { kind: 'start', total, jobs: 3, skipped: 1, failed: 0, pixels: px } },
    { at: 0, e: { kind: 'image', done: 1, total, name: 'old', result: skipped, pixelsDone: 0, pixelsTotal: px } },
    { at: 2000, e: { kind: 'engine', info: { kind: 'unet', modelId: '/m', meta: undefined, backend: { name: 'onnxruntime', threads: 2, skipped: [] } } } },
    { at: 5000, e: { kind: 'tile', name: 'a', done: 20, total: 40 } },
    { at: 12000, e: { kind: 'image', done: 2, total, name: 'a', result: done('a', 10000), pixelsDone: 2e6, pixelsTotal: px } },
    { at: 13000, e: { kind: 'image', done: 3, total, name: 'bad', result: failed, pixelsDone: 4e6, pixelsTotal: px } },
    { at: 22000, e: { kind: 'image', done: 4, total, name: 'b', result: done('b', 9000, 7), pixelsDone: 6e6, pixelsTotal: px } },
  ];
}

function play(mode: 'tty' | 'lines' | 'json' | 'quiet'): { err: string[]; out: string[]; log: JobLog } {
  const s = sinks();
  let now = 0;
  const log = new JobLog('segment', { mode, stderr: s.stderr, stdout: s.stdout, now: () => now });
  for (const { at, e } of events()) {
    now = at;
    log.event(e);
  }
  log.stop();
  return { ...s, log };
}

describe('ETA', () => {
  it('from pixels done per second since segmenting began; undefined before the first image and at the end', () => {
    expect(etaSeconds(0, 6e6, 5000)).toBeUndefined();
    expect(etaSeconds(2e6, 6e6, 10000)).toBe(20);
    expect(etaSeconds(6e6, 6e6, 20000)).toBeUndefined();
    expect(etaSeconds(1, 2, 0)).toBeUndefined();
    expect([formatDuration(0.4), formatDuration(42), formatDuration(840), formatDuration(7500)]).toEqual(['< 1 s', '42 s', '14 min', '2 h 05 min']);
  });
});

describe('JobLog', () => {
  it('not on a terminal: one line per image as it finishes on stderr, nothing on stdout', () => {
    const { err, out, log } = play('lines');
    expect(out).toEqual([]);
    expect(err).toEqual([
      'segment: 4 image(s): 3 to segment (6.0 MP), 1 skipped (done before with these settings)\n',
      'segment: [2/4] done a (2000×1000, 10 particles, 10.0 s), eta 20 s\n',
      'segment: [3/4] failed: photos/bad.jpg: cannot decode the image. Fix: re-export it\n',
      'segment: [4/4] done b (2000×1000, 7 particles, 9.0 s)\n',
    ]);
    expect(log.counts()).toEqual({ withOutputs: 3, total: 4, segmentedHere: 3 });
  });

  it('on a terminal: one status line redrawn in place (no eta before the first image), failures as full lines above it', () => {
    const { err } = play('tty');
    expect(err.slice(0, 2)).toEqual(['segment: 4 image(s): 3 to segment (6.0 MP), 1 skipped (done before with these settings)\n', '\r\x1b[Ksegment 1/4']);
    expect(err).toContain('\r\x1b[Ksegment 1/4: a tiles 20/40');
    expect(err).toContain('\r\x1b[Ksegment 2/4: a done, eta 20 s');
    expect(err).toContain('\r\x1b[Ksegment: [3/4] failed: photos/bad.jpg: cannot decode the image. Fix: re-export it\nsegment 2/4: a done, eta 20 s');
    expect(err.at(-1)).toBe('\r\x1b[K');
    expect(err.join('')).not.toMatch(/eta (0 s|INF|NULL|NaN)/);
  });

  it('--json: one JSON object per line on stdout, failures still named on stderr', () => {
    const { err, out } = play('json');
    const lines = out.map((l) => JSON.parse(l) as { event: string; status?: string });
    expect(out.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(lines.map((l) => [l.event, l.status ?? ''])).toEqual([
      ['start', ''],
      ['image', 'skipped'],
      ['engine', ''],
      ['image', 'done'],
      ['image', 'failed'],
      ['image', 'done'],
    ]);
    expect(lines[3]).toEqual({
      event: 'image',
      status: 'done',
      name: 'a',
      path: 'photos/a.jpg',
      done: 2,
      total: 4,
      width: 2000,
      height: 1000,
      particles: 10,
      tiles: 40,
      seconds: 10,
      timings: { decodeMs: 2500, semanticMs: 5000, instancesMs: 1250, measureMs: 625, writeMs: 625 },
    });
    expect(lines[4]).toMatchObject({ path: 'photos/bad.jpg', error: failed.error });
    expect(err).toEqual(['segment: [3/4] failed: photos/bad.jpg: cannot decode the image. Fix: re-export it\n']);
  });

  it('-q: failures only', () => {
    expect(play('quiet').err).toEqual(['segment: [3/4] failed: photos/bad.jpg: cannot decode the image. Fix: re-export it\n']);
  });

  it('mode: --json, then -q, then a terminal outside CI, else lines', () => {
    expect(jobLogMode({ json: true, quiet: true }, { isTTY: true }, {})).toBe('json');
    expect(jobLogMode({ quiet: true }, { isTTY: true }, {})).toBe('quiet');
    expect(jobLogMode({}, { isTTY: true }, {})).toBe('tty');
    expect(jobLogMode({}, { isTTY: true }, { CI: 'true' })).toBe('lines');
    expect(jobLogMode({}, { isTTY: false }, {})).toBe('lines');
  });

  it('an image event of a measured image carries its vector (NaN as null)', () => {
    const r: ImageResult = { ...done('m', 100), measure: { fractions: [0.5, 0.5, NaN], n: 3, d10: 1, d16: 1, d30: 1.5, d50: 2, d60: 2, d84: 3, d90: 3, cu: 2, cc: 1.125, warnings: [], unmeasuredAreaFraction: 0 } };
    expect(imageEvent(r, 1, 1)).toMatchObject({ n: 3, vector: [0.5, 0.5, null] });
  });
});
