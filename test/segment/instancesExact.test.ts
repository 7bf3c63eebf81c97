// The instance stage must give byte-identical maps whatever is done to make it faster: the fast morphology is
// checked pixel for pixel against the plain loops it replaced (test/segment/referenceMorphology.ts) on seeded random
// inputs full of ties, borders and plateaus, and one hand-made probability map has its whole instance map pinned.
import { describe, expect, it } from 'vitest';
import { PixelClass } from '../../src/core/index.js';
import type { InstanceOptions, Probabilities } from '../../src/segment/index.js';
import {
  PROBABILITY_CHANNELS,
  PROBABILITY_CLASSES,
  fillHoles,
  floodFromMarkers,
  hMaxima,
  labelRemaining,
  probabilitiesToInstances,
  reconstructByDilation,
  regionalMaxima,
  relabelBySize,
} from '../../src/segment/index.js';
import { rows } from '../helpers/grid.js';
import * as ref from './referenceMorphology.js';

/** A seeded generator (LCG): the same numbers on every machine. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Gravel-like probabilities: random overlapping ellipses (body), a boundary band at their rims and where they meet, noise. */
function randomProbabilities(width: number, height: number, seed: number, stones = 25): Probabilities {
  const rnd = random(seed);
  const el = Array.from({ length: stones }, () => ({ cx: rnd() * width, cy: rnd() * height, a: 3 + rnd() * 12, b: 2 + rnd() * 8, t: rnd() * Math.PI }));
  const data = new Float32Array(width * height * PROBABILITY_CHANNELS);
  const bg = PROBABILITY_CLASSES.indexOf(PixelClass.background);
  const body = PROBABILITY_CLASSES.indexOf(PixelClass.body);
  const edge = PROBABILITY_CLASSES.indexOf(PixelClass.boundary);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let inside = 0;
      let depth = 0;
      for (const e of el) {
        const dx = x + 0.5 - e.cx;
        const dy = y + 0.5 - e.cy;
        const u = (dx * Math.cos(e.t) + dy * Math.sin(e.t)) / e.a;
        const v = (-dx * Math.sin(e.t) + dy * Math.cos(e.t)) / e.b;
        const r = 1 - Math.hypot(u, v);
        if (r >= 0) {
          inside++;
          depth = Math.max(depth, r);
        }
      }
      const pb = inside === 1 ? Math.min(0.98, 0.3 + depth * 2 + (rnd() - 0.5) * 0.3) : inside > 1 ? 0.2 + rnd() * 0.4 : rnd() * 0.15;
      const pe = inside > 0 ? Math.max(0, (1 - pb) * (0.5 + rnd() * 0.5)) : rnd() * 0.2;
      const q = (y * width + x) * PROBABILITY_CHANNELS;
      data[q + body] = Math.max(0, pb);
      data[q + edge] = Math.min(pe, 1 - data[q + body]!);
      data[q + bg] = 1 - data[q + body]! - data[q + edge]!;
    }
  }
  return { width, height, data };
}

/** Random values from a few levels, so plateaus and ties (the hard cases) are everywhere. */
function levels(n: number, seed: number, count: number): Float32Array {
  const rnd = random(seed);
  return Float32Array.from({ length: n }, () => Math.floor(rnd() * count) * 0.75);
}

const SIZES: [number, number][] = [
  [1, 1],
  [1, 7],
  [9, 1],
  [2, 2],
  [13, 11],
  [64, 37],
];

describe('fast morphology equals the plain loops it replaced', () => {
  it('reconstructByDilation, regionalMaxima and hMaxima', () => {
    for (const [w, h] of SIZES) {
      for (let seed = 1; seed <= 6; seed++) {
        const mask = levels(w * h, seed, 2 + seed);
        const hv = seed % 3 === 0 ? 0 : 0.7 * seed;
        const marker = mask.map((v) => Math.max(0, v - hv));
        expect(reconstructByDilation(marker.slice(), mask, w, h)).toEqual(ref.reconstructByDilation(marker.slice(), mask, w, h));
        expect(regionalMaxima(mask, w, h, 0)).toEqual(ref.regionalMaxima(mask, w, h, 0));
        expect(regionalMaxima(mask, w, h, 1)).toEqual(ref.regionalMaxima(mask, w, h, 1));
        expect(hMaxima(mask, w, h, hv)).toEqual(ref.hMaxima(mask, w, h, hv));
      }
    }
  });

  it('floodFromMarkers, labelRemaining, fillHoles and relabelBySize', () => {
    for (const [w, h] of SIZES) {
      for (let seed = 1; seed <= 6; seed++) {
        const rnd = random(seed * 7919);
        const n = w * h;
        const relief = Uint8Array.from({ length: n }, () => Math.floor(rnd() * (seed === 1 ? 2 : 256)));
        const allowed = Uint8Array.from({ length: n }, () => (rnd() < 0.8 ? 1 : 0));
        // Markers on some pixels, some of them outside `allowed` (the flooding still spreads from them).
        const markers = Int32Array.from({ length: n }, () => (rnd() < 0.03 ? 1 + Math.floor(rnd() * 9) : 0));
        const a = floodFromMarkers(markers.slice(), relief, allowed, w, h);
        const b = ref.floodFromMarkers(markers.slice(), relief, allowed, w, h);
        expect(a).toEqual(b);
        const sparse = allowed.map((v) => (v && rnd() < 0.5 ? 1 : 0));
        const c = markers.slice();
        const d = markers.slice();
        expect(labelRemaining(c, sparse, w, h, 10)).toBe(ref.labelRemaining(d, sparse, w, h, 10));
        expect(c).toEqual(d);
        expect(fillHoles(c.slice(), w, h)).toEqual(ref.fillHoles(c.slice(), w, h));
        const e = c.slice();
        const f = c.slice();
        expect(relabelBySize(e, 3)).toBe(ref.relabelBySize(f, 3));
        expect(e).toEqual(f);
      }
    }
  });

  it('relabelBySize keeps working on ids far above the pixel count', () => {
    const a = Int32Array.from([0, 5_000_000, 5_000_000, 7, 7, 7, 0, 2_000_000_000]);
    const b = a.slice();
    expect(relabelBySize(a, 2)).toBe(ref.relabelBySize(b, 2));
    expect(a).toEqual(b);
  });
});

describe('probabilitiesToInstances is unchanged', () => {
  const cases: [string, Partial<InstanceOptions>][] = [
    ['defaults', {}],
    ['distance relief', { relief: 'distance' }],
    ['no opening, low h', { coreOpening: 0, peakHeight: 0.5 }],
    ['no hole filling, wide opening', { fillHoles: false, coreOpening: 2, minArea: 5 }],
    ['other thresholds', { foregroundThreshold: 0.35, bodyThreshold: 0.65, peakHeight: 4 }],
  ];
  for (const [label, options] of cases) {
    it(`same map as the reference pipeline: ${label}`, async () => {
      for (let seed = 1; seed <= 4; seed++) {
        const probs = randomProbabilities(90 + seed, 70 - seed, seed);
        const roi = seed % 2 === 0 ? Uint8Array.from({ length: probs.width * probs.height }, (_, p) => (Math.hypot((p % probs.width) - 45, Math.floor(p / probs.width) - 33) < 30 ? 1 : 0)) : undefined;
        const fast = await probabilitiesToInstances(probs, options, roi);
        const slow = await ref.referenceProbabilitiesToInstances(probs, options, roi);
        expect(fast.data).toEqual(slow.data);
      }
    });
  }

  it('pins the instance map of a hand-made probability map', async () => {
    const width = 30;
    const height = 14;
    const body = PROBABILITY_CLASSES.indexOf(PixelClass.body);
    const edge = PROBABILITY_CLASSES.indexOf(PixelClass.boundary);
    const data = new Float32Array(width * height * PROBABILITY_CHANNELS);
    // Two touching discs, a third with a hole in its middle, and a speck smaller than minArea.
    const discs = [
      { cx: 6, cy: 7, r: 5.5 },
      { cx: 15, cy: 7, r: 4.5 },
      { cx: 24.5, cy: 7, r: 4.8 },
    ];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside = discs.map((d) => d.r - Math.hypot(x + 0.5 - d.cx, y + 0.5 - d.cy)).filter((e) => e >= 0);
        const q = (y * width + x) * PROBABILITY_CHANNELS;
        const hole = Math.hypot(x + 0.5 - 24.5, y + 0.5 - 7) < 1.2;
        const speck = x >= 28 && y <= 1;
        if (speck) data[q + body] = 0.9;
        else if (inside.length === 0 || hole) data[q + body] = 0.05;
        else if (inside.length > 1 || Math.min(...inside) < 1.2) data[q + edge] = 0.8;
        else data[q + body] = 0.55 + 0.4 * Math.min(1, Math.min(...inside) / 4);
      }
    }
    const map = await probabilitiesToInstances({ width, height, data }, { minArea: 5 });
    // Written from the output of the code before the speed work (commit d788524): the touching discs split, the
    // hole filled, the 4 px speck dropped, ids in raster order of first pixel.
    expect(rows(map)).toEqual([
      '..............................',
      '..............................',
      '...111111..............222....',
      '..11111111..333333...2222222..',
      '.111111111133333333.222222222.',
      '.111111111133333333.222222222.',
      '.111111111133333333.222222222.',
      '.111111111133333333.222222222.',
      '.111111111133333333.222222222.',
      '.111111111133333333.222222222.',
      '..11111111..333333...2222222..',
      '...111111..............222....',
      '..............................',
      '..............................',
    ]);
  });
});
