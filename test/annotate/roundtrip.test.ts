// Tracing instance maps to polygons and importing them back, and LabelMe → COCO → LabelMe.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rasterizeInstances, runAnnotate, runFromInstances, toCoco, traceInstances, writeCocoIndex } from '../../src/annotate/index.js';
import type { ExportImage } from '../../src/annotate/index.js';
import { liveMatCount, loadOpenCV, withMats } from '../../src/cv/index.js';
import { readInstancePng } from '../../src/io/index.js';
import { canonicalIds, rows } from '../helpers/grid.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});

describe('tracing instance maps (OpenCV.js contours)', () => {
  it('gives polygons that rasterize back to exactly the same pixels: hole, diagonal contact, 1 px particle, two pieces, image edge, touching pair', async () => {
    const map = await readInstancePng('fixtures/instances/tricky.png');
    const traced = await traceInstances(map);
    expect([...traced.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(traced.get(1)).toHaveLength(1);
    expect(traced.get(1)![0]).toHaveLength(2); // outer ring + hole
    expect(traced.get(4)).toHaveLength(2); // two pieces
    const back = rasterizeInstances([...traced].map(([id, geometry]) => ({ id, geometry })), map.width, map.height);
    expect(rows(back)).toEqual(rows(map));
    expect(liveMatCount()).toBe(0);
  });

  it('deletes every Mat of a scope even when the scope throws', async () => {
    const { cv } = await loadOpenCV();
    expect(() =>
      withMats(cv, (scope) => {
        scope.track(new cv.Mat());
        scope.track(new cv.MatVector());
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(liveMatCount()).toBe(0);
  });

  it('--from-instances writes COCO and LabelMe that import back to the same instances', async () => {
    const traced = join(tmp.dir, 'traced');
    const r = await runFromInstances({ instances: 'fixtures/instances', out: traced });
    expect(r.totals).toMatchObject({ images: 1, particles: 7, errors: 0 });
    const original = await readInstancePng('fixtures/instances/tricky.png');
    expect(rows(await readInstancePng(join(traced, 'instances', 'tricky.png')))).toEqual(rows(original));

    const viaCoco = join(tmp.dir, 'via-coco');
    const rc = await runAnnotate({ labels: [join(traced, 'annotations.json')], out: viaCoco });
    expect(rc.totals).toMatchObject({ particles: 7, errors: 0, repairs: 0 });
    expect(rows(await readInstancePng(join(viaCoco, 'instances', 'tricky.png')))).toEqual(rows(original));

    const viaLabelme = join(tmp.dir, 'via-labelme');
    const rl = await runAnnotate({ labels: [join(traced, 'labels', 'tricky.json')], out: viaLabelme });
    expect(rl.totals).toMatchObject({ particles: 7, errors: 0, repairs: 0 });
    expect(rows(await readInstancePng(join(viaLabelme, 'instances', 'tricky.png')))).toEqual(rows(original));
  });
});

describe('LabelMe → COCO → LabelMe', () => {
  it('keeps every polygon and every pixel', async () => {
    const first = join(tmp.dir, 'lm1');
    const r1 = await runAnnotate({ labels: ['fixtures/labels/labelme/tray.json', 'fixtures/labels/labelme/pebbles.json'], images: 'fixtures/images', out: first });
    const second = join(tmp.dir, 'lm2');
    const r2 = await runAnnotate({ labels: [join(first, 'annotations.json')], out: second });
    expect(r2.totals.particles).toBe(r1.totals.particles);
    expect(r2.issues.filter((i) => i.severity !== 'warning')).toEqual([]);
    for (const name of ['tray', 'pebbles']) {
      const a = JSON.parse(await readFile(join(first, 'labels', `${name}.json`), 'utf8')) as { shapes: unknown[] };
      const b = JSON.parse(await readFile(join(second, 'labels', `${name}.json`), 'utf8')) as { shapes: unknown[] };
      expect(b.shapes).toEqual(a.shapes);
      const ma = await readInstancePng(join(first, 'instances', `${name}.png`));
      const mb = await readInstancePng(join(second, 'instances', `${name}.png`));
      expect(rows(mb)).toEqual(rows(ma));
    }
  });
});

describe('--pixel-origin center (outlines through boundary-pixel centres)', () => {
  it('reproduces the instances OpenCV contours were traced from, and writes labels in the corner convention', async () => {
    const { centreContours, labelmeFromCentreContours } = await import('../helpers/centreContours.js');
    const map = await readInstancePng('fixtures/instances/tricky.png');
    const contours = await centreContours(map);
    // Particle 1 has a hole, which LabelMe cannot hold: compare the others exactly.
    contours.delete(1);
    const file = await tmp.write('centre/tricky.json', labelmeFromCentreContours(contours, 'tricky.png', map.width, map.height));
    const out = join(tmp.dir, 'centre-out');
    const r = await runAnnotate({ labels: [file], out, pixelOrigin: 'center' });
    expect(r.totals).toMatchObject({ particles: 6, errors: 0, repairs: 0 });
    const expected = canonicalIds({ ...map, data: map.data.map((v) => (v === 1 ? 0 : v)) });
    const got = await readInstancePng(join(out, 'instances', 'tricky.png'));
    // Ids follow the shapes' order in the file: compare the particles, not their numbers.
    expect(rows(canonicalIds(got))).toEqual(rows(expected));
    // Corner-convention labels come back unchanged without the option.
    const again = join(tmp.dir, 'centre-again');
    await runAnnotate({ labels: [join(out, 'labels', 'tricky.json')], out: again });
    expect(rows(await readInstancePng(join(again, 'instances', 'tricky.png')))).toEqual(rows(got));
  });
});

describe('annotations.json is streamed', () => {
  it('parses to exactly the in-memory COCO export, for several images and for none', async () => {
    const square = (x: number, y: number, s: number): [number, number][][][] => [[[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]]];
    const images: ExportImage[] = Array.from({ length: 3 }, (_, k) => ({
      name: `im${k}`,
      fileName: `images/im${k}.png`,
      width: 40,
      height: 30,
      // Enough instances to cross the writer's 2,000-annotation chunk.
      instances: Array.from({ length: 900 }, (_, j) => ({ id: j + 1, label: j % 2 ? 'stone' : 'pebble', geometry: square((j % 30) + 0.5, Math.floor(j / 30) + 0.25, 0.5) })),
    }));
    const tmp = await tempDir();
    for (const set of [images, []]) {
      await writeCocoIndex(tmp.dir, set);
      expect(JSON.parse(await readFile(join(tmp.dir, 'annotations.json'), 'utf8'))).toEqual(toCoco(set));
    }
  });
});
