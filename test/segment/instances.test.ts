// Instance stage on hand-made probability maps and synthetic photos: touching discs split, holes filled, ROI
// respected, classical mode finds discs, tile (crop) invariance, and no Mat left alive.
import { describe, expect, it } from 'vitest';
import { matchInstances } from '../../src/aggregate/index.js';
import type { InstanceMap, Raster } from '../../src/core/index.js';
import { PixelClass } from '../../src/core/index.js';
import { liveMatCount } from '../../src/cv/index.js';
import type { Probabilities } from '../../src/segment/index.js';
import { PROBABILITY_CHANNELS, PROBABILITY_CLASSES, classicalInstances, fillHoles, hMaxima, probabilitiesToInstances } from '../../src/segment/index.js';
import { grid, rows } from '../helpers/grid.js';
import { errorLineOf } from '../helpers/errors.js';
import type { Disc } from './helpers.js';
import { discGrid, discRaster } from './helpers.js';

/** Probabilities of ideal discs: body inside, boundary on a 2 px rim and where discs touch, background outside. */
function discProbabilities(width: number, height: number, discs: Disc[]): Probabilities {
  const data = new Float32Array(width * height * PROBABILITY_CHANNELS);
  const ch = (cls: (typeof PROBABILITY_CLASSES)[number]): number => PROBABILITY_CLASSES.indexOf(cls);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const q = (y * width + x) * PROBABILITY_CHANNELS;
      const inside = discs.map((d) => d.r - Math.hypot(x + 0.5 - d.cx, y + 0.5 - d.cy)).filter((e) => e >= 0);
      const cls = inside.length === 0 ? PixelClass.background : inside.length > 1 || Math.min(...inside) < 2 ? PixelClass.boundary : PixelClass.body;
      data[q + ch(PixelClass.background)] = 0.05;
      data[q + ch(PixelClass.body)] = 0.05;
      data[q + ch(PixelClass.boundary)] = 0.05;
      data[q + ch(cls)] = 0.9;
    }
  }
  return { width, height, data };
}

/** Sets P(background, body, boundary) over columns x0..x1-1 and rows y0..y1-1. */
function paintRect(probs: Probabilities, [x0, x1, y0, y1]: [number, number, number, number], [bg, body, boundary]: [number, number, number]): void {
  const ch = (cls: (typeof PROBABILITY_CLASSES)[number]): number => PROBABILITY_CLASSES.indexOf(cls);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const q = (y * probs.width + x) * PROBABILITY_CHANNELS;
      probs.data[q + ch(PixelClass.background)] = bg;
      probs.data[q + ch(PixelClass.body)] = body;
      probs.data[q + ch(PixelClass.boundary)] = boundary;
    }
  }
}

function ids(map: InstanceMap): Set<number> {
  return new Set(Array.from(map.data).filter((v) => v !== 0));
}

describe('probabilitiesToInstances', () => {
  it('splits two touching discs into two instances of the right size', async () => {
    const discs = [
      { cx: 30, cy: 30, r: 18 },
      { cx: 64, cy: 32, r: 18 },
    ];
    const map = await probabilitiesToInstances(discProbabilities(100, 64, discs));
    expect(ids(map)).toEqual(new Set([1, 2]));
    const area = (id: number): number => map.data.filter((v) => v === id).length;
    for (const id of [1, 2]) expect(area(id) / (Math.PI * 18 * 18)).toBeGreaterThan(0.9);
    expect(map.data[30 * 100 + 30]).not.toBe(map.data[32 * 100 + 64]);
  });

  it('one elongated stone with a waist stays one instance (h-maxima, not every local peak)', async () => {
    const discs = [
      { cx: 30, cy: 30, r: 14 },
      { cx: 44, cy: 30, r: 13 },
      { cx: 58, cy: 30, r: 14 },
    ];
    // A union of overlapping discs painted as one body (no boundary between them).
    const p = discProbabilities(90, 60, [{ cx: 44, cy: 30, r: 0 }]);
    const body = PROBABILITY_CLASSES.indexOf(PixelClass.body);
    const bg = PROBABILITY_CLASSES.indexOf(PixelClass.background);
    for (let y = 0; y < 60; y++) {
      for (let x = 0; x < 90; x++) {
        if (discs.some((d) => Math.hypot(x + 0.5 - d.cx, y + 0.5 - d.cy) <= d.r)) {
          p.data[(y * 90 + x) * 3 + body] = 0.9;
          p.data[(y * 90 + x) * 3 + bg] = 0.05;
        }
      }
    }
    const map = await probabilitiesToInstances(p, { peakHeight: 3 });
    expect(ids(map).size).toBe(1);
  });

  it('respects minArea and the ROI, and validates options with the field name', async () => {
    const discs = [
      { cx: 20, cy: 20, r: 12 },
      { cx: 60, cy: 20, r: 3 },
    ];
    const probs = discProbabilities(80, 40, discs);
    expect(ids(await probabilitiesToInstances(probs, { minArea: 50 })).size).toBe(1);
    const roi = new Uint8Array(80 * 40);
    for (let y = 0; y < 40; y++) for (let x = 40; x < 80; x++) roi[y * 80 + x] = 1;
    const inRoi = await probabilitiesToInstances(probs, { minArea: 5 }, roi);
    expect(ids(inRoi).size).toBe(1);
    expect(inRoi.data[20 * 80 + 20]).toBe(0);
    expect(await errorLineOf(() => probabilitiesToInstances(probs, { bodyThreshold: 2 }))).toMatch(/instance option bodyThreshold must be a number from 0 to 1, received 2/);
  });

  it('a blob of boundary probability with no body inside (sand texture) is not a particle unless keepCoreless', async () => {
    const probs = discProbabilities(80, 40, [{ cx: 20, cy: 20, r: 12 }]);
    // A 10×10 patch at (50..60, 15..25) that is all boundary: edges of sand grains, no stone body.
    paintRect(probs, [50, 60, 15, 25], [0.3, 0.1, 0.6]);
    const map = await probabilitiesToInstances(probs);
    expect(ids(map).size).toBe(1);
    expect(map.data[20 * 80 + 55]).toBe(0);
    const kept = await probabilitiesToInstances(probs, { keepCoreless: true });
    expect(ids(kept).size).toBe(2);
    expect(kept.data[20 * 80 + 55]).not.toBe(0);
  });

  it('growthLimit cuts what the flooding reaches far beyond a core, and keeps a stone and its rim whole', async () => {
    const probs = discProbabilities(100, 60, [{ cx: 30, cy: 30, r: 16 }]);
    // A 3 px wide strip of boundary probability leaving the disc to the right: a tendril into the sand.
    paintRect(probs, [46, 95, 29, 32], [0.2, 0.2, 0.6]);
    const free = await probabilitiesToInstances(probs);
    expect(free.data[30 * 100 + 90]).toBe(free.data[30 * 100 + 30]); // the tendril joined the stone
    const limited = await probabilitiesToInstances(probs, { growthLimit: 1 });
    const stone = limited.data[30 * 100 + 30]!;
    expect(stone).not.toBe(0);
    expect(limited.data[30 * 100 + 90]).toBe(0); // ~45 px from the core: cut, and coreless, so no particle
    expect(ids(limited)).toEqual(new Set([stone]));
    const area = limited.data.filter((v) => v === stone).length;
    expect(area / (Math.PI * 16 * 16)).toBeGreaterThan(0.95);
    expect(await errorLineOf(() => probabilitiesToInstances(probs, { growthLimit: -1 }))).toMatch(/instance option growthLimit must be a number ≥ 0/);
  });

  it('clusterBoundary: a particle whose interior is full of outlines is a cluster of fines; its stones stay, the rest is unresolved', async () => {
    // A clean stone (r 14) at (25, 30), and at (60..110, 5..55) a 50×50 field of unresolved grains (boundary 0.6,
    // body 0.3: foreground, never core) around a second stone (r 10) at (85, 30) whose marker floods the field. The
    // second stone is what a magnified photo makes of a small one: its core (P(body) 0.9) reaches only r 5, its
    // outer half is a soft rim as uncertain as the field.
    const probs = discProbabilities(120, 60, [{ cx: 25, cy: 30, r: 14 }]);
    paintRect(probs, [60, 110, 5, 55], [0.1, 0.3, 0.6]);
    const body = PROBABILITY_CLASSES.indexOf(PixelClass.body);
    const boundary = PROBABILITY_CLASSES.indexOf(PixelClass.boundary);
    for (let y = 0; y < 60; y++) {
      for (let x = 0; x < 120; x++) {
        const r = Math.hypot(x + 0.5 - 85, y + 0.5 - 30);
        if (r > 10) continue;
        const q = (y * 120 + x) * PROBABILITY_CHANNELS;
        probs.data[q + body] = r < 5 ? 0.9 : 0.3;
        probs.data[q + boundary] = r < 5 ? 0.05 : 0.6;
      }
    }
    const at = (m: InstanceMap, x: number, y: number): number => m.data[y * 120 + x]!;
    // Off (the default): the second stone and the whole field are one particle.
    const merged = await probabilitiesToInstances(probs);
    expect(merged.unresolved).toEqual({ count: 0, areaPx: 0 });
    expect(ids(merged).size).toBe(2);
    expect(at(merged, 62, 7)).toBe(at(merged, 85, 30));
    const resolved = await probabilitiesToInstances(probs, { clusterBoundary: 0.4 });
    expect(ids(resolved).size).toBe(2);
    // The clean stone is untouched (its interior is body).
    const clean = at(resolved, 25, 30);
    expect(resolved.data.filter((v) => v === clean).length).toBe(merged.data.filter((v) => v === at(merged, 25, 30)).length);
    // The embedded stone is its core grown by 1.25 × the core's inscribed radius (clusterGrowth): about its r 10
    // disc, not the field.
    const stone = at(resolved, 85, 30);
    expect(stone).not.toBe(0);
    expect(stone).not.toBe(clean);
    const disc = Math.PI * 10 * 10;
    const stoneArea = resolved.data.filter((v) => v === stone).length;
    expect(stoneArea / disc).toBeGreaterThan(0.85);
    expect(stoneArea / disc).toBeLessThan(1.3);
    expect(at(resolved, 62, 7)).toBe(0);
    // What the field lost is reported, pixel for pixel, as unresolved.
    expect(resolved.unresolved.count).toBe(1);
    expect(resolved.unresolved.areaPx).toBe(merged.data.filter((v) => v === at(merged, 85, 30)).length - stoneArea);
    // Grown by the 2 px band only (clusterGrowth 0), the stone keeps under half its disc: a miss at IoU 0.5.
    const banded = await probabilitiesToInstances(probs, { clusterBoundary: 0.4, clusterGrowth: 0 });
    const bandedArea = banded.data.filter((v) => v === at(banded, 85, 30)).length;
    expect(bandedArea / disc).toBeLessThan(0.6);
    expect(bandedArea).toBeLessThan(stoneArea);
    expect(await errorLineOf(() => probabilitiesToInstances(probs, { clusterBoundary: -1 }))).toMatch(/instance option clusterBoundary must be a number ≥ 0/);
    expect(await errorLineOf(() => probabilitiesToInstances(probs, { clusterGrowth: -1 }))).toMatch(/instance option clusterGrowth must be a number from 0 to 100/);
  });

  it('clusterBoundary: a cluster with no core piece of minArea is unresolved as a whole', async () => {
    const probs = discProbabilities(80, 50, []);
    // A 40×30 field of grains around one 3×3 core: it seeds the marker that floods the field, and grown by its reach
    // (1.25 × its inscribed radius 2, rounded: 3 px) it is ~57 px, under minArea 80, so a grain too.
    paintRect(probs, [20, 60, 10, 40], [0.1, 0.3, 0.6]);
    paintRect(probs, [39, 42, 24, 27], [0.05, 0.9, 0.05]);
    const merged = await probabilitiesToInstances(probs, { minArea: 80 });
    expect(ids(merged).size).toBe(1);
    const resolved = await probabilitiesToInstances(probs, { minArea: 80, clusterBoundary: 0.4 });
    expect(ids(resolved).size).toBe(0);
    expect(resolved.unresolved).toMatchObject({ count: 1, areaPx: merged.data.filter((v) => v !== 0).length });
    expect(resolved.unresolved.perRow!.reduce((a, b) => a + b, 0)).toBe(resolved.unresolved.areaPx);
  });

  it('deletes every Mat it creates', async () => {
    const before = liveMatCount();
    await probabilitiesToInstances(discProbabilities(60, 60, [{ cx: 30, cy: 30, r: 20 }]));
    await probabilitiesToInstances(discProbabilities(60, 60, [{ cx: 30, cy: 30, r: 20 }]), { clusterBoundary: 0 });
    await probabilitiesToInstances(discProbabilities(60, 60, [{ cx: 30, cy: 30, r: 20 }]), { growthLimit: 1 });
    await classicalInstances(discRaster(60, 60, [{ cx: 30, cy: 30, r: 20 }]));
    expect(liveMatCount()).toBe(before);
  });
});

describe('morphology helpers', () => {
  it('fillHoles fills a pit enclosed by one particle, not a gap between two', () => {
    const map = grid(['.........', '.1122.333', '.1.22.3.3', '.1122.333', '.........']);
    fillHoles(map.data, map.width, map.height);
    expect(rows(map)).toEqual(['.........', '.1122.333', '.1.22.333', '.1122.333', '.........']);
  });

  it('hMaxima keeps one flat region per peak that rises at least h', () => {
    const w = 9;
    const f = new Float32Array([0, 1, 2, 3, 2, 2.5, 2, 1, 0]);
    // h = 1: the saddle at 2 is less than 1 below the peak 3, so both tops are one marker region (f ≥ 3 − 1).
    expect(Array.from(hMaxima(f, w, 1, 1))).toEqual([0, 0, 1, 1, 1, 1, 1, 0, 0]);
    expect(Array.from(hMaxima(f, w, 1, 0.4))).toEqual([0, 0, 0, 1, 0, 1, 0, 0, 0]);
  });

  it('hMaxima with a per-pixel scale: h × scale where the peak lies, the same as a constant h when the scale is', () => {
    const w = 9;
    const f = new Float32Array([0, 1, 2, 3, 2, 2.5, 2, 1, 0]);
    // h = 0.4 splits the two tops; scaled by 4 (a level of 1/4 resolution) it is 1.6, and they are one marker.
    expect(Array.from(hMaxima(f, w, 1, 0.4, new Float32Array(w).fill(1)))).toEqual(Array.from(hMaxima(f, w, 1, 0.4)));
    expect(Array.from(hMaxima(f, w, 1, 0.4, new Float32Array(w).fill(4)))).toEqual(Array.from(hMaxima(f, w, 1, 1.6)));
    expect(Array.from(hMaxima(f, w, 1, 0.4, new Float32Array(w).fill(4)))).toEqual([0, 0, 1, 1, 1, 1, 1, 0, 0]);
    expect(() => hMaxima(f, w, 1, 0.4, new Float32Array(3))).toThrow(/hScale\.length/);
  });

  it('peakScale: two discs joined by a wide neck are two particles at full resolution and one where a coarse level owns them', async () => {
    // Two discs of radius 16 whose centres are 24 px apart: the neck's core distance is ~11 px, 5 below the peaks.
    // At full resolution (h = 2 px) that is two stones; read at a 1/4 level's resolution (h = 8 px) it is one stone
    // whose outline that level drew, as its own instance stage would have seen it.
    const probs = discProbabilities(100, 64, [
      { cx: 38, cy: 32, r: 16 },
      { cx: 62, cy: 32, r: 16 },
    ]);
    // One stone's body across the overlap (no boundary between them): only the distance transform can split it.
    paintRect(probs, [0, 100, 0, 64], [0.9, 0.05, 0.05]);
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 100; x++) {
        const e = Math.max(16 - Math.hypot(x + 0.5 - 38, y + 0.5 - 32), 16 - Math.hypot(x + 0.5 - 62, y + 0.5 - 32));
        if (e >= 0) paintRect(probs, [x, x + 1, y, y + 1], e < 2 ? [0.05, 0.05, 0.9] : [0.05, 0.9, 0.05]);
      }
    }
    expect(ids(await probabilitiesToInstances(probs))).toEqual(new Set([1, 2]));
    expect(ids(await probabilitiesToInstances(probs, {}, undefined, new Float32Array(100 * 64).fill(1)))).toEqual(new Set([1, 2]));
    expect(ids(await probabilitiesToInstances(probs, {}, undefined, new Float32Array(100 * 64).fill(4)))).toEqual(new Set([1]));
  });
});

describe('classical mode', () => {
  it('finds separated discs on a synthetic photo (F1 ≥ 0.9 against the drawn discs)', async () => {
    const w = 240;
    const h = 200;
    const discs = discGrid(w, h, 9, 16);
    const truth = discTruth(w, h, discs);
    const found = await classicalInstances(discRaster(w, h, discs), { threshold: 'otsu', peakHeight: 3, minArea: 20 });
    const m = matchInstances(truth, found);
    expect(m.f1).toBeGreaterThanOrEqual(0.9);
  });

  it('tile invariance: whole photo vs four overlapping crops give the same particles away from the crop borders', async () => {
    const w = 240;
    const h = 200;
    const raster = discRaster(w, h, discGrid(w, h, 8, 15, 11));
    const options = { threshold: 'otsu' as const, peakHeight: 3, minArea: 20 };
    const whole = await classicalInstances(raster, options);
    const half = 40;
    const crops = [
      [0, 0, w / 2 + half, h / 2 + half],
      [w / 2 - half, 0, w, h / 2 + half],
      [0, h / 2 - half, w / 2 + half, h],
      [w / 2 - half, h / 2 - half, w, h],
    ] as const;
    let checked = 0;
    for (const [x0, y0, x1, y1] of crops) {
      const cw = x1 - x0;
      const chh = y1 - y0;
      const part = await classicalInstances(crop(raster, x0, y0, cw, chh), options);
      // The whole-image particles that lie inside this crop, at least 4 px from any border the crop cut.
      const ref = new Int32Array(cw * chh);
      const cut = new Set<number>();
      for (let y = 0; y < chh; y++) {
        for (let x = 0; x < cw; x++) {
          const id = whole.data[(y + y0) * w + x + x0]!;
          ref[y * cw + x] = id;
          const nearCut = (x0 > 0 && x < 4) || (y0 > 0 && y < 4) || (x1 < w && x >= cw - 4) || (y1 < h && y >= chh - 4);
          if (id !== 0 && nearCut) cut.add(id);
        }
      }
      for (let q = 0; q < ref.length; q++) if (cut.has(ref[q]!)) ref[q] = 0;
      const m = matchInstances({ width: cw, height: chh, data: ref }, part);
      checked += m.truthCount;
      for (const match of m.matches) expect(match.iou).toBeGreaterThan(0.95);
    }
    expect(checked).toBeGreaterThan(40);
  });
});

function discTruth(w: number, h: number, discs: Disc[]): InstanceMap {
  const data = new Int32Array(w * h);
  discs.forEach((d, k) => {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (Math.hypot(x + 0.5 - d.cx, y + 0.5 - d.cy) <= d.r) data[y * w + x] = k + 1;
  });
  return { width: w, height: h, data };
}

function crop(r: Raster, x0: number, y0: number, cw: number, ch: number): Raster {
  const data = new Uint8Array(cw * ch * r.channels);
  for (let y = 0; y < ch; y++) data.set(r.data.subarray(((y + y0) * r.width + x0) * r.channels, ((y + y0) * r.width + x0 + cw) * r.channels), y * cw * r.channels);
  return { ...r, width: cw, height: ch, data };
}
