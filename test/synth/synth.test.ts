// synth end to end on small frames: byte-identical reruns, label files that agree with the instance maps pixel
// for pixel, and the tables every other command reads.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CocoExport, LabelmeExport } from '../../src/annotate/index.js';
import { fillMultiPolygon, roiMask } from '../../src/annotate/index.js';
import { readImage, readInstancePng } from '../../src/io/index.js';
import type { SynthOptions, SynthSummary } from '../../src/synth/index.js';
import { runSynth } from '../../src/synth/index.js';

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const small: Omit<SynthOptions, 'outDir'> = {
  groups: 2,
  perGroup: 1,
  holdout: 1,
  width: 200,
  height: 160,
  scaleMmPerPx: 0.25,
  seed: 11,
};

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'photosieve-synth-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('runSynth determinism', () => {
  it('writes byte-identical files for the same seed and options, PNG and JPEG', async () => {
    for (const extra of [{}, { format: 'jpg' as const, circle: true, gray: true }]) {
      const a = join(root, `det-a-${extra.format ?? 'png'}`);
      const b = join(root, `det-b-${extra.format ?? 'png'}`);
      await runSynth({ ...small, ...extra, outDir: a });
      await runSynth({ ...small, ...extra, outDir: b });
      const filesA = await listFiles(a);
      expect(filesA).toEqual(await listFiles(b));
      expect(filesA.length).toBeGreaterThan(10);
      for (const f of filesA) expect(Buffer.compare(await readFile(join(a, f)), await readFile(join(b, f))), f).toBe(0);
      const photo = await readImage(join(a, `images/g01_001.${extra.format ?? 'png'}`));
      expect(photo.channels).toBe(extra.gray ? 1 : 3);
    }
  });

  it('changes the images when the seed changes', async () => {
    const a = join(root, 'seed-a');
    const b = join(root, 'seed-b');
    await runSynth({ ...small, groups: 1, holdout: 0, outDir: a, seed: 1 });
    await runSynth({ ...small, groups: 1, holdout: 0, outDir: b, seed: 2 });
    const img = 'images/g01_001.png';
    expect(Buffer.compare(await readFile(join(a, img)), await readFile(join(b, img)))).not.toBe(0);
  });
});

describe('runSynth outputs', () => {
  let out: string;
  let summary: SynthSummary;
  beforeAll(async () => {
    out = join(root, 'layout');
    summary = await runSynth({ ...small, outDir: out, perGroup: 2, circle: true });
  });

  it('writes the annotate layout for every image', async () => {
    const files = await listFiles(out);
    expect(summary.images).toBe(6);
    for (const name of ['g01_001', 'g01_002', 'g02_001', 'h01_002']) {
      for (const f of [`images/${name}.png`, `instances/${name}.png`, `masks/${name}.png`, `labels/${name}.json`]) {
        expect(files).toContain(f);
      }
    }
    for (const f of ['annotations.json', 'truth.csv', 'visible.csv', 'groups.json']) expect(files).toContain(f);
    const photo = await readImage(join(out, 'images/g01_001.png'));
    expect([photo.width, photo.height, photo.channels]).toEqual([200, 160, 3]);
  });

  it('every visible polygon rasterizes to exactly its pixels in the instance map', async () => {
    const coco = JSON.parse(await readFile(join(out, 'annotations.json'), 'utf8')) as CocoExport;
    const roi = roiMask({ kind: 'circle' }, 200, 160)!;
    expect(coco.images).toHaveLength(6);
    for (const image of coco.images) {
      const name = image.file_name.replace(/^images\//, '').replace(/\.png$/, '');
      const map = await readInstancePng(join(out, `instances/${name}.png`));
      const fromCoco = new Int32Array(200 * 160);
      const anns = coco.annotations.filter((a) => a.image_id === image.id);
      expect(anns.length).toBeGreaterThan(5);
      for (const ann of anns) {
        for (const flat of ann.segmentation) {
          const ring: [number, number][] = [];
          for (let k = 0; k < flat.length; k += 2) {
            const x = flat[k]!;
            const y = flat[k + 1]!;
            expect(x >= 0 && x <= 200 && y >= 0 && y <= 160).toBe(true);
            ring.push([x, y]);
          }
          fillMultiPolygon([[ring]], 200, 160, fromCoco, ann.instance_id);
        }
      }
      let mismatches = 0;
      for (let p = 0; p < roi.length; p++) {
        const expected = roi[p] === 1 ? fromCoco[p]! : 0;
        if (map.data[p] !== expected) mismatches += 1;
      }
      expect(mismatches, name).toBe(0);

      // LabelMe holds the same pieces: together they cover exactly the particle pixels.
      const labelme = JSON.parse(await readFile(join(out, `labels/${name}.json`), 'utf8')) as LabelmeExport;
      expect(labelme.imagePath).toBe(`../images/${name}.png`);
      const covered = new Uint8Array(200 * 160);
      for (const shape of labelme.shapes) fillMultiPolygon([[shape.points]], 200, 160, covered, 1);
      let labelmeMismatches = 0;
      for (let p = 0; p < roi.length; p++) if (roi[p] === 1 && covered[p] !== (map.data[p]! > 0 ? 1 : 0)) labelmeMismatches += 1;
      expect(labelmeMismatches, name).toBe(0);
    }
  });

  it('writes truth.csv rows that sum to 1 and visible.csv with three weightings per image', async () => {
    const truth = (await readFile(join(out, 'truth.csv'), 'utf8')).trim().split('\n');
    expect(truth[0]).toBe('image,group,lt_4mm,4_5.6mm,5.6_8mm,8_11.2mm,ge_11.2mm');
    expect(truth).toHaveLength(7);
    for (const row of truth.slice(1)) {
      const v = row.split(',').slice(2).map(Number);
      expect(v.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    }
    const visible = (await readFile(join(out, 'visible.csv'), 'utf8')).trim().split('\n');
    expect(visible[0]).toBe('image,group,weight,n_visible,lt_4mm,4_5.6mm,5.6_8mm,8_11.2mm,ge_11.2mm');
    expect(visible.slice(1).map((r) => r.split(',')[2])).toEqual(Array.from({ length: 6 }, () => ['count', 'area', 'mass']).flat());
    const groups = JSON.parse(await readFile(join(out, 'groups.json'), 'utf8')) as {
      groups: { name: string; split: string; vector: number[]; images: { realized_mass_fractions: number[]; coarse_bins: string[] }[] }[];
    };
    expect(groups.groups.map((g) => `${g.name}:${g.split}`)).toEqual(['g01:train', 'g02:train', 'h01:holdout']);
    for (const g of groups.groups) {
      for (const im of g.images) {
        if (im.coarse_bins.length > 0) continue;
        im.realized_mass_fractions.forEach((f, k) => expect(Math.abs(f - g.vector[k]!)).toBeLessThan(0.02));
      }
    }
    expect(summary.maxRealizedError).toBeLessThan(0.02);
  });
});
