// SegmentationScorer: F1 over all predictions, and over predictions on labelled ground unless the labels are
// complete (synthetic photos), where a particle on the sand is a false particle like any other.
import { describe, expect, it } from 'vitest';
import { SegmentationScorer } from '../../src/aggregate/segmentationScore.js';
import type { InstanceMap } from '../../src/core/index.js';

/** A 40×20 map with squares (x, y, side, id). */
function squares(list: [number, number, number, number][]): InstanceMap {
  const width = 40;
  const height = 20;
  const data = new Int32Array(width * height);
  for (const [x0, y0, s, id] of list) for (let y = y0; y < y0 + s; y++) for (let x = x0; x < x0 + s; x++) data[y * width + x] = id;
  return { width, height, data };
}

describe('SegmentationScorer', () => {
  // Two labelled stones, both found; the prediction adds a third particle on unlabelled ground.
  const truth = squares([[1, 1, 6, 1], [10, 1, 6, 2]]);
  const pred = squares([[1, 1, 6, 1], [10, 1, 6, 2], [25, 5, 6, 3]]);

  it('leaves a particle on unlabelled ground out of f1Labelled when the labels may be incomplete', () => {
    const s = new SegmentationScorer();
    s.add({ truth, pred });
    const r = s.result();
    expect(r.f1).toBeCloseTo((2 * 2) / (2 + 3), 12);
    expect(r.f1Labelled).toBe(1);
  });

  it('counts it when the labels are complete', () => {
    const s = new SegmentationScorer();
    s.add({ truth, pred, complete: true });
    const r = s.result();
    expect(r.f1Labelled).toBeCloseTo(r.f1, 12);
    expect(r.f1Labelled).toBeCloseTo(0.8, 12);
  });

  it('reports the share of predicted particle area lying mostly off every true particle, whatever the labels', () => {
    const s = new SegmentationScorer();
    expect(s.result().offLabelArea).toBeNaN();
    s.add({ truth, pred });
    expect(s.result().offLabelArea).toBeCloseTo(1 / 3, 12); // three 6² particles, one on the sand
    // Half of a particle on a stone keeps it on the labels; a sliver of one does not.
    const t = squares([[0, 0, 10, 1]]);
    s.add({ truth: t, pred: squares([[5, 0, 10, 4]]) }); // 50 of its 100 px on the stone
    s.add({ truth: t, pred: squares([[8, 0, 10, 5]]), complete: true }); // 20 of 100
    expect(s.result().offLabelArea).toBeCloseTo((36 + 100) / (108 + 200), 12);
  });

  it('pools photos of both kinds', () => {
    const s = new SegmentationScorer();
    s.add({ truth, pred });
    s.add({ truth, pred, complete: true });
    // 4 true positives; 4 truths; labelled predictions 2 + 3.
    expect(s.result().f1Labelled).toBeCloseTo((2 * 4) / (4 + 5), 12);
  });
});

describe('octaveF1', () => {
  // 400×100: ten 10² stones (b-axis 11.5 px: 8–16) and five 40² stones (46 px: 32–64).
  const W = 400;
  const H = 100;
  const rects = (list: [number, number, number, number, number][]): InstanceMap => {
    const data = new Int32Array(W * H);
    for (const [x0, y0, w, h, id] of list) for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) data[y * W + x] = id;
    return { width: W, height: H, data };
  };
  const small = Array.from({ length: 10 }, (_, k) => [5 + 15 * k, 5, 10, 10, k + 1] as [number, number, number, number, number]);
  const large = Array.from({ length: 5 }, (_, k) => [5 + 50 * k, 30, 40, 40, 11 + k] as [number, number, number, number, number]);
  const truth = rects([...small, ...large]);
  // Every small stone found, every large one split into four 20² quarters (23 px: 16–32, no true stone that size).
  const quarters = large.flatMap(([x, y, , , id]) => [0, 1, 2, 3].map((q) => [x + 20 * (q % 2), y + 20 * Math.floor(q / 2), 20, 20, 100 + 4 * id + q] as [number, number, number, number, number]));
  const pred = rects([...small, ...quarters]);

  it('weighs every populated octave alike: all fines found and every boulder split scores 0.5', () => {
    const s = new SegmentationScorer();
    s.add({ truth, pred, complete: true });
    const r = s.result();
    expect(r.octaveF1).toBe(0.5);
    expect(r.f1).toBeCloseTo(20 / 45, 12);
    const at = (lo: number) => r.octaves.find((o) => o.lo === lo)!;
    expect(at(8)).toMatchObject({ n: 10, recall: 1, precision: 1, f1: 1 });
    expect(at(32)).toMatchObject({ n: 5, recall: 0, f1: 0 });
    // The fragments' octave has no true stone: it does not enter the mean.
    expect(at(16).n).toBe(0);
    expect(at(16).f1).toBeNaN();
  });

  it('scores an octave with found stones but no predicted particle of its size by its recall', () => {
    // Five 30² stones (b-axis 34.6 px: 32–64), each found as a 26² square inside it (30 px: 16–32; IoU 0.75).
    const five = Array.from({ length: 5 }, (_, k) => [5 + 40 * k, 5, 30, 30, k + 1] as [number, number, number, number, number]);
    const s = new SegmentationScorer();
    s.add({ truth: rects(five), pred: rects(five.map(([x, y, , , id]) => [x + 2, y + 2, 26, 26, id])), complete: true });
    const r = s.result();
    expect(r.octaves.find((o) => o.lo === 32)).toMatchObject({ n: 5, recall: 1, f1: 1 });
    expect(r.octaveF1).toBe(1);
  });

  it('counts a particle on unlabelled ground against precision only where the labels are complete', () => {
    const withSand = rects([...small, ...large, [300, 75, 10, 10, 99]]);
    for (const complete of [false, true]) {
      const s = new SegmentationScorer();
      s.add({ truth, pred: withSand, complete });
      const at8 = s.result().octaves.find((o) => o.lo === 8)!;
      expect(at8.precision).toBeCloseTo(complete ? 10 / 11 : 1, 12);
    }
  });
});
