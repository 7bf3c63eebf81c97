import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type PngOptions } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryBudget } from '../../src/core/index.js';
import { readImage, readImageHeader, readImageSize, readInstancePng, writeFileAtomic, writeGray16Png, writeInstancePng } from '../../src/io/index.js';
import { errorLineOf } from '../helpers/errors.js';
import { pngDeclaring } from '../helpers/pngHeader.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});

/** A w×h raw image whose sample at (i, j, c) is (i * w + j) * channels + c, scaled into range. */
function ramp(w: number, h: number, channels: number, max: number): number[] {
  return Array.from({ length: w * h * channels }, (_, k) => (k * 37) % (max + 1));
}

describe('readImage', () => {
  it.each([
    ['grey 8-bit PNG', 1, 8, 'png'],
    ['RGB 8-bit PNG', 3, 8, 'png'],
    ['RGBA 8-bit PNG', 4, 8, 'png'],
    ['grey 16-bit PNG', 1, 16, 'png'],
    ['RGB 16-bit PNG', 3, 16, 'png'],
    ['RGB 8-bit TIFF', 3, 8, 'tiff'],
  ] as const)('%s keeps channels, depth and exact samples', async (_name, channels, depth, format) => {
    const w = 5;
    const h = 3;
    const values = ramp(w, h, channels, depth === 16 ? 65535 : 255);
    const input = depth === 16 ? new Uint16Array(values) : new Uint8Array(values);
    let img = sharp(input, { raw: { width: w, height: h, channels } });
    if (depth === 16) img = img.toColourspace(channels === 1 ? 'grey16' : 'rgb16');
    else if (channels === 1) img = img.toColourspace('b-w');
    const path = join(tmp.dir, `ramp-${channels}-${depth}.${format}`);
    await (format === 'png' ? img.png() : img.tiff({ compression: 'lzw' })).toFile(path);
    const r = await readImage(path);
    expect({ w: r.width, h: r.height, c: r.channels, d: r.depth }).toEqual({ w, h, c: channels, d: depth });
    expect(Array.from(r.data)).toEqual(values);
  });

  it('decodes JPEG and applies EXIF orientation (6 = rotate 90° clockwise)', async () => {
    const path = join(tmp.dir, 'rotated.jpg');
    // 4 wide × 2 high, left half black, right half white; orientation 6 displays it 2 wide × 4 high.
    const raw = new Uint8Array(4 * 2 * 3);
    for (let i = 0; i < 2; i++) for (let j = 2; j < 4; j++) raw.fill(255, (i * 4 + j) * 3, (i * 4 + j) * 3 + 3);
    await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(path);
    expect(await readImageSize(path)).toEqual({ width: 2, height: 4 });
    const r = await readImage(path);
    expect([r.width, r.height, r.channels, r.depth]).toEqual([2, 4, 3, 8]);
    // After a clockwise quarter turn the white half is at the bottom.
    expect(r.data[0]!).toBeLessThan(60);
    expect(r.data[(3 * 2 + 1) * 3]!).toBeGreaterThan(200);
  });

  it('refuses images over the pixel limit with the size and the fix', async () => {
    const path = join(tmp.dir, 'big.png');
    await sharp({ create: { width: 300, height: 200, channels: 3, background: '#000' } }).png().toFile(path);
    const line = await errorLineOf(() => readImage(path, { maxPixels: 50_000 }));
    expect(line).toMatch(/big\.png: the image is 300×200 = 60000 px, over the limit of 50000 px\. Fix: raise the limit with --max-pixels/);
  });

  it('names the file and the fix for corrupt and missing files', async () => {
    const path = join(tmp.dir, 'truncated.png');
    const good = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123' } }).png().toBuffer();
    await writeFile(path, good.subarray(0, 40));
    expect(await errorLineOf(() => readImage(path))).toBe(`${path}: cannot decode the image (the PNG file is truncated: it ends before its end-of-image marker). Fix: copy or export the file again (it was cut off, e.g. by an interrupted transfer)`);
    expect(await errorLineOf(() => readImage(join(tmp.dir, 'nope.png')))).toBe(`${join(tmp.dir, 'nope.png')}: image not found. Fix: check the path (and --images DIR for label files)`);
  });
});

describe('checked from the header, before decoding', () => {
  it('a 1e10-pixel bomb: the pixel limit and its flag, not "re-export if truncated"', async () => {
    const path = join(tmp.dir, 'bomb.png');
    await writeFile(path, pngDeclaring(100000, 100000));
    expect(await errorLineOf(() => readImage(path))).toBe(`${path}: the image is 100000×100000 = 10000000000 px, over the limit of 100000000 px. Fix: raise the limit with --max-pixels N if you trust the file`);
    expect(await errorLineOf(() => readImageSize(path))).toMatch(/over the limit of 100000000 px/);
  });

  it('a 10000×10000 bomb within the pixel limit is refused by the memory budget, with the estimate and the flag', async () => {
    const path = join(tmp.dir, 'bomb100mp.png');
    await writeFile(path, pngDeclaring(10000, 10000));
    const budget = memoryBudget({ maxMemory: 2e9 });
    expect(await errorLineOf(() => readImage(path, { budget }))).toBe(
      `${path}: the image is 10000×10000 px; to segment it needs about 5.95 GB (56 bytes per pixel + 350 MB), over the limit of 2 GB set by --max-memory. Fix: raise the limit with --max-memory SIZE (e.g. --max-memory 16G) on a machine that has it, or shrink the image`,
    );
    // Only the raster: 3 × 3 B/px + 4 B/px for the id map; still too large for 1 GB.
    expect(await errorLineOf(() => readInstancePng(path, { budget: memoryBudget({ maxMemory: 1e9 }), maxExpansion: Infinity }))).toMatch(/to read the instance map it needs about 1.65 GB \(13 bytes per pixel/);
  });

  it('decompression ratio: a maximally packed 10000² PNG (the issue\'s 97 kB bomb) is refused before decoding, naming the ratio, the limit and the flag', async () => {
    const path = join(tmp.dir, 'bomb-zeros.png');
    // 10000² zeros, 8-bit grey, zlib 9: deflate's ceiling (~1030:1), as the file.
    await sharp(Buffer.alloc(1e8), { raw: { width: 10000, height: 10000, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9 }).toFile(path);
    const { size } = await stat(path);
    expect(size).toBeGreaterThan(90_000);
    expect(size).toBeLessThan(100_000);
    const ratio = Math.round(1e8 / size);
    expect(await errorLineOf(() => readImage(path, { maxExpansion: 1000 }))).toBe(
      `${path}: the image is 10000×10000 px, 100 MB decoded from a file of ${(size / 1000).toFixed(1)} kB: it expands ${ratio}:1, over the limit of 1000:1 (a decompression bomb?); not decoded. Fix: if you trust the file, raise the limit with --max-expansion N (e.g. --max-expansion ${Math.ceil((1e8 / size) * 1.1)})`,
    );
    // Instance maps are held to 1100:1 (an empty 16-bit map reaches deflate's ceiling): this 8-bit one passes it.
    await expect(readInstancePng(path, { budget: memoryBudget({ maxMemory: 64e9 }) })).resolves.toMatchObject({ width: 10000, height: 10000 });
  }, 30_000);

  it('decompression ratio: real photos pass the default limit with room to spare, a 1-bit instance map of zeros does not pass 1100:1', async () => {
    const { DEFAULT_MAX_EXPANSION } = await import('../../src/core/index.js');
    for (const f of ['fixtures/demo/images/g01_001.jpg', 'fixtures/images/tray.jpg', 'fixtures/images/pebbles.png']) {
      const h = await readImageHeader(f);
      expect((h.width * h.height * h.channels) / h.fileBytes).toBeLessThan(DEFAULT_MAX_EXPANSION / 50);
      await expect(readImage(f, { maxExpansion: DEFAULT_MAX_EXPANSION })).resolves.toMatchObject({ width: h.width });
    }
    const path = join(tmp.dir, 'ids-1bit.png');
    await sharp(Buffer.alloc(4000 * 4000), { raw: { width: 4000, height: 4000, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9, palette: false, colours: 2, bitdepth: 1 } as PngOptions).toFile(path);
    expect(await errorLineOf(() => readInstancePng(path))).toMatch(/^.*ids-1bit\.png: the image is 4000×4000 px, 16 MB decoded from a file of .*: it expands \d+:1, over the limit of 1100:1 \(a decompression bomb\?\); not decoded\. Fix: if you trust the file, raise the limit with --max-expansion N/);
  });

  it('the header: size as displayed, channels, depth, format', async () => {
    const path = join(tmp.dir, 'grey16.png');
    await sharp(new Uint16Array(6 * 4), { raw: { width: 6, height: 4, channels: 1 } }).toColourspace('grey16').png().toFile(path);
    const { size } = await stat(path);
    expect(await readImageHeader(path)).toEqual({ width: 6, height: 4, channels: 1, bitsPerSample: 16, format: 'png', fileBytes: size, oriented: false });
  });

  it('several frames (animated GIF, multi-page TIFF): refused, never the first frame silently', async () => {
    const a = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } }).png().toBuffer();
    const b = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } }).png().toBuffer();
    const gif = join(tmp.dir, 'anim.gif');
    const tif = join(tmp.dir, 'pages.tif');
    await sharp([a, b], { join: { animated: true } }).gif().toFile(gif);
    await sharp([a, b, a], { join: { animated: true } }).tiff().toFile(tif);
    expect(await errorLineOf(() => readImage(gif))).toBe(`${gif}: the file holds 2 frames (an animated GIF); photosieve measures one photo per file and will not guess which frame. Fix: save the frame you want as its own PNG, JPEG or TIFF`);
    expect(await errorLineOf(() => readImageSize(tif))).toMatch(/pages\.tif: the file holds 3 frames \(a multi-page TIFF\)/);
    const single = join(tmp.dir, 'single.gif');
    await sharp(a).gif().toFile(single);
    expect((await readImage(single)).width).toBe(8);
  });

  it('a truncated JPEG says so, also when many decode at once (libvips then often loses its message)', async () => {
    const jpg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#468' } }).jpeg().toBuffer();
    const paths = await Promise.all(
      Array.from({ length: 12 }, async (_, k) => {
        const p = join(tmp.dir, `cut${k}.jpg`);
        await writeFile(p, jpg.subarray(0, Math.floor(jpg.length * (0.3 + k / 30))));
        return p;
      }),
    );
    const lines = await Promise.all(paths.map((p) => errorLineOf(() => readImage(p))));
    expect(lines).toEqual(paths.map((p) => `${p}: cannot decode the image (the JPEG file is truncated: it ends before its end-of-image marker). Fix: copy or export the file again (it was cut off, e.g. by an interrupted transfer)`));
  });

  it('not an image at all: the header cannot be read, and the fix says what is read', async () => {
    const path = await tmp.write('notes.png', 'just some text');
    expect(await errorLineOf(() => readImage(path))).toBe(`${path}: cannot decode the image (its header cannot be read: Input file contains unsupported image format). Fix: pass a JPEG, PNG, TIFF or WebP file (this one is not an image sharp can read)`);
  });
});

describe('16-bit instance PNGs', () => {
  it('round-trip ids above 255 exactly', async () => {
    const path = join(tmp.dir, 'ids.png');
    const data = new Int32Array([0, 1, 255, 256, 1000, 65535]);
    await writeInstancePng(path, { width: 3, height: 2, data });
    const back = await readInstancePng(path);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    const meta = await sharp(path).metadata();
    expect([meta.channels, meta.depth]).toEqual([1, 'ushort']);
  });

  it('refuses more particles than a 16-bit PNG holds, and writes nothing', async () => {
    const path = join(tmp.dir, 'too-many.png');
    const line = await errorLineOf(() => writeInstancePng(path, { width: 1, height: 1, data: new Int32Array([65536]) }));
    expect(line).toMatch(/too-many\.png: instance id 65536 does not fit a 16-bit PNG .*Fix: split the image/);
    expect(await readdir(tmp.dir)).not.toContain('too-many.png');
  });

  it('refuses a colour image as an instance map', async () => {
    const path = join(tmp.dir, 'colour.png');
    await sharp({ create: { width: 2, height: 2, channels: 3, background: '#f00' } }).png().toFile(path);
    expect(await errorLineOf(() => readInstancePng(path))).toMatch(/must have one channel.*Fix: save instance ids as a single-channel 16-bit PNG/);
  });

  it('checks the data length', async () => {
    expect(await errorLineOf(() => writeGray16Png(join(tmp.dir, 'x.png'), 2, 2, new Uint16Array(3)))).toMatch(/data\.length must be width × height = 4, received 3/);
  });
});

describe('atomic writes', () => {
  it('leaves no temporary file behind and replaces the target whole', async () => {
    const path = join(tmp.dir, 'atomic', 'a.json');
    await writeFileAtomic(path, 'first');
    await writeFileAtomic(path, 'second');
    expect(await readFile(path, 'utf8')).toBe('second');
    expect(await readdir(join(tmp.dir, 'atomic'))).toEqual(['a.json']);
  });
});
