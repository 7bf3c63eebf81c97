// The generalization benchmark's baseline and chart: the lab's CNN has the shape the lab described, learns (its
// loss falls on a tiny set whose target depends on the image), leaves no tensor behind; the chart names every method.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { meanVector, rmse } from '../../src/aggregate/index.js';
import { initBackend } from '../../src/segment/index.js';
import { registerWasmTrainingKernels } from '../../src/train/index.js';
import { buildRegressionCnn, predictVectors, trainRegressionCnn } from '../../bench/generalization/regressionCnn.js';
import type { CnnLoss } from '../../bench/generalization/regressionCnn.js';
import { renderChart } from '../../bench/generalization/chart.js';

beforeAll(async () => {
  const info = await initBackend();
  if (info.name === 'wasm') registerWasmTrainingKernels();
});

describe('regression CNN baseline', () => {
  it('has 4 conv layers and 3 dense layers ending in Linear(32, 5)', () => {
    const m = buildRegressionCnn(32, 5, 1);
    const kinds = m.layers.map((l) => l.getClassName());
    expect(kinds.filter((k) => k === 'Conv2D')).toHaveLength(4);
    const dense = m.layers.filter((l) => l.getClassName() === 'Dense');
    expect(dense).toHaveLength(3);
    const last = dense.at(-1)!.getWeights()[0]!;
    expect(last.shape).toEqual([32, 5]);
    m.dispose();
  });

  it.each<CnnLoss>(['rmse', 'soft-ce'])('learns a brightness-dependent target with %s loss, outputs distributions, leaks nothing', async (loss) => {
    const before = tf.memory().numTensors;
    // 16 images of 16²: bright ones have target [1,0,0,0,0]-ish, dark ones the reverse. Learnable from the image.
    const n = 16;
    const bright = Array.from({ length: n }, (_, k) => k % 2 === 0);
    const x = tf.tidy(() => tf.concat<tf.Tensor4D>(bright.map((b, k) => tf.fill([1, 16, 16, 1], b ? 0.8 : 0.2).add<tf.Tensor4D>(tf.randomUniform([1, 16, 16, 1], -0.05, 0.05, 'float32', k))), 0));
    const y = tf.tensor2d(bright.map((b) => (b ? [0.6, 0.1, 0.1, 0.1, 0.1] : [0.1, 0.1, 0.1, 0.1, 0.6])));
    const losses: number[] = [];
    const model = await trainRegressionCnn(x, y, { inputSize: 16, loss, epochs: 20, batchSize: 8, learningRate: 3e-3, seed: 3, onEpoch: (_e, l) => losses.push(l) });
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    const pred = await predictVectors(model, x, 5);
    expect(pred).toHaveLength(n);
    for (const p of pred) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // In inference mode (batch-norm moving statistics), it beats the constant predictor by far (that one: 0.158).
    const targets = await y.array();
    const err = pred.reduce((a, p, k) => a + rmse(p, targets[k]!), 0) / n;
    expect(err).toBeLessThan(rmse(meanVector(targets), targets[0]!) / 2);
    // After training, bright images put more mass in bin 1 than dark ones do.
    const meanFirst = (want: boolean): number => pred.filter((_, k) => bright[k] === want).reduce((a, p) => a + p[0]!, 0) / (n / 2);
    expect(meanFirst(true)).toBeGreaterThan(meanFirst(false));
    model.dispose();
    x.dispose();
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});

describe('generalization chart', () => {
  it('draws each method with its seen and unseen RMSE, escaping names', () => {
    const svg = renderChart(
      [
        { method: 'photosieve <calibrated>', seen: { rmse: 0.04 }, unseen: { rmse: 0.05 }, perGroup: { g01: 0.03, h01: 0.06 } },
        { method: 'CNN & RMSE', seen: { rmse: 0.03 }, unseen: { rmse: 0.2 }, perGroup: { g01: 0.02, h01: 0.25 } },
      ],
      { title: 'test' },
    );
    expect(svg).toContain('photosieve &lt;calibrated&gt;');
    expect(svg).toContain('CNN &amp; RMSE');
    for (const v of ['0.040', '0.050', '0.030', '0.200']) expect(svg).toContain(`>${v}<`);
    expect(svg.match(/<circle /g)).toHaveLength(5); // 4 groups + the legend's dot
  });
});
