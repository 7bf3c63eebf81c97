// Recall and precision by size on hand-made maps whose every outcome is known: a stone found whole, one split in
// two, two merged into one, one missed, and a blob of sand the prediction calls a particle.
import { describe, expect, it } from 'vitest';
import type { InstanceMap } from '../../src/core/index.js';
import { measureParticles, sizeBiasOf, sizePrecision, sizeRecall, sizeRecallAndPrecision } from '../../src/aggregate/index.js';

const W = 200;
const H = 120;
function map(rects: { id: number; x: number; y: number; w: number; h: number }[]): InstanceMap {
  const data = new Int32Array(W * H);
  for (const r of rects) for (let i = r.y; i < r.y + r.h; i++) for (let j = r.x; j < r.x + r.w; j++) data[i * W + j] = r.id;
  return { width: W, height: H, data };
}

// Truth: 1 (20² found), 2 (40² split in halves), 3 and 4 (12² each, 2 px apart, merged), 5 (20² missed).
const truth = map([
  { id: 1, x: 10, y: 10, w: 20, h: 20 },
  { id: 2, x: 50, y: 10, w: 40, h: 40 },
  { id: 3, x: 110, y: 10, w: 12, h: 12 },
  { id: 4, x: 124, y: 10, w: 12, h: 12 },
  { id: 5, x: 150, y: 60, w: 20, h: 20 },
]);
const pred = map([
  { id: 7, x: 11, y: 10, w: 20, h: 20 }, // IoU 19·20 / (2·400 − 380) = 0.905
  { id: 8, x: 50, y: 10, w: 18, h: 40 }, // two fragments with a 4 px gap: IoU 720 / 1600 each
  { id: 9, x: 72, y: 10, w: 18, h: 40 },
  { id: 10, x: 110, y: 10, w: 26, h: 12 },
  { id: 11, x: 20, y: 70, w: 24, h: 24 }, // sand called a particle
]);

describe('sizeRecall', () => {
  it('classifies each true particle as found, split, merged or missed, binned by its own b-axis', () => {
    const r = sizeRecall(truth, pred);
    const outcome = Object.fromEntries(r.particles.map((p) => [p.id, p.outcome]));
    expect(outcome).toEqual({ 1: 'found', 2: 'split', 3: 'merged', 4: 'merged', 5: 'missed' });
    const at = (lo: number) => r.octaves.find((o) => o.lo === lo)!;
    expect(at(8)).toMatchObject({ n: 2, merged: 2, found: 0, recall: 0 });
    expect(at(16)).toMatchObject({ n: 2, found: 1, missed: 1, recall: 0.5 });
    expect(at(32)).toMatchObject({ n: 1, split: 1, recall: 0 });
  });
});

describe('sizeBiasOf', () => {
  it('reads the found particles at their predicted b-axis over their true one, per octave of the true b-axis', () => {
    const r = sizeRecall(truth, pred);
    expect(r.particles.filter((p) => p.match !== undefined).map((p) => [p.id, p.match])).toEqual([[1, 7]]); // only the found one
    const predB = new Map(measureParticles(pred).map((p) => [p.id, p.minorPx]));
    const found = (particles: typeof r.particles, b: Map<number, number>) => particles.flatMap((q) => (q.match === undefined ? [] : [{ minorPx: q.minorPx, readPx: b.get(q.match)! }]));
    const bias = sizeBiasOf(found(r.particles, predB));
    const at = (lo: number) => bias.find((o) => o.lo === lo)!;
    expect(at(16)).toMatchObject({ n: 1, medianRatio: 1, p16: 1, p84: 1 }); // 20² read as 20² (shifted by a pixel)
    expect(at(8).n).toBe(0);
    expect(at(8).medianRatio).toBeNaN();
    // Outlines one pixel short on each side: a 20² stone reads 18 wide, a 40² one 38.
    const t = map([{ id: 1, x: 10, y: 10, w: 20, h: 20 }, { id: 2, x: 50, y: 10, w: 40, h: 40 }, { id: 3, x: 100, y: 10, w: 24, h: 24 }]);
    const p = map([{ id: 4, x: 11, y: 11, w: 18, h: 18 }, { id: 5, x: 51, y: 11, w: 38, h: 38 }, { id: 6, x: 100, y: 10, w: 24, h: 24 }]);
    const tb = new Map(measureParticles(t).map((q) => [q.id, q.minorPx]));
    const pb = new Map(measureParticles(p).map((q) => [q.id, q.minorPx]));
    const small = sizeBiasOf(found(sizeRecall(t, p).particles, pb));
    const oct16 = small.find((o) => o.lo === 16)!;
    expect(oct16.n).toBe(2);
    expect(oct16.p16).toBeCloseTo(pb.get(4)! / tb.get(1)!, 6); // the shrunk one, below 1
    expect(oct16.p16).toBeLessThan(0.95);
    expect(oct16.p84).toBeCloseTo(1, 6); // the exact one
    expect(small.find((o) => o.lo === 32)!.medianRatio).toBeCloseTo(pb.get(5)! / tb.get(2)!, 6);
  });
});

describe('sizePrecision', () => {
  it('counts a predicted particle as matched only at IoU ≥ 0.5 with one true particle, binned by its own b-axis', () => {
    const r = sizePrecision(truth, pred);
    const matched = Object.fromEntries(r.particles.map((p) => [p.id, p.matched]));
    // Only the whole stone: the fragments (IoU 0.45), the merge (IoU 144 / 312) and the sand blob match nothing.
    expect(matched).toEqual({ 7: true, 8: false, 9: false, 10: false, 11: false });
    const at = (lo: number) => r.octaves.find((o) => o.lo === lo)!;
    expect(at(8)).toMatchObject({ n: 1, matched: 0, precision: 0 }); // the 26×12 merge has a 12 px b-axis
    expect(at(16)).toMatchObject({ n: 4, matched: 1, precision: 0.25 });
    expect(at(32).n).toBe(0);
  });

  it('says where each unmatched particle lies: on the sand, inside a larger stone, across two, or a loose outline', () => {
    const r = sizePrecision(truth, pred);
    const kind = Object.fromEntries(r.particles.map((p) => [p.id, p.kind]));
    expect(kind).toEqual({ 7: undefined, 8: 'fragment', 9: 'fragment', 10: 'merge', 11: 'background' });
    const at = (lo: number) => r.octaves.find((o) => o.lo === lo)!;
    expect(at(8).unmatched).toEqual({ background: 0, fragment: 0, merge: 1, misfit: 0 });
    expect(at(16).unmatched).toEqual({ background: 1, fragment: 2, merge: 0, misfit: 0 });
    // A 20² outline shifted 8 px off a 20² stone: 60 % on it, IoU 240 / 560, and the stone is not twice its size.
    const t = map([{ id: 1, x: 150, y: 10, w: 20, h: 20 }]);
    const p = map([{ id: 1, x: 158, y: 10, w: 20, h: 20 }]);
    expect(sizePrecision(t, p).particles).toMatchObject([{ id: 1, matched: false, kind: 'misfit' }]);
  });

  it('leaves out predicted particles with no pixel inside the labelled region', () => {
    const valid = new Uint8Array(W * H).fill(1);
    for (let i = 60; i < H; i++) for (let j = 0; j < 60; j++) valid[i * W + j] = 0; // the sand blob's corner
    expect(sizePrecision(truth, pred, { valid }).particles.map((p) => p.id).sort((a, b) => a - b)).toEqual([7, 8, 9, 10]);
  });
});

describe('sizeRecallAndPrecision', () => {
  it('gives what sizeRecall and sizePrecision give apart, from one pass', () => {
    const valid = new Uint8Array(W * H).fill(1);
    for (let i = 60; i < H; i++) for (let j = 0; j < 60; j++) valid[i * W + j] = 0;
    for (const options of [{}, { valid }, { excludeEdge: false }]) {
      const both = sizeRecallAndPrecision(truth, pred, options);
      expect(both.recall).toEqual(sizeRecall(truth, pred, options));
      expect(both.precision).toEqual(sizePrecision(truth, pred, options));
    }
  });
});
