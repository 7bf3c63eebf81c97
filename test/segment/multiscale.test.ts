// The multi-scale semantic stage: how deep the pyramid goes, the fusion rule (a pixel's `large` share goes to the
// coarser level, the rest stays), and the whole stage on an engine whose answer depends on the level it sees.
import { describe, expect, it } from 'vitest';
import type { ModelMeta, Probabilities, TileEngine } from '../../src/segment/index.js';
import { backgroundHandOn, boundaryHandOn, erode3, fuseLevel, fuseLevelAll, handOnBesideLarge, upsampleChannel, levelTileSize, planTiles, predictMultiscale, pyramidLevels, upsampleProbabilities } from '../../src/segment/index.js';
import { constantRaster } from './helpers.js';

const META: ModelMeta = {
  format: 'photosieve-unet/1',
  classes: ['background', 'body', 'boundary', 'large'],
  sizeBand: { maxPx: 32 },
  inputChannels: 3,
  normalization: 'unit',
  tileSize: 64,
  architecture: { depth: 3, baseChannels: 4, batchNorm: true, upsampling: 'transpose' },
};

describe('pyramid depth', () => {
  it('adds levels until the largest particle fits the band, never below a 32 px frame', () => {
    expect(pyramidLevels(META, 1000, 1000)).toBe(4); // 500 px stones / 32 → 2^4
    expect(pyramidLevels(META, 1000, 1000, 30)).toBe(0);
    expect(pyramidLevels(META, 1000, 1000, 100)).toBe(2);
    expect(pyramidLevels(META, 100, 4000)).toBe(1); // the 100 px side allows one halving to 50 px
    expect(pyramidLevels({ ...META, classes: ['background', 'body', 'boundary'], sizeBand: undefined }, 1000, 1000)).toBe(0);
  });
});

describe('tiles of the coarser levels', () => {
  const BIG: ModelMeta = { ...META, tileSize: 128, architecture: { ...META.architecture, depth: 5 } };
  const runPixels = (w: number, h: number, t: number): number => planTiles(w, h, { tileSize: t, overlap: Math.max(32, Math.ceil(t / 8)), align: 16 }).tiles.length * t * t;

  it('picks the tile from 256 to 512 px that runs the fewest pixels over the level', () => {
    for (const side of [94, 188, 265, 375, 530, 750, 1000, 1500]) {
      const t = levelTileSize(BIG, side, side);
      expect(t % 16).toBe(0);
      expect(t).toBeGreaterThanOrEqual(256);
      expect(t).toBeLessThanOrEqual(512);
      for (let other = 256; other <= 512; other += 16) expect(runPixels(side, side, t)).toBeLessThanOrEqual(runPixels(side, side, other));
    }
    // The measured cases of the doc comment: a 750² level in 4 tiles instead of 16, a 375² level in 1 instead of 4.
    expect(runPixels(750, 750, levelTileSize(BIG, 750, 750))).toBeLessThan(0.8 * runPixels(750, 750, 256));
    expect(planTiles(375, 375, { tileSize: levelTileSize(BIG, 375, 375), overlap: Math.ceil(levelTileSize(BIG, 375, 375) / 8), align: 16 }).tiles).toHaveLength(1);
  });

  it('runs full resolution on the default tile and coarser levels on their own; an explicit tile size wins everywhere', async () => {
    const seen: number[] = [];
    const engine: TileEngine = {
      info: { name: 'cpu', skipped: [] },
      maxBatchPixels: 1 << 24,
      run(_input, n, h, w) {
        seen.push(w);
        const out = new Float32Array(n * h * w * 4);
        for (let q = 0; q < n * h * w; q++) out[4 * q + 1] = 1;
        return Promise.resolve(out);
      },
      dispose: () => Promise.resolve(),
    };
    await predictMultiscale(engine, BIG, constantRaster(600, 600, 90), { levels: 2 });
    const last = seen.at(-1)!;
    expect(last).toBe(256); // full resolution, run last
    expect(new Set(seen.slice(0, seen.length - planTiles(600, 600, { tileSize: 256, overlap: 32, align: 16 }).tiles.length))).toEqual(
      new Set([levelTileSize(BIG, 150, 150), levelTileSize(BIG, 300, 300)]),
    );
    seen.length = 0;
    await predictMultiscale(engine, BIG, constantRaster(600, 600, 90), { levels: 2, tileSize: 256 });
    expect(new Set(seen)).toEqual(new Set([256]));
  });
});

describe('fusion', () => {
  it('keeps background/body/boundary and replaces the large share with the upsampled coarser map', () => {
    const coarse: Probabilities = { width: 1, height: 1, data: Float32Array.from([0.1, 0.7, 0.2]) };
    const p = { width: 2, height: 1, channels: 4, data: Float32Array.from([0.5, 0.3, 0.2, 0, 0, 0, 0, 1]) };
    const q = fuseLevel(p, coarse);
    expect(Array.from(q.data).map((v) => Number(v.toFixed(6)))).toEqual([0.5, 0.3, 0.2, 0.1, 0.7, 0.2]);
  });

  it('equals P[bg, body, boundary] + P[large] · upsampleProbabilities(Q) pixel for pixel on random maps of odd sizes', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const coarse: Probabilities = { width: 5, height: 3, data: Float32Array.from({ length: 45 }, rand) };
    const p = { width: 11, height: 7, channels: 4, data: Float32Array.from({ length: 11 * 7 * 4 }, (_, k) => (k % 4 === 3 && k % 3 === 0 ? 0 : rand())) };
    const up = upsampleProbabilities(coarse, 11, 7);
    const q = fuseLevel(p, coarse);
    for (let n = 0; n < 77; n++) {
      for (let k = 0; k < 3; k++) expect(q.data[3 * n + k]).toBeCloseTo(p.data[4 * n + k]! + p.data[4 * n + 3]! * up[3 * n + k]!, 6);
    }
  });

  /** fuseLevelAll's scale alone (the coarser probabilities do not enter it). */
  const scaleOf = (p: { width: number; height: number; channels: number; data: Float32Array }, k: number, coarserScale: { width: number; height: number; data: Float32Array }, m?: Float32Array, g?: Float32Array, lambda?: Float32Array): Float32Array =>
    fuseLevelAll(p, k, { width: coarserScale.width, height: coarserScale.height, data: new Float32Array(coarserScale.width * coarserScale.height * 3) }, coarserScale, lambda, m, g).scale!;

  it('the owning level\'s scale: 2^k where level k keeps a pixel, the coarser scale where it hands all on, the mix between', () => {
    let seed = 11;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const coarser = { width: 5, height: 3, data: new Float32Array(15).fill(8) }; // level 3 owns all of the coarser map
    const p = { width: 11, height: 7, channels: 4, data: Float32Array.from({ length: 11 * 7 * 4 }, rand) };
    const handOn = Float32Array.from({ length: 77 }, () => 0.2 * rand());
    const s = scaleOf(p, 1, coarser, handOn);
    for (let n = 0; n < 77; n++) {
      const d = Math.min(1, p.data[4 * n + 3]! + handOn[n]!);
      expect(s[n]).toBeCloseTo((1 - d) * 2 + d * 8, 5);
    }
    // A ramp of coarser scales is interpolated like the probabilities (bilinear, half-pixel centres).
    const ramp = scaleOf({ width: 4, height: 1, channels: 4, data: Float32Array.from({ length: 16 }, (_, k) => (k % 4 === 3 ? 1 : 0)) }, 0, { width: 2, height: 1, data: Float32Array.from([2, 4]) });
    expect(Array.from(ramp)).toEqual([2, 2.5, 3.5, 4]);
  });

  it('a coarser level\'s large share λ is handed on from everything the level keeps: (1 − λ) · kept + (d + λ(1 − d)) · up(Q)', () => {
    let seed = 5;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const coarse: Probabilities = { width: 4, height: 3, data: Float32Array.from({ length: 36 }, rand) };
    const p = { width: 9, height: 5, channels: 4, data: Float32Array.from({ length: 9 * 5 * 4 }, rand) };
    const m = Float32Array.from({ length: 45 }, () => 0.1 * rand());
    const g = Float32Array.from({ length: 45 }, () => 0.1 * rand());
    const lambda = Float32Array.from({ length: 45 }, (_, n) => (n % 5 === 0 ? 0 : n % 7 === 0 ? 1 : rand()));
    const up = upsampleProbabilities(coarse, 9, 5);
    const q = fuseLevel(p, coarse, m, g, lambda);
    for (let n = 0; n < 45; n++) {
      const d = p.data[4 * n + 3]! + m[n]! + g[n]!;
      const l = lambda[n]!;
      const kept = [p.data[4 * n]! - g[n]!, p.data[4 * n + 1]!, p.data[4 * n + 2]! - m[n]!];
      for (let k = 0; k < 3; k++) expect(q.data[3 * n + k]).toBeCloseTo((1 - l) * kept[k]! + (d + l * (1 - d)) * up[3 * n + k]!, 5);
    }
    // λ = 0 is the fusion without it; λ = 1 is the coarser map alone.
    expect(fuseLevel(p, coarse, m, g, new Float32Array(45)).data).toEqual(fuseLevel(p, coarse, m, g).data);
    const all = fuseLevel(p, coarse, m, g, new Float32Array(45).fill(1));
    for (let n = 0; n < 45 * 3; n++) expect(all.data[n]).toBeCloseTo(up[n]!, 5);
    // The scale follows the same shares.
    const sc = scaleOf(p, 0, { width: 4, height: 3, data: new Float32Array(12).fill(4) }, m, g, lambda);
    for (let n = 0; n < 45; n++) {
      const d0 = Math.min(1, p.data[4 * n + 3]! + m[n]! + g[n]!);
      const d = d0 + lambda[n]! * (1 - d0);
      expect(sc[n]).toBeCloseTo((1 - d) + d * 4, 5);
    }
  });

  it('fuseLevelAll with λ at the coarser size equals the formulas with λ, the probabilities and the scale up-sampled separately', () => {
    let seed = 9;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const [w, h, cw, ch] of [[9, 5, 5, 3], [16, 16, 8, 8], [7, 12, 4, 6]] as const) {
      const coarse: Probabilities = { width: cw, height: ch, data: Float32Array.from({ length: cw * ch * 3 }, rand) };
      const cScale = { width: cw, height: ch, data: Float32Array.from({ length: cw * ch }, () => 2 + 6 * rand()) };
      const cLarge = { width: cw, height: ch, data: Float32Array.from({ length: cw * ch }, (_, n) => (n % 3 === 0 ? 0 : rand())) };
      const p = { width: w, height: h, channels: 4, data: Float32Array.from({ length: w * h * 4 }, rand) };
      const m = Float32Array.from({ length: w * h }, () => 0.2 * rand());
      const g = Float32Array.from({ length: w * h }, () => 0.2 * rand());
      const up = upsampleProbabilities(coarse, w, h);
      const upS = upsampleChannel(cScale.data, cw, ch, w, h);
      for (const large of [undefined, cLarge]) {
        const lambda = large ? upsampleChannel(large.data, cw, ch, w, h) : new Float32Array(w * h);
        const all = fuseLevelAll(p, 1, coarse, cScale, large, m, g);
        for (let n = 0; n < w * h; n++) {
          const d0 = p.data[4 * n + 3]! + m[n]! + g[n]!;
          const l = lambda[n]!;
          const kept = [p.data[4 * n]! - g[n]!, p.data[4 * n + 1]!, p.data[4 * n + 2]! - m[n]!];
          for (let c = 0; c < 3; c++) expect(all.probabilities.data[3 * n + c]).toBeCloseTo((1 - l) * kept[c]! + (d0 + l * (1 - d0)) * up[3 * n + c]!, 5);
          const ds = Math.min(1, d0) + l * (1 - Math.min(1, d0));
          expect(all.scale![n]).toBeCloseTo((1 - ds) * 2 + ds * upS[n]!, 5);
        }
        if (large) for (let n = 0; n < w * h; n++) expect(all.inherited![n]).toBeCloseTo(lambda[n]!, 6);
        else expect(all.inherited).toBeUndefined();
        // Full resolution (k = 0) has no finer level to hand λ on to: the same fusion, no inherited map.
        const full = fuseLevelAll(p, 0, coarse, cScale, large, m, g);
        expect(full.inherited).toBeUndefined();
        for (let n = 0; n < w * h * 3; n++) expect(full.probabilities.data[n]).toBe(all.probabilities.data[n]);
        // λ given at this level's size instead: the same probabilities and scale.
        const atLevel = fuseLevelAll(p, 1, coarse, cScale, lambda, m, g);
        for (let n = 0; n < w * h * 3; n++) expect(atLevel.probabilities.data[n]).toBeCloseTo(all.probabilities.data[n]!, 6);
        for (let n = 0; n < w * h; n++) expect(atLevel.scale![n]).toBeCloseTo(all.scale![n]!, 6);
      }
    }
    // Maps of another size are refused.
    const p = { width: 4, height: 4, channels: 4, data: new Float32Array(64) };
    const coarse: Probabilities = { width: 2, height: 2, data: new Float32Array(12) };
    expect(() => fuseLevelAll(p, 1, coarse, { width: 3, height: 2, data: new Float32Array(6) })).toThrow(/coarserScale/);
    expect(() => fuseLevelAll(p, 1, coarse, undefined, { width: 2, height: 3, data: new Float32Array(6) })).toThrow(/coarserLarge/);
    expect(() => fuseLevelAll(p, 1, coarse, undefined, new Float32Array(5))).toThrow(/coarserLarge\.length/);
  });

  it('erode3 is the 3 × 3 minimum with clamped edges; upsampleChannel interpolates like upsampleProbabilities', () => {
    const src = Float32Array.from([1, 1, 1, 1, 1, 1, 0.5, 1, 1, 1, 1, 1]); // 4 × 3, one dip in row 1, column 2
    expect(Array.from(erode3(src, 4, 3))).toEqual([1, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5]);
    for (const [w, h] of [[1, 1], [1, 5], [6, 1], [7, 4]] as const) {
      const r = Float32Array.from({ length: w * h }, (_, n) => ((n * 7919) % 13) / 13);
      const e = erode3(r, w, h);
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          let min = Infinity;
          for (let y = Math.max(0, i - 1); y <= Math.min(h - 1, i + 1); y++) for (let x = Math.max(0, j - 1); x <= Math.min(w - 1, j + 1); x++) min = Math.min(min, r[y * w + x]!);
          expect(e[i * w + j]).toBe(min);
        }
      }
      // Read in place as channel 2 of 3 interleaved ones: the same minimum.
      const interleaved = new Float32Array(3 * w * h).fill(-1);
      for (let n = 0; n < w * h; n++) interleaved[3 * n + 2] = r[n]!;
      expect(Array.from(erode3(interleaved, w, h, 3, 2))).toEqual(Array.from(e));
    }
    const q: Probabilities = { width: 3, height: 2, data: Float32Array.from({ length: 18 }, (_, k) => (k * 7) % 5) };
    const chan = Float32Array.from({ length: 6 }, (_, n) => q.data[3 * n + 1]!);
    const up = upsampleProbabilities(q, 7, 5);
    const one = upsampleChannel(chan, 3, 2, 7, 5);
    for (let n = 0; n < 35; n++) expect(one[n]).toBeCloseTo(up[3 * n + 1]!, 6);
  });

  it('bilinear upsampling with half-pixel centres keeps a constant map constant and interpolates a ramp', () => {
    const flat: Probabilities = { width: 3, height: 2, data: new Float32Array(18).fill(1 / 3) };
    expect(upsampleProbabilities(flat, 6, 4).every((v) => Math.abs(v - 1 / 3) < 1e-6)).toBe(true);
    const ramp: Probabilities = { width: 2, height: 1, data: Float32Array.from([1, 0, 0, 0, 1, 0]) };
    const up = upsampleProbabilities(ramp, 4, 1);
    expect(Array.from(up.filter((_, k) => k % 3 === 1)).map((v) => Number(v.toFixed(3)))).toEqual([0, 0.25, 0.75, 1]);
  });
});

describe('boundary ownership', () => {
  /** Normalised random 4-class maps, with exact zeros in some boundary and large entries. */
  function randomMap(width: number, height: number, seed: number): { width: number; height: number; channels: number; data: Float32Array } {
    let s = seed;
    const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const data = new Float32Array(width * height * 4);
    for (let n = 0; n < width * height; n++) {
      const v = [rand(), rand(), rand() < 0.2 ? 0 : rand(), rand() < 0.3 ? 0 : rand()];
      const sum = v.reduce((a, b) => a + b, 0);
      for (let k = 0; k < 4; k++) data[4 * n + k] = v[k]! / sum;
    }
    return { width, height, channels: 4, data };
  }

  /** P[channel] · Σ large / (Σ large + Σ body) over the clipped (2r+1)² box, summed pixel by pixel: the reference. */
  function handOnByBrute(p: { width: number; height: number; data: Float32Array }, r: number, channel: number): Float64Array {
    const { width: w, height: h } = p;
    const out = new Float64Array(w * h);
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        let large = 0;
        let body = 0;
        for (let a = Math.max(0, i - r); a <= Math.min(h - 1, i + r); a++) {
          for (let c = Math.max(0, j - r); c <= Math.min(w - 1, j + r); c++) {
            large += p.data[4 * (a * w + c) + 3]!;
            body += p.data[4 * (a * w + c) + 1]!;
          }
        }
        const n = i * w + j;
        out[n] = large > 0 ? (p.data[4 * n + channel]! * large) / (large + body) : 0;
      }
    }
    return out;
  }

  it('hands on boundary · Σ large / (Σ large + Σ body) over the clipped box, pixel for pixel', () => {
    for (const [w, h, r, seed] of [[9, 7, 1, 3], [13, 5, 2, 11], [6, 11, 3, 29], [4, 4, 5, 41]] as const) {
      const p = randomMap(w, h, seed);
      const moved = boundaryHandOn(p, r);
      const want = handOnByBrute(p, r, 2);
      for (let n = 0; n < w * h; n++) expect(moved[n]).toBeCloseTo(want[n]!, 6);
    }
  });

  it('hands on the halo around a large stone and keeps the outline of a small one beside it', () => {
    // A 40 px "large" disc with a 3 px boundary ring outside it (the halo a fine level draws in the sand), and a
    // 10 px body disc with its own 2 px boundary ring, 8 px away, on background; the coarser level says background
    // around the large disc, as a level that sees it whole does.
    const w = 80;
    const h = 60;
    const p = { width: w, height: h, channels: 4, data: new Float32Array(w * h * 4) };
    const kind = new Uint8Array(w * h); // 0 other, 1 halo, 2 small ring
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const n = i * w + j;
        const dl = Math.hypot(j - 25, i - 30);
        const ds = Math.hypot(j - 62, i - 30);
        const c = dl <= 20 ? 3 : dl <= 23 ? 2 : ds <= 5 ? 1 : ds <= 7 ? 2 : 0;
        if (c === 2) kind[n] = dl <= 23 ? 1 : 2;
        p.data[4 * n + c] = 0.9;
        p.data[4 * n + (c === 0 ? 1 : 0)] = 0.1;
      }
    }
    const background: Probabilities = { width: 40, height: 30, data: new Float32Array(40 * 30 * 3).map((_, k) => (k % 3 === 0 ? 1 : 0)) };
    const share = (q: Probabilities, k: number): number => {
      let kept = 0;
      let was = 0;
      for (let n = 0; n < w * h; n++) {
        if (kind[n] !== k) continue;
        kept += q.data[3 * n + 2]!;
        was += p.data[4 * n + 2]!;
      }
      return kept / was;
    };
    const owned = fuseLevel(p, background, boundaryHandOn(p, 2));
    const plain = fuseLevel(p, background);
    expect(share(plain, 1)).toBeCloseTo(1, 6);
    expect(share(owned, 1)).toBeLessThan(0.35); // the halo's boundary mostly goes to the coarser level
    expect(share(owned, 2)).toBeGreaterThan(0.95); // the small disc keeps its outline
    for (let n = 0; n < w * h; n++) expect(owned.data[3 * n]! + owned.data[3 * n + 1]! + owned.data[3 * n + 2]!).toBeCloseTo(1, 6);
  });

  it('hands on background · Σ large / (Σ large + Σ body) by the same rule, and both shares from one pass agree with two', () => {
    for (const [w, h, r, seed] of [[9, 7, 1, 5], [13, 5, 2, 13], [6, 11, 3, 31]] as const) {
      const p = randomMap(w, h, seed);
      const moved = backgroundHandOn(p, r);
      const want = handOnByBrute(p, r, 0);
      for (let n = 0; n < w * h; n++) expect(moved[n]).toBeCloseTo(want[n]!, 6);
      const [bnd, bg] = handOnBesideLarge(p, r, [2, 0]);
      expect(Array.from(bnd!)).toEqual(Array.from(boundaryHandOn(p, r)));
      expect(Array.from(bg!)).toEqual(Array.from(moved));
    }
  });

  it('fuses the handed-on shares like large: boundary − m and background − g stay, (large + m + g) · up(Q) is added', () => {
    // The boundary share alone, then both shares, on random maps.
    for (const [seed, mult, withBackground] of [[17, 37, false], [19, 29, true]] as const) {
      const p = randomMap(11, 7, seed);
      const coarse: Probabilities = { width: 5, height: 3, data: Float32Array.from({ length: 45 }, (_, k) => ((k * mult) % (withBackground ? 13 : 11)) / (withBackground ? 12 : 10)) };
      const m = boundaryHandOn(p, 2);
      const g = withBackground ? backgroundHandOn(p, 2) : new Float32Array(77);
      const up = upsampleProbabilities(coarse, 11, 7);
      const q = withBackground ? fuseLevel(p, coarse, m, g) : fuseLevel(p, coarse, m);
      for (let n = 0; n < 77; n++) {
        const d = p.data[4 * n + 3]! + m[n]! + g[n]!;
        expect(q.data[3 * n]).toBeCloseTo(p.data[4 * n]! - g[n]! + d * up[3 * n]!, 6);
        expect(q.data[3 * n + 1]).toBeCloseTo(p.data[4 * n + 1]! + d * up[3 * n + 1]!, 6);
        expect(q.data[3 * n + 2]).toBeCloseTo(p.data[4 * n + 2]! - m[n]! + d * up[3 * n + 2]!, 6);
      }
    }
  });

  it('fills a background hole inside a large stone from the coarser level, and keeps the sand between small stones', () => {
    // Fine level: a 24 px `large` disc with a background hole of radius 3 in it (surface the level took for sediment),
    // and two 5 px body discs 14 px apart on background. The coarser level calls everything body: it sees the
    // large stone whole, and (wrongly) a blob of fines over the small ones, the failure the fusion must not let in.
    const w = 90;
    const h = 50;
    const p = { width: w, height: h, channels: 4, data: new Float32Array(w * h * 4) };
    const hole: number[] = [];
    const sand: number[] = [];
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const n = i * w + j;
        const dl = Math.hypot(j - 25, i - 25);
        const small = Math.min(Math.hypot(j - 58, i - 25), Math.hypot(j - 72, i - 25));
        const c = dl <= 3 ? 0 : dl <= 24 ? 3 : small <= 5 ? 1 : 0;
        if (dl <= 3) hole.push(n);
        if (c === 0 && dl > 30 && j > 60 && j < 70 && Math.abs(i - 25) <= 2) sand.push(n);
        p.data[4 * n + c] = 0.9;
        p.data[4 * n + (c === 0 ? 1 : 0)] = 0.1;
      }
    }
    const body: Probabilities = { width: 45, height: 25, data: new Float32Array(45 * 25 * 3).map((_, k) => (k % 3 === 1 ? 1 : 0)) };
    const mean = (q: Probabilities, at: number[], k: number): number => at.reduce((a, n) => a + q.data[3 * n + k]!, 0) / at.length;
    // A radius of 4 reaches the stone from the hole's centre; a hole wider than the box stays (docs/multiscale.md).
    const owned = fuseLevel(p, body, boundaryHandOn(p, 2), backgroundHandOn(p, 4));
    const plain = fuseLevel(p, body, boundaryHandOn(p, 2));
    expect(mean(plain, hole, 0)).toBeGreaterThan(0.85); // without it the hole stays background and splits the stone
    expect(mean(owned, hole, 1)).toBeGreaterThan(0.9); // the coarser level's body fills it
    expect(sand.length).toBeGreaterThan(10);
    expect(mean(owned, sand, 0)).toBeGreaterThan(0.85); // sand between the small stones stays background
    for (let n = 0; n < w * h; n++) expect(owned.data[3 * n]! + owned.data[3 * n + 1]! + owned.data[3 * n + 2]!).toBeCloseTo(1, 6);
  });

  it('refuses a radius that is not a positive integer, and a hand-on map of the wrong size', () => {
    const p = randomMap(3, 3, 5);
    expect(() => boundaryHandOn(p, 0)).toThrow(/radius/);
    expect(() => boundaryHandOn(p, 1.5)).toThrow(/radius/);
    expect(() => fuseLevel(p, { width: 1, height: 1, data: Float32Array.from([1, 0, 0]) }, new Float32Array(4))).toThrow(/handOn/);
    expect(() => backgroundHandOn(p, 0)).toThrow(/radius/);
    expect(() => fuseLevel(p, { width: 1, height: 1, data: Float32Array.from([1, 0, 0]) }, undefined, new Float32Array(4))).toThrow(/backgroundOn/);
  });
});

/**
 * An engine whose answer depends on the pyramid level it runs for: `answer(k, out, q)` writes pixel q's four
 * class probabilities at level k. The engine cannot see the level, so it counts finished levels from the progress
 * callback (`onTile`, to pass to predictMultiscale); levels run coarsest first, `levels` of them above full
 * resolution, and a second predictMultiscale call starts the count again.
 */
function levelEngine(levels: number, answer: (k: number, out: Float32Array, q: number) => void): { engine: TileEngine; onTile: (done: number, total: number) => void } {
  let pass = 0;
  const engine: TileEngine = {
    info: { name: 'cpu', skipped: [] },
    maxBatchPixels: 1 << 24,
    run(_input, n, h, w) {
      const k = levels - (pass % (levels + 1));
      const out = new Float32Array(n * h * w * 4);
      for (let q = 0; q < n * h * w; q++) answer(k, out, q);
      return Promise.resolve(out);
    },
    dispose: () => Promise.resolve(),
  };
  return { engine, onTile: (done, total) => void (done === total && (pass += 1)) };
}

describe('predictMultiscale', () => {
  it('runs every level, coarsest first, and a full-resolution "large" everywhere becomes the coarse body', async () => {
    const raster = constantRaster(256, 256, 120);
    const levels = pyramidLevels(META, 256, 256);
    // The engine cannot see the level, so it counts finished levels from the progress callback: the last level
    // predictMultiscale runs is full resolution, where it answers `large`; every coarser level answers body.
    let pass = 0;
    const engine: TileEngine = {
      info: { name: 'cpu', skipped: [] },
      maxBatchPixels: 1 << 24,
      run(_input, n, h, w) {
        const out = new Float32Array(n * h * w * 4);
        for (let q = 0; q < n * h * w; q++) out[4 * q + (pass === levels ? 3 : 1)] = 1;
        return Promise.resolve(out);
      },
      dispose: () => Promise.resolve(),
    };
    const seenLevels: [number, number][] = [];
    const r = await predictMultiscale(engine, META, raster, {
      onTile: (done, total) => {
        if (done === total) pass += 1;
      },
      onLevel: (k, p) => seenLevels.push([k, p.width]),
    });
    expect(r.levels).toBe(2); // 128 px stones (half of 256) fit a 32 px band two halvings down
    expect(seenLevels).toEqual([[2, 64], [1, 128], [0, 256]]); // each level's own map, coarsest first
    expect(pass).toBe(levels + 1);
    expect(r.probabilities.width).toBe(256);
    expect(r.probabilities.height).toBe(256);
    for (let q = 0; q < 256 * 256; q += 101) {
      expect(r.probabilities.data[3 * q + 1]).toBeCloseTo(1, 5);
      expect(r.probabilities.data[3 * q]! + r.probabilities.data[3 * q + 2]!).toBeCloseTo(0, 5);
    }
    // Full resolution hands everything on, the 1/2 level keeps everything: every pixel's evidence is at 1/2.
    expect(r.scale).toHaveLength(256 * 256);
    for (let q = 0; q < 256 * 256; q += 101) expect(r.scale![q]).toBeCloseTo(2, 5);
  });

  it('hands a level\'s background beside large on by default, keeps it with backgroundOwnershipRadius 0, and refuses a bad radius', async () => {
    // Full resolution: half background, half large (the inside of a stone it cannot see whole); coarser: body.
    const { engine, onTile } = levelEngine(pyramidLevels(META, 256, 256), (k, out, q) => {
      if (k === 0) {
        out[4 * q] = 0.5;
        out[4 * q + 3] = 0.5;
      } else out[4 * q + 1] = 1;
    });
    const owned = await predictMultiscale(engine, META, constantRaster(256, 256, 120), { onTile });
    const kept = await predictMultiscale(engine, META, constantRaster(256, 256, 120), { onTile, backgroundOwnershipRadius: 0 });
    for (let q = 0; q < 256 * 256; q += 97) {
      expect(owned.probabilities.data[3 * q + 1]).toBeCloseTo(1, 5);
      expect(kept.probabilities.data[3 * q]).toBeCloseTo(0.5, 5);
      expect(kept.probabilities.data[3 * q + 1]).toBeCloseTo(0.5, 5);
    }
    for (const bad of [-1, 1.5, 65]) {
      await expect(predictMultiscale(engine, META, constantRaster(64, 64, 1), { backgroundOwnershipRadius: bad })).rejects.toThrow(/backgroundOwnershipRadius/);
    }
  });

  it("with inheritLarge 'all', a pixel a coarser level calls large is handed on by the finer levels whatever they call it; with 'off' it is not", async () => {
    // Three levels. The coarsest says body everywhere; the 1/2 level says large (a stone too large for it); full
    // resolution reads the stone's surface as small stones (body, boundary). The 1/2 level's large says the full
    // level cannot see that stone whole either, so the coarsest level's body wins; without the rule it stays.
    const levels = pyramidLevels(META, 256, 256);
    const { engine, onTile } = levelEngine(levels, (k, out, q) => {
      if (k === levels) out[4 * q + 1] = 1;
      else if (k === 1) out[4 * q + 3] = 1;
      else {
        out[4 * q + 1] = 0.6;
        out[4 * q + 2] = 0.4;
      }
    });
    expect(levels).toBe(2);
    const on = await predictMultiscale(engine, META, constantRaster(256, 256, 120), { onTile, inheritLarge: 'all' });
    const off = await predictMultiscale(engine, META, constantRaster(256, 256, 120), { onTile, inheritLarge: 'off' });
    for (let q = 0; q < 256 * 256; q += 97) {
      expect(on.probabilities.data[3 * q + 1]).toBeCloseTo(1, 5);
      expect(on.scale![q]).toBeCloseTo(4, 5); // owned by the 1/4 level
      expect(off.probabilities.data[3 * q + 1]).toBeCloseTo(0.6, 5);
      expect(off.probabilities.data[3 * q + 2]).toBeCloseTo(0.4, 5);
      expect(off.scale![q]).toBeCloseTo(1, 5);
    }
  });

  it("by default (inheritLarge 'confirmed'), a level's large is handed on only where the next coarser level outlines a particle (body), never the coarsest level's own", async () => {
    // As above, and packed gravel: there the coarsest level (which nothing coarser can confirm) and the 1/2 level
    // both call the area large. Every stone the full level outlines must stay; inheriting all of it ('all') merges them.
    const levels = pyramidLevels(META, 256, 256);
    const mosaic = (out: Float32Array, q: number): void => {
      out[4 * q + 1] = 0.6;
      out[4 * q + 2] = 0.4;
    };
    const boulder = levelEngine(levels, (k, out, q) => (k === levels ? void (out[4 * q + 1] = 1) : k === 1 ? void (out[4 * q + 3] = 1) : mosaic(out, q)));
    const packed = levelEngine(levels, (k, out, q) => (k > 0 ? void (out[4 * q + 3] = 1) : mosaic(out, q)));
    const raster = constantRaster(256, 256, 120);
    const confirmed = await predictMultiscale(boulder.engine, META, raster, { onTile: boulder.onTile }); // the default
    const packedConfirmed = await predictMultiscale(packed.engine, META, raster, { onTile: packed.onTile, inheritLarge: 'confirmed' });
    const packedAll = await predictMultiscale(packed.engine, META, raster, { onTile: packed.onTile, inheritLarge: 'all' });
    for (let q = 0; q < 256 * 256; q += 97) {
      expect(confirmed.probabilities.data[3 * q + 1]).toBeCloseTo(1, 5);
      expect(confirmed.scale![q]).toBeCloseTo(4, 5);
      expect(packedConfirmed.probabilities.data[3 * q + 1]).toBeCloseTo(0.6, 5);
      expect(packedConfirmed.probabilities.data[3 * q + 2]).toBeCloseTo(0.4, 5);
      expect(packedConfirmed.scale![q]).toBeCloseTo(1, 5);
      expect(packedAll.probabilities.data[3 * q + 1]).toBeCloseTo(1, 5);
    }
    await expect(predictMultiscale(boulder.engine, META, raster, { inheritLarge: 'yes' as unknown as 'all' })).rejects.toThrow(/inheritLarge/);
  });

  it('levels: 0 runs full resolution only, with large counted as body', async () => {
    const engine: TileEngine = {
      info: { name: 'cpu', skipped: [] },
      maxBatchPixels: 1 << 24,
      run(_input, n, h, w) {
        const out = new Float32Array(n * h * w * 4);
        for (let q = 0; q < n * h * w; q++) {
          out[4 * q] = 0.25;
          out[4 * q + 3] = 0.75;
        }
        return Promise.resolve(out);
      },
      dispose: () => Promise.resolve(),
    };
    const r = await predictMultiscale(engine, META, constantRaster(100, 80, 50), { levels: 0 });
    expect(r.levels).toBe(0);
    expect(r.scale).toBeUndefined(); // one scale: peak heights are read at full resolution
    expect(r.probabilities.data[0]).toBeCloseTo(0.25, 6);
    expect(r.probabilities.data[1]).toBeCloseTo(0.75, 6);
  });
});
