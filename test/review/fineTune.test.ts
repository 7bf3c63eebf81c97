// Fine-tuning on the reviewed photos: the command (`review DIR --fine-tune`) trains from a parent on exactly the
// photos marked reviewed, and the page's action runs it as a background process whose status the page polls.
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhotosieveError } from '../../src/core/index.js';
import type { CliLauncher, FineTuneStatus, ReviewServer } from '../../src/review/index.js';
import { ReviewStore, fineTuneOnReviewed, loadReviewRun, ownCli, reviewedPhotos, startReviewServer } from '../../src/review/index.js';
import { writeRandomModel } from '../../src/segment/index.js';
import { capture, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeFakeReviewRun } from './fakeReviewRun.js';

const TINY = { architecture: { depth: 3, baseChannels: 4, batchNorm: true, upsampling: 'transpose' as const }, inputChannels: 3 as const, tileSize: 64, seed: 3 };

let tmp: Awaited<ReturnType<typeof tempDir>>;
let parent: string;

beforeAll(async () => {
  tmp = await tempDir();
  parent = join(tmp.dir, 'parent');
  await writeRandomModel(parent, TINY);
});
resetCliAfterEach();

async function runWithReviewed(name: string, reviewed: string[]): Promise<string> {
  const { dir } = await writeFakeReviewRun(join(tmp.dir, name));
  const store = await ReviewStore.open(await loadReviewRun(dir));
  for (const photo of reviewed) await store.setReviewed(photo, true);
  await store.idle();
  return dir;
}

describe('review --fine-tune', () => {
  it('trains from the parent on exactly the photos marked reviewed, into DIR/review/model, leaving no partial folder', async () => {
    const dir = await runWithReviewed('cmd', ['tray']);
    expect(await reviewedPhotos(dir)).toEqual(['tray']);
    // A lock left by a process that is gone is taken over, and removed at the end.
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(dir, 'review', 'fine-tune.lock'), `${gone}\n`);
    // A budget shorter than one epoch: the trainer stops after the first.
    const { out, exitCode } = await capture(['review', dir, '--fine-tune', '--init', parent, '--max-minutes', '0.001']);
    expect(exitCode).toBe(0);
    const model = join(dir, 'review', 'model');
    expect(out).toContain(`review: fine-tuned ${parent} on 1 reviewed photo(s) for 1 epoch(s) → ${model}\n`);
    expect(out).toContain(`--model ${model} `);
    const meta = JSON.parse(await readFile(join(model, 'meta.json'), 'utf8')) as { tileSize: number; training: { parent: { dir: string }; added: { dir: string; images: number }[] } };
    expect(meta.tileSize).toBe(64);
    expect(meta.training.parent.dir).toBe(parent);
    expect(meta.training.added).toEqual([{ dir: join(dir, 'review', 'train-data'), images: 1 }]);
    expect((await readdir(join(dir, 'review', 'train-data', 'images'))).sort()).toEqual(['tray.png']);
    expect(existsSync(`${model}.partial`)).toBe(false);
    expect(existsSync(join(dir, 'review', 'fine-tune.lock'))).toBe(false);
  });

  it("refuses while another process holds the run's fine-tune lock", async () => {
    const dir = await runWithReviewed('locked', ['tray']);
    const lock = join(dir, 'review', 'fine-tune.lock');
    await writeFile(lock, `${process.pid}\n`);
    const err = await fineTuneOnReviewed({ dir, init: parent }).catch((e: unknown) => e);
    expect((err as PhotosieveError).toLine()).toBe(`${lock}: a fine-tune of this run is already running (process ${process.pid}). Fix: wait for it to end (or stop it), then fine-tune again`);
    expect(await readFile(lock, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('with no photo reviewed: one line naming state.json and what to do', async () => {
    const dir = await runWithReviewed('none', []);
    const err = await fineTuneOnReviewed({ dir, init: parent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhotosieveError);
    expect((err as PhotosieveError).toLine()).toBe(
      `${join(dir, 'review', 'state.json')}: no photo of this run is marked reviewed, so there is nothing to fine-tune on. Fix: open photosieve review ${dir}, correct the particles of one to three photos and mark each reviewed (r)`,
    );
  });

  it('refuses fine-tune flags without --fine-tune, and --init classical', async () => {
    const dir = await runWithReviewed('flags', ['tray']);
    await expect(capture(['review', dir, '--max-minutes', '3'])).rejects.toThrow(/^--max-minutes is used only with --fine-tune\./);
    await expect(capture(['review', dir, '--freeze-encoder'])).rejects.toThrow(/^--freeze-encoder is used only with --fine-tune\./);
    await expect(capture(['review', dir, '--fine-tune', '--init', 'classical'])).rejects.toThrow(/the classical mode has no weights to fine-tune/);
  });

  it("the launcher runs this photosieve's own CLI", async () => {
    const { command, args } = ownCli(['review', '--help']);
    const { stdout } = await promisify(execFile)(command, args, { timeout: 60_000 });
    expect(stdout).toMatch(/--fine-tune/);
  });
});

describe("the page's fine-tune action", () => {
  let server: ReviewServer;
  let dir: string;
  let release: string;
  const calls: string[][] = [];
  // A stand-in for photosieve: prints two lines, waits until the test creates RELEASE, writes the model, exits 0.
  const standIn: CliLauncher = (args) => {
    calls.push(args);
    const script = `
      const fs = require('node:fs'), path = require('node:path');
      const [dir, release] = process.argv.slice(1, 3);
      console.log('fine-tune: 1 reviewed photo(s)');
      console.error('epoch 1: loss 0.5');
      const t = setInterval(() => {
        if (!fs.existsSync(release)) return;
        clearInterval(t);
        fs.mkdirSync(path.join(dir, 'review', 'model'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'review', 'model', 'meta.json'), '{}');
      }, 20);`;
    return { command: process.execPath, args: ['-e', script, args[1]!, release] };
  };

  async function call(method: string, body?: unknown): Promise<{ status: number; body: FineTuneStatus & { error?: string } }> {
    const res = await fetch(`${server.origin}/api/fine-tune`, { method, headers: { 'X-Photosieve-Token': server.token, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as FineTuneStatus & { error?: string } };
  }

  beforeAll(async () => {
    ({ dir } = await writeFakeReviewRun(join(tmp.dir, 'page')));
    release = join(tmp.dir, 'release');
    server = await startReviewServer({ dir, fineTuneCli: standIn });
  });
  afterAll(async () => server.close());

  it('is idle at first, and refused with 400 while no photo is reviewed', async () => {
    expect((await call('GET')).body).toEqual({ state: 'idle', photos: [], startedAt: null, finishedAt: null, lines: [], model: null, error: null });
    const r = await call('POST', {});
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/no photo is marked reviewed yet/);
    expect(calls).toEqual([]);
  });

  it('refuses a malformed request body', async () => {
    expect((await call('POST', { maxMinutes: -1 })).status).toBe(400);
    expect((await call('POST', { epochs: 5 })).status).toBe(400);
  });

  it('runs one job at a time with the flags asked for, shows its lines, and reports the model when done', async () => {
    await server.store.setReviewed('tray', true);
    const started = await call('POST', { maxMinutes: 5, freezeEncoder: true });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ state: 'running', photos: ['tray'], model: null, error: null });
    expect(calls).toEqual([['review', dir, '--fine-tune', '--max-minutes', '5', '--freeze-encoder']]);
    expect((await call('POST', {})).status).toBe(409);
    await expect.poll(async () => (await call('GET')).body.lines.length, { timeout: 10_000 }).toBe(2);
    await writeFile(release, '');
    await server.fineTune.wait();
    const done = (await call('GET')).body;
    expect(done).toMatchObject({ state: 'done', model: join(dir, 'review', 'model'), error: null });
    expect([...done.lines].sort()).toEqual(['epoch 1: loss 0.5', 'fine-tune: 1 reviewed photo(s)']);
  });

  it('stopping the server stops a running job, which is then reported as failed', async () => {
    const { dir: other } = await writeFakeReviewRun(join(tmp.dir, 'stop'));
    const store = await ReviewStore.open(await loadReviewRun(other));
    await store.setReviewed('tray', true);
    await store.idle();
    const s = await startReviewServer({ dir: other, fineTuneCli: (args) => ({ command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)', ...args] }) });
    await s.fineTune.start();
    expect(s.fineTune.status().state).toBe('running');
    await s.close();
    expect(s.fineTune.status()).toMatchObject({ state: 'failed', error: 'stopped by SIGTERM', model: null });
  });
});
