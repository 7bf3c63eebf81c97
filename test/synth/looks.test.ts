// synth's looks: each renders the same bytes for the same seed, labels that agree with the instance map pixel for
// pixel, the coverage, size range and label identity each look promises, dry unchanged, and clear refusals.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CocoExport } from '../../src/annotate/index.js';
import { fillMultiPolygon } from '../../src/annotate/index.js';
import { PhotosieveError } from '../../src/core/index.js';
import { synthCommand } from '../../src/cli/synth.js';
import { readInstancePng } from '../../src/io/index.js';
import type { LookName, SynthOptions } from '../../src/synth/index.js';
import {
  LOOKS,
  LOOK_NAMES,
  NATURAL_SEDIMENT,
  createRandom,
  sedimentColour,
  makeParticleShape,
  resolveLooks,
  runSynth,
  sampleParticleSizes,
  validateSynthOptions,
} from '../../src/synth/index.js';

const W = 192;
const H = 160;
const small: Omit<SynthOptions, 'outDir'> = { vector: [0.1, 0.2, 0.3, 0.25, 0.15], width: W, height: H, scaleMmPerPx: 0.25, seed: 5 };

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  const files = await listFiles(a);
  if (files.join('\n') !== (await listFiles(b)).join('\n')) return false;
  for (const f of files) if (Buffer.compare(await readFile(join(a, f)), await readFile(join(b, f))) !== 0) return false;
  return true;
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'photosieve-looks-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Stone pixels / frame pixels, and every id 1…N present. */
async function checkLabels(out: string): Promise<{ coverage: number; instances: number }> {
  const coco = JSON.parse(await readFile(join(out, 'annotations.json'), 'utf8')) as CocoExport;
  const map = await readInstancePng(join(out, 'instances/g01_001.png'));
  const anns = coco.annotations;
  const ids = new Set(anns.map((a) => a.instance_id));
  const fromCoco = new Int32Array(W * H);
  for (const ann of anns) {
    for (const flat of ann.segmentation) {
      const ring: [number, number][] = [];
      for (let k = 0; k < flat.length; k += 2) {
        const [x, y] = [flat[k]!, flat[k + 1]!];
        expect(x >= 0 && x <= W && y >= 0 && y <= H, `vertex ${x},${y}`).toBe(true);
        ring.push([x, y]);
      }
      fillMultiPolygon([[ring]], W, H, fromCoco, ann.instance_id);
    }
  }
  const area = new Map<number, number>();
  let mismatches = 0;
  for (let p = 0; p < W * H; p++) {
    const id = map.data[p]!;
    if (id !== fromCoco[p]) mismatches += 1;
    if (id > 0) area.set(id, (area.get(id) ?? 0) + 1);
  }
  expect(mismatches).toBe(0);
  // Every labelled stone owns pixels, and ids run 1…N without gaps.
  expect([...area.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: ids.size }, (_, k) => k + 1));
  let stone = 0;
  for (const v of area.values()) stone += v;
  return { coverage: stone / (W * H), instances: ids.size };
}

describe('every look', () => {
  const coverage = new Map<LookName, number>();
  it.each(LOOK_NAMES.filter((n) => n !== 'wide'))('%s: same bytes for the same seed, labels exact', async (look) => {
    const a = join(root, `${look}-a`);
    const b = join(root, `${look}-b`);
    await runSynth({ ...small, outDir: a, look });
    await runSynth({ ...small, outDir: b, look, format: 'png' });
    expect(await sameBytes(a, b)).toBe(true);
    const { coverage: c, instances } = await checkLabels(a);
    expect(instances).toBeGreaterThan(5);
    coverage.set(look, c);
    if (look !== 'dry') {
      const dry = await readFile(join(root, 'dry-a/images/g01_001.png'));
      expect(Buffer.compare(dry, await readFile(join(a, 'images/g01_001.png'))), 'a look changes the picture').not.toBe(0);
    }
  });

  it('matrix and paper lay stones sparsely: lower coverage than dry', () => {
    expect(coverage.get('matrix')!).toBeLessThan(0.6 * coverage.get('dry')!);
    expect(coverage.get('paper')!).toBeLessThan(coverage.get('dry')!);
    expect(coverage.get('heldout')!).toBeLessThan(0.75 * coverage.get('dry')!);
  });

  it('looks that only paint (wet, textured, shadowed, backgrounds) keep dry’s labels: texture is never a boundary', async () => {
    const dry = await readFile(join(root, 'dry-a/instances/g01_001.png'));
    const dryLabels = await readFile(join(root, 'dry-a/labels/g01_001.json'));
    for (const look of ['wet', 'textured', 'shadowed', 'dark-matrix', 'pale-matrix'] as const) {
      expect(Buffer.compare(dry, await readFile(join(root, `${look}-a/instances/g01_001.png`))), look).toBe(0);
      expect(Buffer.compare(dryLabels, await readFile(join(root, `${look}-a/labels/g01_001.json`))), look).toBe(0);
    }
  });

  it('records the look in groups.json, and that heldout is not for training', async () => {
    const read = async (look: string): Promise<{ options: { look?: string[]; look_for_training?: boolean } }> =>
      JSON.parse(await readFile(join(root, `${look}-a/groups.json`), 'utf8')) as { options: { look?: string[]; look_for_training?: boolean } };
    expect((await read('dry')).options.look).toBeUndefined();
    expect((await read('matrix')).options).toMatchObject({ look: ['matrix'], look_for_training: true });
    expect((await read('heldout')).options).toMatchObject({ look: ['heldout'], look_for_training: false });
  });
});

describe('dry', () => {
  it('is the default: look dry writes the same bytes as no look', async () => {
    const a = join(root, 'default');
    const b = join(root, 'explicit-dry');
    await runSynth({ ...small, outDir: a, format: 'jpg', circle: true });
    await runSynth({ ...small, outDir: b, format: 'jpg', circle: true, look: ['dry'] });
    expect(await sameBytes(a, b)).toBe(true);
  });
});

describe('combinations', () => {
  it('are the same whatever the order of the names', async () => {
    const a = join(root, 'mw');
    const b = join(root, 'wm');
    await runSynth({ ...small, outDir: a, look: ['matrix', 'wet', 'angular'] });
    await runSynth({ ...small, outDir: b, look: ['angular', 'wet', 'matrix'] });
    expect(await sameBytes(a, b)).toBe(true);
    await checkLabels(a);
  });

  it('let explicit options override a look’s defaults', () => {
    expect(validateSynthOptions({ outDir: 'x', look: 'matrix' }).coverage).toBe(0.45);
    expect(validateSynthOptions({ outDir: 'x', look: 'matrix', coverage: 0.8 }).coverage).toBe(0.8);
    expect(validateSynthOptions({ outDir: 'x', look: ['shadowed'] }).lightElevationDeg).toBe(16);
  });

  it('only heldout is marked as not for training', () => {
    expect(LOOK_NAMES.filter((n) => !LOOKS[n].forTraining)).toEqual(['heldout']);
  });
});

describe('wide', () => {
  it('spans ≥ 20× in b-axis with fines and boulders both numerous on a 1500 px frame', () => {
    const o = validateSynthOptions({ outDir: 'x', look: 'wide' });
    // Boulders come from the mass share of the top bin (the sieve's truth is not bent): 40 % gives ten > 150 px.
    const sizes = sampleParticleSizes(createRandom(3), [0.1, 0.1, 0.15, 0.25, 0.4], {
      boundsPx: o.boundsPx,
      frameAreaPx: 1500 * 1500,
      coverage: o.coverage,
    });
    const b = sizes.particles.map((p) => p.bPx);
    expect(Math.max(...b) / Math.min(...b)).toBeGreaterThanOrEqual(20);
    expect(b.filter((x) => x < 16).length).toBeGreaterThan(200);
    expect(b.filter((x) => x > 150).length).toBeGreaterThanOrEqual(5);
    expect(o.boundsPx[0]).toBeCloseTo(8, 9);
    expect(o.boundsPx[o.boundsPx.length - 1]).toBeCloseTo(250, 9);
  });

  it('renders exact labels with stones from 8 px to over 150 px', async () => {
    const out = join(root, 'wide');
    await runSynth({ vector: [0.3, 0.1, 0.1, 0.1, 0.4], width: 512, height: 512, scaleMmPerPx: 0.1, seed: 9, outDir: out, look: 'wide' });
    const map = await readInstancePng(join(out, 'instances/g01_001.png'));
    const area = new Map<number, number>();
    for (const id of map.data) if (id > 0) area.set(id, (area.get(id) ?? 0) + 1);
    const areas = [...area.values()];
    // A 150 px b-axis stone covers more than π/4·150² px; an 8–16 px one under 250 px.
    expect(Math.max(...areas)).toBeGreaterThan((Math.PI / 4) * 150 * 150 * 0.8);
    expect(areas.filter((a) => a < 250).length).toBeGreaterThan(50);
  });

  it('is refused at a scale where its smallest stones reach the first bin', () => {
    expect(() => validateSynthOptions({ outDir: 'x', look: 'wide', scaleMmPerPx: 0.6 })).toThrow(/--look must be a scale where the first bin edge/);
  });
});

describe('varied-matrix', () => {
  /** Mean colour of the matrix (label 0) pixels of a photo. */
  async function matrixMean(out: string, stem: string): Promise<[number, number, number]> {
    const { readImage } = await import('../../src/io/index.js');
    const img = await readImage(join(out, 'images', `${stem}.png`));
    const map = await readInstancePng(join(out, 'instances', `${stem}.png`));
    const sum = [0, 0, 0];
    let n = 0;
    for (let p = 0; p < map.data.length; p++) {
      if (map.data[p] !== 0) continue;
      for (let c = 0; c < 3; c++) sum[c]! += img.data[p * img.channels + c]!;
      n += 1;
    }
    return sum.map((v) => v / n / 255) as [number, number, number];
  }

  it('draws a natural sediment colour per photo: red to yellow hues or grey, never green or blue', () => {
    const rng = createRandom(4);
    let grey = 0;
    for (let k = 0; k < 2000; k++) {
      const [r, g, b] = sedimentColour(rng);
      const max = Math.max(r, g, b);
      const min = Math.min(r, g, b);
      expect(max).toBeLessThanOrEqual(NATURAL_SEDIMENT.value[1] + 1e-12);
      expect(max).toBeGreaterThanOrEqual(NATURAL_SEDIMENT.value[0] - 1e-12);
      if ((max - min) / max <= NATURAL_SEDIMENT.greySaturation + 1e-12) {
        grey += 1;
        continue;
      }
      // Hue 0–60°: red is the largest channel, blue the smallest.
      expect(r).toBeCloseTo(max, 12);
      expect(b).toBeCloseTo(min, 12);
    }
    expect(grey / 2000).toBeGreaterThan(0.2);
    expect(grey / 2000).toBeLessThan(0.3);
  });

  it('gives photos of one run different matrix colours and the same labels as the plain look', async () => {
    const a = join(root, 'varied');
    const b = join(root, 'varied-plain');
    const three = { width: W, height: H, scaleMmPerPx: 0.25, seed: 5, groups: 3 };
    await runSynth({ ...three, outDir: a, look: ['matrix', 'varied-matrix'] });
    await runSynth({ ...three, outDir: b, look: ['matrix'] });
    const colours = await Promise.all(['g01_001', 'g02_001', 'g03_001'].map((s) => matrixMean(a, s)));
    const spread = Math.max(...colours.flatMap((c) => colours.map((d) => Math.hypot(c[0] - d[0], c[1] - d[1], c[2] - d[2]))));
    expect(spread).toBeGreaterThan(0.1);
    for (const s of ['g01_001', 'g02_001', 'g03_001']) {
      expect(Buffer.compare(await readFile(join(a, 'instances', `${s}.png`)), await readFile(join(b, 'instances', `${s}.png`))), s).toBe(0);
    }
  });
});

describe('angular', () => {
  it('fracture faces keep the outline’s moment ellipse at exactly the drawn axes', () => {
    const rng = createRandom(12);
    for (let k = 0; k < 10; k++) {
      const b = 20 + 60 * rng.uniform();
      const a = b * (1 + 1.5 * rng.uniform());
      const ring = makeParticleShape(rng, { aPx: a, bPx: b, cx: 80, cy: 80, angleRad: 1, roundness: 0.05, roughness: 0.1, fractures: 3 }).outline;
      let A = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      for (let i = 0; i < ring.length; i++) {
        const [x0, y0] = ring[i]!;
        const [x1, y1] = ring[(i + 1) % ring.length]!;
        const c = x0 * y1 - x1 * y0;
        A += c / 2;
        sx += (x0 + x1) * c;
        sy += (y0 + y1) * c;
        sxx += (x0 * x0 + x0 * x1 + x1 * x1) * c;
        syy += (y0 * y0 + y0 * y1 + y1 * y1) * c;
        sxy += (x0 * y1 + 2 * x0 * y0 + 2 * x1 * y1 + x1 * y0) * c;
      }
      const mx = sx / (6 * A);
      const my = sy / (6 * A);
      const cxx = sxx / (12 * A) - mx * mx;
      const cyy = syy / (12 * A) - my * my;
      const cxy = sxy / (24 * A) - mx * my;
      const dev = Math.sqrt(((cxx - cyy) / 2) ** 2 + cxy * cxy);
      expect(Math.abs(4 * Math.sqrt((cxx + cyy) / 2 + dev) - a)).toBeLessThan(1e-3);
      expect(Math.abs(4 * Math.sqrt((cxx + cyy) / 2 - dev) - b)).toBeLessThan(1e-3);
    }
  });
});

describe('bad looks', () => {
  const cases: [string[] | string, RegExp][] = [
    [['gravelly'], /^--look must be one or more of dry, matrix, wet, angular, textured, shadowed, dark-matrix, pale-matrix, paper, wide, varied-matrix, heldout \(comma-separated\), received "gravelly"\. Fix: pass e\.g\. --look matrix,wet$/],
    [['dry', 'wet'], /^--look cannot combine dry and wet, received "dry,wet"\. Fix: keep one of dry, wet$/],
    [['matrix', 'heldout'], /heldout is a fixed benchmark look and combines only with wide/],
    [['wet', 'wet'], /must name each look once/],
    [['paper', 'dark-matrix'], /cannot combine dark-matrix and paper/],
    [['varied-matrix', 'pale-matrix'], /cannot combine pale-matrix and varied-matrix/],
  ];
  it.each(cases)('refuses %j with one line naming the looks and the fix', (look, message) => {
    let caught: unknown;
    try {
      resolveLooks(look);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PhotosieveError);
    expect((caught as PhotosieveError).toLine()).toMatch(message);
    expect((caught as PhotosieveError).toLine()).not.toContain('\n');
  });

  it('the command prints that line and sets the exit code', async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const before = process.exitCode;
    try {
      await synthCommand().exitOverride().parseAsync(['--out', 'never-written', '--look', 'matrix,foggy'], { from: 'user' });
      expect(process.exitCode).toBe(2);
      expect(writes.join('')).toMatch(/^photosieve synth: --look must be one or more of dry, matrix, .*heldout \(comma-separated\), received "foggy"\. Fix: .*\n$/);
    } finally {
      spy.mockRestore();
      process.exitCode = before;
    }
  });
});
