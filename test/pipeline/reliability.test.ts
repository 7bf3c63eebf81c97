// Issue 15 in the batch runner: --truth and --scales checked through one matcher before any image runs (names with
// subfolders), inputs that are not regular files reported by name, the overwrite guard on real paths, the memory
// plan (--max-memory: fewer workers, or a photo refused), and a real full disk (a small tmpfs, where mounting is
// allowed).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import fg from 'fast-glob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStemTable } from '../../src/core/index.js';
import { readRunFile, runJsonSchema } from '../../src/pipeline/index.js';
import { captureAll, resetCliAfterEach } from '../helpers/cli.js';
import { errorLineOf } from '../helpers/errors.js';
import { pngDeclaring } from '../helpers/pngHeader.js';
import { tempDir } from '../helpers/tmp.js';
import { writeDiscPhoto } from './helpers.js';

resetCliAfterEach();
let tmp: Awaited<ReturnType<typeof tempDir>>;
let survey: string;

beforeAll(async () => {
  tmp = await tempDir();
  survey = join(tmp.dir, 'survey');
  for (const d of ['site-a', 'site-b']) await mkdir(join(survey, d), { recursive: true });
  await writeDiscPhoto(join(survey, 'top.png'), 64, 48, 1);
  await writeDiscPhoto(join(survey, 'site-a', 'IMG_1.png'), 64, 48, 2);
  await writeDiscPhoto(join(survey, 'site-b', 'IMG_1.png'), 64, 48, 3);
});

const classical = ['--model', 'classical', '--workers', '0', '--overlays', 'none', '-q'];
const failedLines = (err: string): string[] => err.split('\n').filter((l) => / failed: /.test(l));

describe('one matcher for --truth and --scales (core/stemTable.ts), names with subfolders', () => {
  const rows = (names: string[]) => names.map((name, k) => ({ name, line: k + 2, value: k }));

  it('a name with its folders wins; a bare stem fits a photo in any folder when no other photo claims it; ambiguity is listed', () => {
    const t = createStemTable(rows(['site-a/IMG_1', 'IMG_1.jpg', 'top', 'site-c\\x.png']), 't.csv');
    const m = t.matchAll(['site-a/IMG_1.png', 'site-b/IMG_1.png', 'top.png', 'site-c/x.png']);
    expect(m.matched.map((x) => [x.photo, x.row.name])).toEqual([
      ['site-a/IMG_1.png', 'site-a/IMG_1'],
      ['site-b/IMG_1.png', 'IMG_1.jpg'],
      ['top.png', 'top'],
      ['site-c/x.png', 'site-c\\x.png'],
    ]);
    // The bare row with two photos in other folders: neither gets it.
    const bare = createStemTable(rows(['IMG_1']), 'b.csv').matchAll(['site-a/IMG_1.png', 'site-b/IMG_1.png']);
    expect([bare.matched, bare.ambiguous]).toEqual([
      [],
      [
        { photo: 'site-a/IMG_1.png', rows: ['IMG_1'] },
        { photo: 'site-b/IMG_1.png', rows: ['IMG_1'] },
      ],
    ]);
    // A row with a folder never fits a photo of another folder; two folders' rows for one stem are two photos.
    const other = createStemTable(rows(['site-a/IMG_1', 'site-b/IMG_1']), 'o.csv').matchAll(['site-c/IMG_1.png', 'site-b/IMG_1.png']);
    expect([other.missing, other.matched.map((x) => x.row.name)]).toEqual([['site-c/IMG_1.png'], ['site-b/IMG_1']]);
  });

  const truthCsv = (rows: string[]): string => `image,group,fine,mid,coarse\n${rows.join('\n')}\n`;

  it('--truth is read and matched before any image: a missing file, a bad row or an ambiguous row is one line and nothing is written', async () => {
    const out = join(tmp.dir, 'truth-bad');
    const argv = (truth: string): string[] => ['segment', survey, '--recursive', '--out', out, '--bins', '8,16', '--bins-px', '--truth', truth, ...classical];
    expect(await errorLineOf(() => captureAll(argv(join(tmp.dir, 'absent.csv'))))).toBe(`${join(tmp.dir, 'absent.csv')}: CSV file not found. Fix: check the path`);
    const sum = await tmp.write('truth-sum.csv', truthCsv(['top,A,0.5,0.2,0.1']));
    expect(await errorLineOf(() => captureAll(argv(sum)))).toBe(`${sum}: row 2 (top) sums to 0.8000, not 1. Fix: normalize each row to mass fractions that sum to 1`);
    const ambiguous = await tmp.write('truth-amb.csv', truthCsv(['IMG_1,A,0.2,0.3,0.5', 'top,A,0.2,0.3,0.5']));
    expect(await errorLineOf(() => captureAll(argv(ambiguous)))).toBe(
      `${ambiguous}: the truth table does not say which row belongs to 2 photo(s): site-a/IMG_1 (rows IMG_1), site-b/IMG_1 (rows IMG_1). Fix: name those photos as in the outputs, with their folders (site-a/IMG_1), or by their full file name`,
    );
    const bins = await tmp.write('truth-bins.csv', 'image,group,fine,coarse\ntop,A,0.5,0.5\n');
    expect(await errorLineOf(() => captureAll(argv(bins)))).toMatch(/truth-bins\.csv: the truth table has 2 bins, the batch 3 \(/);
    expect(existsSync(out)).toBe(false);
  });

  it('--truth and --scales give the same photos the same rows: folder names first, then unambiguous bare stems', async () => {
    const out = join(tmp.dir, 'truth-ok');
    const truth = await tmp.write('truth-ok.csv', truthCsv(['site-a/IMG_1,A,0.2,0.3,0.5', 'IMG_1.png,A,0.1,0.1,0.8', 'top,B,1,0,0', 'elsewhere,B,0,0,1']));
    const scales = await tmp.write('scales-ok.csv', 'image,mm_per_px\nsite-a/IMG_1,0.2\nIMG_1.png,0.5\ntop,0.1\n');
    const r = await captureAll(['segment', survey, '--recursive', '--out', out, '--scales', scales, '--bins', '1,2', '--truth', truth, ...classical]);
    expect(r.exitCode, r.err).toBe(0);
    const run = await readRunFile(runJsonSchema, join(out, 'run.json'), 'run.json', '');
    expect(run.images.map((im) => [im.name, im.scale])).toEqual([
      ['site-a/IMG_1', 0.2],
      ['site-b/IMG_1', 0.5],
      ['top', 0.1],
    ]);
    expect(run.measure!.images.map((im) => [im.image, im.truth])).toEqual([
      ['site-a/IMG_1', [0.2, 0.3, 0.5]],
      ['site-b/IMG_1', [0.1, 0.1, 0.8]],
      ['top', [1, 0, 0]],
    ]);
  });
});

describe('inputs that are not photos', () => {
  let mixed: string;
  let socketClosed: () => Promise<void>;
  beforeAll(async () => {
    mixed = join(tmp.dir, 'mixed');
    await mkdir(join(mixed, 'x.jpg'), { recursive: true });
    await writeDiscPhoto(join(mixed, 'a.png'), 64, 48, 4);
    await writeDiscPhoto(join(mixed, 'x.jpg', 'inner.png'), 64, 48, 5);
    execFileSync('mkfifo', [join(mixed, 'pipe.png')]);
    const server = createServer();
    await new Promise<void>((done) => server.listen(join(mixed, 'sock.tif'), done));
    socketClosed = () => new Promise<void>((done) => server.close(() => done()));
  });
  afterAll(async () => socketClosed());

  it('a FIFO, a socket, a device and a folder called x.jpg found in a folder are each one line; the photo is processed; exit 1, no hang', async () => {
    const out = join(tmp.dir, 'mixed-out');
    const r = await captureAll(['segment', mixed, '/dev/null', '--out', out, ...classical]);
    expect(r.exitCode).toBe(1);
    expect(failedLines(r.err)).toEqual([
      `segment: [1/5] failed: ${join(mixed, 'pipe.png')}: is a FIFO (named pipe), not an image: not read. Fix: copy the image into a regular file first, or leave it out`,
      `segment: [2/5] failed: ${join(mixed, 'sock.tif')}: is a socket, not an image: not read. Fix: copy the image into a regular file first, or leave it out`,
      `segment: [3/5] failed: ${join(mixed, 'x.jpg')}: is a folder, not an image: not read. Fix: name it as a folder argument of its own to read the photos inside it, or rename it`,
      'segment: [4/5] failed: /dev/null: is a character device, not an image: not read. Fix: copy the image into a regular file first, or leave it out',
    ]);
    expect(r.out).toMatch(/5 image\(s\): 1 done, 0 skipped .*, 4 failed/);
    expect(existsSync(join(out, 'instances', 'a.png'))).toBe(true);
  });

  it('matched by a glob, x.jpg is reported; named as a folder argument, it is a folder', async () => {
    const glob = await captureAll(['segment', join(mixed, '*.jpg'), '--out', join(tmp.dir, 'glob-out'), ...classical]);
    expect(glob.exitCode).toBe(1);
    expect(failedLines(glob.err)).toEqual([`segment: [1/1] failed: ${join(mixed, 'x.jpg')}: is a folder, not an image: not read. Fix: name it as a folder argument of its own to read the photos inside it, or rename it`]);
    process.exitCode = undefined;
    const folder = await captureAll(['segment', join(mixed, 'x.jpg'), '--out', join(tmp.dir, 'folder-out'), ...classical]);
    expect(folder.exitCode, folder.err).toBe(0);
    expect(existsSync(join(tmp.dir, 'folder-out', 'instances', 'inner.png'))).toBe(true);
  });

  it('the overwrite guard compares real paths: an --out that links to the photos\' folder cannot write over a photo', async () => {
    const data = join(tmp.dir, 'data');
    await mkdir(join(data, 'instances'), { recursive: true });
    const photo = await writeDiscPhoto(join(data, 'instances', 'p.png'), 64, 48, 6);
    const before = await readFile(photo);
    const link = join(tmp.dir, 'data-link');
    await symlink(data, link);
    const r = await captureAll(['segment', photo, '--out', link, ...classical]);
    expect(r.exitCode).toBe(1);
    expect(failedLines(r.err)).toEqual([`segment: [1/1] failed: ${photo}: is inside the output folder (${link} leads to ${data}) and would be overwritten. Fix: choose another --out`]);
    expect(await readFile(photo)).toEqual(before);
  });
});

describe('--max-memory: every header is read before the workers start', () => {
  let bombs: string;
  beforeAll(async () => {
    // Two "bombs": 200-byte PNGs whose headers say 8000×8000 (64 MP, above the strip threshold: in strips, about
    // 1.15 GB each to segment classically without overlays). --max-expansion lets their ratio through.
    bombs = join(tmp.dir, 'bombs');
    await mkdir(bombs);
    for (const n of ['bomb1', 'bomb2']) await writeFile(join(bombs, `${n}.png`), pngDeclaring(8000, 8000));
    await writeDiscPhoto(join(bombs, 'small.png'), 64, 48, 7);
  });
  const argv = (out: string, memory: string): string[] => ['segment', bombs, '--out', join(tmp.dir, out), '--model', 'classical', '--workers', '2', '--overlays', 'none', '--max-memory', memory, '--max-expansion', '1e12'];

  it('photos that cannot fit even alone, even in strips, are refused with the limit and the flag; the others run', async () => {
    const r = await captureAll(argv('mem-refused', '1.5G'));
    expect(r.exitCode).toBe(1);
    const line = (n: string): string =>
      `${join(bombs, `${n}.png`)}: the image is 8000×8000 px; to segment in strips of 2000 rows it needs about 1.7 GB (18 bytes per pixel + 550 MB), over the limit of 1.5 GB set by --max-memory. Fix: raise the limit with --max-memory SIZE (e.g. --max-memory 16G) on a machine that has it, or shrink the image`;
    expect(failedLines(r.err)).toEqual([`segment: [1/3] failed: ${line('bomb1')}`, `segment: [2/3] failed: ${line('bomb2')}`]);
    expect(r.out).toMatch(/3 image\(s\): 1 done, 0 skipped .*, 2 failed; .* with 1 worker\(s\)/);
  });

  it('photos that fit one at a time but not two at once run with fewer workers, and a note says why', async () => {
    const r = await captureAll(argv('mem-one', '2.5G'));
    expect(r.err).toContain(
      'note: memory: 1 worker(s) instead of 2: the largest photo, bomb1 (8000×8000 px), needs about 1.35 GB per worker in 6 strips within --max-memory 2.5 GB (raise it with --max-memory SIZE where the machine has it)',
    );
    expect(r.out).toMatch(/with 1 worker\(s\)/);
    // They then fail to decode (their data ends after one row): each is named, the small photo is done.
    expect(failedLines(r.err).map((l) => l.replace(/: cannot decode.*/, ''))).toEqual([`segment: [1/3] failed: ${join(bombs, 'bomb1.png')}`, `segment: [2/3] failed: ${join(bombs, 'bomb2.png')}`].map((l) => l));
  });
});

describe('a real full disk (a 1 MB tmpfs)', () => {
  const mountPoint = join(process.env.TMPDIR ?? '/tmp', `photosieve-tmpfs-${process.pid}`);
  let mounted = false;
  beforeAll(async () => {
    await mkdir(mountPoint, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
      mounted = true;
    } catch {
      console.warn('[skip] a real full disk: `mount -t tmpfs` is not allowed here (the injected ENOSPC tests in faults.test.ts still run)');
    }
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', ['-l', mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('every image fails with ENOSPC named, run.json\'s line says it could not be written, no .tmp; with space again the rerun completes', async (ctx) => {
    if (!mounted) ctx.skip();
    const out = join(mountPoint, 'out');
    await mkdir(out);
    // Fill the disk: what fits of a 2 MB file stays.
    await writeFile(join(mountPoint, 'filler'), Buffer.alloc(2 << 20)).catch((err: NodeJS.ErrnoException) => expect(err.code).toBe('ENOSPC'));
    const argv = ['segment', survey, '--recursive', '--out', out, '--bins', '8,16', '--bins-px', ...classical];
    const r = await captureAll(argv);
    expect(r.exitCode).toBe(1);
    const failed = failedLines(r.err);
    expect(failed).toHaveLength(3);
    for (const l of failed) expect(l).toMatch(/: could not be written: the disk is full \(ENOSPC\)\. Fix: free space/);
    expect(r.err).toMatch(/^error: .*run\.json: could not be written: the disk is full \(ENOSPC\): the failures above are not on record\./m);
    expect(await fg('**/*.tmp', { cwd: out, dot: true })).toEqual([]);
    await rm(join(mountPoint, 'filler'));
    process.exitCode = undefined;
    const again = await captureAll(argv);
    expect(again.exitCode, again.err).toBe(0);
    const run = await readRunFile(runJsonSchema, join(out, 'run.json'), 'run.json', '');
    expect(run.counts).toEqual({ done: 3, skipped: 0, failed: 0 });
  });
});
