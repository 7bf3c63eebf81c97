// The memory budget: estimates from a header, the budget from the machine or the flag, the refusal's one line.
import { describe, expect, it } from 'vitest';
import {
  ANNOTATE_BYTES_PER_PIXEL,
  PROCESS_BASE_BYTES,
  WORKER_BASE_BYTES,
  checkMemory,
  checkPixels,
  estimateAnnotateMemory,
  estimateDecodeMemory,
  estimateSegmentMemory,
  formatBytes,
  memoryBudget,
  parseMemorySize,
  workersWithinBudget,
} from '../../src/core/index.js';
import { errorLineOf } from '../helpers/errors.js';

const GB = 1e9;
const machine = (total: number, free: number, extra: { constrained?: number; rss?: number } = {}): { total: number; free: number; constrained?: number; rss?: number } => ({ total, free, ...extra });

describe('estimates', () => {
  it('segment: the largest stage, per pixel, from channels and depth', () => {
    // 8-bit RGB, model unknown (4 classes with a pyramid): 4 + 16 + 4 + 32 = 56 B/px at the fusion.
    expect(estimateSegmentMemory({ width: 1000, height: 1000 })).toEqual({ bytes: 56e6, pixels: 1e6, bytesPerPixel: 56, what: 'segment' });
    // The default model (3 classes, one scale): the instance stage, 3 + 43 = 46 B/px.
    expect(estimateSegmentMemory({ width: 1000, height: 1000, channels: 3 }, { classes: 3, multiscale: false }).bytesPerPixel).toBe(46);
    // 16-bit RGBA: the raster is 8 B/px; decode holds three of them (24), the instance stage 8 + 43.
    expect(estimateSegmentMemory({ width: 10, height: 10, channels: 4, bitsPerSample: 16 }, { classes: 3, multiscale: false }).bytesPerPixel).toBe(51);
    // The bomb: 10000×10000 RGB with the default model.
    expect(formatBytes(estimateSegmentMemory({ width: 10000, height: 10000 }, { classes: 3, multiscale: false }).bytes)).toBe('4.6 GB');
  });

  it('annotate and decode', () => {
    expect(estimateAnnotateMemory({ width: 30000, height: 30000 }).bytes).toBe(9e8 * ANNOTATE_BYTES_PER_PIXEL);
    expect(estimateDecodeMemory({ width: 100, height: 100, channels: 1, bitsPerSample: 16 })).toMatchObject({ bytes: 60000, bytesPerPixel: 6 });
  });
});

describe('the budget', () => {
  it('--max-memory replaces the machine', () => {
    expect(memoryBudget({ maxMemory: 2 * GB, machine: machine(64 * GB, 60 * GB) })).toEqual({ limitBytes: 2 * GB, source: 'flag', totalBytes: 64 * GB, availableBytes: 60 * GB });
  });

  it('the machine: 80 % of the smaller of physical (or cgroup) memory and what is available plus this process', () => {
    expect(memoryBudget({ machine: machine(16 * GB, 4 * GB, { rss: 1 * GB }) }).limitBytes).toBe(4 * GB);
    expect(memoryBudget({ machine: machine(16 * GB, 16 * GB) }).limitBytes).toBe(12.8 * GB);
    expect(memoryBudget({ machine: machine(16 * GB, 16 * GB, { constrained: 2 * GB }) })).toMatchObject({ limitBytes: 1.6 * GB, totalBytes: 2 * GB });
    // No cgroup limit: Node reports 2^64.
    expect(memoryBudget({ machine: machine(16 * GB, 16 * GB, { constrained: 2 ** 64 }) }).totalBytes).toBe(16 * GB);
  });

  it('parses sizes; refuses nonsense with the flag named', async () => {
    expect(['4G', '1500M', '2GiB', '3e9', '512 mb', '10KiB'].map((s) => parseMemorySize(s))).toEqual([4e9, 1.5e9, 2 ** 31, 3e9, 512e6, 10240]);
    expect(await errorLineOf(() => parseMemorySize('lots'))).toBe('--max-memory must be a size such as 4G, 1500M or 2GiB, received "lots". Fix: e.g. --max-memory 4G');
    expect(await errorLineOf(() => parseMemorySize('0'))).toMatch(/^--max-memory must be a size/);
    expect(await errorLineOf(() => parseMemorySize('-1G'))).toMatch(/^--max-memory must be a size/);
  });
});

describe('the check', () => {
  it('passes what fits, refuses with the file, size, estimate, limit and flag', async () => {
    const budget = memoryBudget({ maxMemory: 2 * GB, machine: machine(8 * GB, 8 * GB) });
    const small = { width: 1000, height: 1000 };
    expect(() => checkMemory(estimateSegmentMemory(small), budget, small, { file: 'a.png' })).not.toThrow();
    const bomb = { width: 10000, height: 10000 };
    expect(await errorLineOf(() => checkMemory(estimateSegmentMemory(bomb), budget, bomb, { file: 'bomb.png' }))).toBe(
      'bomb.png: the image is 10000×10000 px; to segment it needs about 5.95 GB (56 bytes per pixel + 350 MB), over the limit of 2 GB set by --max-memory. Fix: raise the limit with --max-memory SIZE (e.g. --max-memory 16G) on a machine that has it, or shrink the image',
    );
    const auto = memoryBudget({ machine: machine(4 * GB, 4 * GB) });
    expect(await errorLineOf(() => checkMemory(estimateSegmentMemory(bomb), auto, bomb, { file: 'bomb.png' }))).toMatch(/over the memory budget of 3.2 GB \(80 % of the 4 GB available\)\. Fix: raise the limit with --max-memory/);
  });

  it('pixels: the size, the limit and the flag', async () => {
    expect(await errorLineOf(() => checkPixels({ width: 100000, height: 100000 }, 100_000_000, { file: 'b.png' }))).toBe(
      'b.png: the image is 100000×100000 = 10000000000 px, over the limit of 100000000 px. Fix: raise the limit with --max-pixels N if you trust the file',
    );
  });
});

describe('workers within the budget (for the batch runner)', () => {
  const image = estimateSegmentMemory({ width: 10000, height: 10000 }, { classes: 3, multiscale: false });
  it('shrinks the requested count to what fits, 0 workers when not even one does', () => {
    const budget = (gb: number): ReturnType<typeof memoryBudget> => memoryBudget({ maxMemory: gb * GB, machine: machine(64 * GB, 64 * GB) });
    // 4.6 GB per image + 0.2 GB per worker, 0.35 GB for the process.
    expect(workersWithinBudget(image, budget(20), 8)).toEqual({ workers: 4, fits: true });
    expect(workersWithinBudget(image, budget(20), 2)).toEqual({ workers: 2, fits: true });
    expect(workersWithinBudget(image, budget(2), 2)).toEqual({ workers: 0, fits: false });
    expect(workersWithinBudget(image, budget(5), 0)).toEqual({ workers: 0, fits: true });
    expect(workersWithinBudget(image, budget(4), 0)).toEqual({ workers: 0, fits: false });
    expect(PROCESS_BASE_BYTES + 4 * (image.bytes + WORKER_BASE_BYTES)).toBeLessThanOrEqual(20 * GB);
  });
});

describe('strips: the estimate and the choice (pipeline/memoryPlan.ts)', async () => {
  const { estimateStripMemory, STRIP_BYTES } = await import('../../src/core/index.js');
  const { segmentWay } = await import('../../src/pipeline/memoryPlan.js');
  const model = { classes: 3, multiscale: false };
  const header = (width: number, height: number): Parameters<typeof segmentWay>[0] => ({ width, height, channels: 3, bitsPerSample: 8, format: 'jpeg', fileBytes: 1e7, oriented: false });
  const input = (limit: number) => ({ budget: memoryBudget({ maxMemory: limit }), model, stripMargin: () => 256, tileContext: 256, overlay: true, roi: false });

  it('estimate: the photo-sized arrays that stay plus one strip, or the writing stage, whichever is larger', () => {
    expect(STRIP_BYTES).toEqual({ instances: 4, overlay: 3, roi: 1, outputs: 14 });
    // 10000² with 4000-row strips: 7 B/px × 1e8 + 46 B/px × 10000 × 4000 = 700 MB + 1.84 GB; writing: 21 B/px = 2.1 GB.
    expect(estimateStripMemory({ width: 10000, height: 10000, channels: 3 }, 4000, model)).toEqual({ bytes: 2.54e9, pixels: 1e8, bytesPerPixel: 25.4, what: 'segment in strips of 4000 rows' });
    // 1200-row strips: 700 MB + 552 MB < the writing stage's 2.1 GB.
    expect(estimateStripMemory({ width: 10000, height: 10000, channels: 3 }, 1200, model).bytes).toBe(2.1e9);
    // No overlay, an ROI: 5 B/px held; writing 19 B/px.
    expect(estimateStripMemory({ width: 10000, height: 10000, channels: 3 }, 1200, { ...model, overlay: false, roi: true }).bytes).toBe(1.9e9);
    // A photo EXIF turns is decoded whole by libvips for every strip: + 3 rasters (900 MB).
    expect(estimateStripMemory({ width: 10000, height: 10000, channels: 3 }, 4000, { ...model, oriented: true }).bytes).toBe(2.54e9 + 9e8);
    // Tile context rows are decoded only (3 rasters of 3 B/px).
    expect(estimateStripMemory({ width: 10000, height: 10000, channels: 3 }, 4000, { ...model, contextRows: 512 }).bytes).toBe(2.54e9 + 9 * 10000 * 512);
    // Against the whole photo: 46 B/px = 4.6 GB.
    expect(estimateSegmentMemory({ width: 10000, height: 10000, channels: 3 }, model).bytes).toBe(4.6e9);
  });

  it('above 40 MP always strips; at 24 MP whole while it fits, strips when it does not, refused when neither fits', () => {
    const base = PROCESS_BASE_BYTES + WORKER_BASE_BYTES;
    // 100 MP, a budget that holds it whole (20 GB): strips anyway (the threshold).
    const big = segmentWay(header(10000, 10000), input(20 * GB), base);
    // 16e6 / 10000 = 1600 rows per strip − 512 → cores of 1088 (a multiple of 16): 10 strips.
    expect(big.strips?.strips.length).toBe(10);
    expect(big.strips?.margin).toBe(256);
    expect(big.strips?.strips[1]).toEqual({ core: [1088, 2176], rows: [832, 2432] });
    // Strips: 7 B/px held (700 MB) + 1600 rows × 46 B/px (736 MB) + 512 context rows decoded (46 MB); writing 21 B/px.
    expect(big.estimate).toEqual({ bytes: 2.1e9, pixels: 1e8, bytesPerPixel: 21, what: 'segment in strips of 1600 rows' });
    // 24 MP fits whole in 4 GB (46 B/px = 1.1 GB): whole, as before.
    expect(segmentWay(header(6000, 4000), input(4 * GB), base)).toEqual({ estimate: estimateSegmentMemory(header(6000, 4000), model) });
    // 24 MP in 1.5 GB: whole needs 1.1 GB + 550 MB fixed cost: strips (the writing stage, 21 B/px: 504 MB).
    const tight = segmentWay(header(6000, 4000), input(1.5 * GB), base);
    expect(tight.strips?.strips.length).toBe(2);
    expect(tight.estimate.bytes + base).toBeLessThan(1.5 * GB);
    // Refused where even strips do not fit: checkMemory gives the strip estimate's line.
    const none = segmentWay(header(6000, 4000), input(0.6 * GB), base);
    expect(none.strips).toBeDefined();
    expect(() => checkMemory(none.estimate, memoryBudget({ maxMemory: 0.6 * GB }), header(6000, 4000), { baseBytes: base })).toThrow(
      /^the image is 6000×4000 px; to segment in strips of 2400 rows it needs about [\d.]+ GB \(\d+ bytes per pixel \+ 550 MB\), over the limit of 600 MB set by --max-memory\.$/,
    );
    // One strip would hold the whole photo: no strips.
    expect(segmentWay(header(100, 100), input(0.1 * GB), base).strips).toBeUndefined();
  });
});
