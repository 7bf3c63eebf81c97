// The generator's models, checked without rendering: mass-matched particle sets, outlines whose moment ellipse
// has the drawn axes, the held-out distance rule, bin names, and option errors from the library and the CLI.
import { describe, expect, it, vi } from 'vitest';
import { PhotosieveError, binColumnNames, binIndex, ringSignedArea } from '../../src/core/index.js';
import { synthCommand } from '../../src/cli/synth.js';
import {
  createRandom,
  euclidean,
  makeGroupVectors,
  makeParticleShape,
  sampleParticleSizes,
  validateSynthOptions,
} from '../../src/synth/index.js';

const defaults = validateSynthOptions({ outDir: 'unused' });

describe('sampleParticleSizes', () => {
  it('matches the prescribed mass fractions within 0.02 for random vectors on a 1500 px frame', () => {
    const rng = createRandom(5);
    const { training } = makeGroupVectors(rng.split(1), { bins: 5, groups: 40, alpha: 1 });
    let worst = 0;
    for (const [k, vector] of training.entries()) {
      const s = sampleParticleSizes(rng.split(100 + k), vector, { boundsPx: defaults.boundsPx, frameAreaPx: 1500 * 1500 });
      const realized = [0, 0, 0, 0, 0];
      for (const p of s.particles) {
        realized[p.bin]! += p.aPx * p.bPx * p.cPx;
        expect(p.bPx).toBeGreaterThanOrEqual(defaults.boundsPx[p.bin]! * (1 - 1e-12));
        expect(p.bPx).toBeLessThan(defaults.boundsPx[p.bin + 1]!);
        expect(p.aPx).toBeGreaterThanOrEqual(p.bPx * (1 - 1e-12));
        expect(p.cPx).toBeLessThanOrEqual(p.bPx * (1 + 1e-12));
      }
      const total = realized.reduce((a, b) => a + b, 0);
      if (s.coarseBins.length > 0) continue;
      realized.forEach((m, bin) => (worst = Math.max(worst, Math.abs(m / total - vector[bin]!))));
      s.realizedFractions.forEach((f, bin) => expect(f).toBeCloseTo(realized[bin]! / total, 9));
    }
    expect(worst).toBeLessThan(0.02);
  });

  it('reports a bin too coarse for the frame instead of pretending to match it', () => {
    // 100 px frame at 0.1 mm/px: the ge_11.2mm bin would need a share of at least one 112 px stone.
    const s = sampleParticleSizes(createRandom(3), [0.3, 0.3, 0.3, 0.05, 0.05], {
      boundsPx: defaults.boundsPx,
      frameAreaPx: 100 * 100,
    });
    expect(s.coarseBins).toContain(4);
    expect(s.realizedFractions[4]).toBe(0);
    expect(s.particles.every((p) => p.bin !== 4)).toBe(true);
  });

  it('refuses particle sets beyond what a 16-bit instance map holds', () => {
    expect(() =>
      sampleParticleSizes(createRandom(1), [1, 0, 0, 0, 0], { boundsPx: defaults.boundsPx, frameAreaPx: 20000 * 20000 }),
    ).toThrow(/particles in this frame/);
  });
});

describe('makeParticleShape', () => {
  it('gives the outline a moment ellipse with exactly the drawn a- and b-axes', () => {
    const rng = createRandom(9);
    for (let k = 0; k < 20; k++) {
      const b = 10 + 80 * rng.uniform();
      const a = b * (1 + rng.uniform());
      const shape = makeParticleShape(rng, { aPx: a, bPx: b, cx: 50, cy: 60, angleRad: rng.uniform() * 3, roundness: rng.uniform(), roughness: rng.uniform() });
      const ring = shape.outline;
      // Polygon second moments → full axes 4·√eigenvalue (the regionprops convention measure uses).
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
      // Vertices are rounded to 1/1000 px: that is the only error left.
      expect(Math.abs(4 * Math.sqrt((cxx + cyy) / 2 + dev) - a)).toBeLessThan(1e-3);
      expect(Math.abs(4 * Math.sqrt((cxx + cyy) / 2 - dev) - b)).toBeLessThan(1e-3);
      expect(Math.abs(ringSignedArea(ring))).toBeGreaterThan(0.5 * a * b);
    }
  });
});

describe('makeGroupVectors', () => {
  it('keeps every held-out vector at least holdoutDistance from every training vector', () => {
    const v = makeGroupVectors(createRandom(4), { bins: 5, groups: 25, holdout: 10, holdoutDistance: 0.2, alpha: 2 });
    expect(v.training).toHaveLength(25);
    expect(v.holdout).toHaveLength(10);
    for (const h of v.holdout) {
      expect(h.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
      for (const t of v.training) expect(euclidean(h, t)).toBeGreaterThanOrEqual(0.2);
    }
  });

  it('fails with the fix when no vector can be that far', () => {
    let caught: unknown;
    try {
      makeGroupVectors(createRandom(4), { bins: 5, groups: 25, holdout: 1, holdoutDistance: 1.3, maxTries: 500 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PhotosieveError);
    expect((caught as PhotosieveError).toLine()).toMatch(/distance ≥ 1.3 .* after 500 tries\. Fix: lower --holdout-distance/);
  });
});

describe('bins', () => {
  it('names one column per bin from the edges', () => {
    expect(binColumnNames([4, 5.6, 8, 11.2], 'mm')).toEqual(['lt_4mm', '4_5.6mm', '5.6_8mm', '8_11.2mm', 'ge_11.2mm']);
    expect(binColumnNames([10], 'px')).toEqual(['lt_10px', 'ge_10px']);
    expect([binIndex([4, 8], 3.9), binIndex([4, 8], 4), binIndex([4, 8], 9)]).toEqual([0, 1, 2]);
    expect(() => binColumnNames([4, 4], 'mm')).toThrow(/strictly ascending/);
  });
});

describe('validateSynthOptions', () => {
  const bad: [Parameters<typeof validateSynthOptions>[0], RegExp][] = [
    [{ outDir: 'x', vector: [0.5, 0.5] }, /--vector must be 5 fractions/],
    [{ outDir: 'x', vector: [0.5, 0.5, 0.5, 0, 0] }, /summing to 1/],
    [{ outDir: 'x', vector: [0.2, 0.2, 0.2, 0.2, 0.2], groups: 3 }, /cannot be used together/],
    [{ outDir: 'x', groups: 0 }, /--groups must be an integer/],
    [{ outDir: 'x', binEdgesMm: [4, 2] }, /--bins must be strictly ascending/],
    [{ outDir: 'x', scaleMmPerPx: 1 }, /--min-size/],
    [{ outDir: 'x', seed: -1 }, /--seed/],
    [{ outDir: 'x', roundness: 2 }, /--roundness/],
    [{ outDir: 'x', width: 5 }, /--width/],
    [{ outDir: 'x', holdoutDistance: 2 }, /--holdout-distance/],
  ];
  it.each(bad)('rejects %j', (options, message) => {
    let caught: unknown;
    try {
      validateSynthOptions(options);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PhotosieveError);
    expect((caught as PhotosieveError).toLine()).toMatch(message);
    expect((caught as PhotosieveError).fix).toBeTruthy();
  });

  it('normalizes a vector that sums to 1 within 0.001 and derives the outer size bounds', () => {
    const o = validateSynthOptions({ outDir: 'x', vector: [0.2, 0.2, 0.2, 0.2, 0.2005] });
    expect(o.vector!.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    expect(o.minSizeMm).toBeCloseTo(2.857, 3);
    expect(o.maxSizeMm).toBeCloseTo(15.68, 2);
    expect(o.boundsPx).toHaveLength(6);
  });
});

describe('synth command', () => {
  it('prints one line naming the flag and sets the exit code instead of throwing', async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const before = process.exitCode;
    try {
      await synthCommand().exitOverride().parseAsync(['--out', 'never-written', '--scale', 'abc'], { from: 'user' });
      expect(process.exitCode).toBe(2);
      expect(writes.join('')).toBe('photosieve synth: --scale must be a number, received "abc". Fix: pass a number, e.g. --scale 0.1\n');
      writes.length = 0;
      await synthCommand().exitOverride().parseAsync(['--out', 'never-written', '--bins', '4,8', '--vector', '0.5,0.5'], { from: 'user' });
      expect(writes.join('')).toMatch(/^photosieve synth: --vector must be 3 fractions .* Fix: pass 3 comma-separated fractions\n$/);
    } finally {
      spy.mockRestore();
      process.exitCode = before;
    }
  });
});
