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

  it('pools photos of both kinds', () => {
    const s = new SegmentationScorer();
    s.add({ truth, pred });
    s.add({ truth, pred, complete: true });
    // 4 true positives; 4 truths; labelled predictions 2 + 3.
    expect(s.result().f1Labelled).toBeCloseTo((2 * 4) / (4 + 5), 12);
  });
});
