// A scale-band model's pyramid hands the instance stage the resolution each pixel's evidence comes from, and the
// stage reads its peak height there (SegmenterOptions.levelPeaks, default on; `segment --no-level-peaks` off), and
// `segment --inherit-large all|off` changes how `large` is inherited (confirmed by default).
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createSegmenter, probabilitiesToInstances } from '../../src/segment/index.js';
import { capture, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { discGrid, discRaster, tinyBandModelDir } from './helpers.js';

resetCliAfterEach();

describe('peak heights at the owning level', () => {
  it('a pyramid returns the scale its instances used, between 1 and the coarsest level; levelPeaks false uses none', async () => {
    const tmp = await tempDir();
    const model = await tinyBandModelDir(tmp.dir);
    const raster = discRaster(160, 160, discGrid(160, 160, 6, 12));
    const on = await createSegmenter({ model, backend: 'wasm' });
    const off = await createSegmenter({ model, backend: 'wasm', levelPeaks: false });
    try {
      const a = await on.segment(raster, { keepProbabilities: true });
      const b = await off.segment(raster, { keepProbabilities: true });
      expect(a.levels).toBeGreaterThan(0);
      expect(a.peakScale).toHaveLength(160 * 160);
      expect(a.peakScale!.every((v) => v >= 1 - 1e-6 && v <= 2 ** a.levels + 1e-6)).toBe(true);
      expect(b.peakScale).toBeUndefined();
      // The same probabilities either way; the instances are the instance stage's with and without the scale.
      expect(b.probabilities!.data).toEqual(a.probabilities!.data);
      expect((await probabilitiesToInstances(a.probabilities!, {}, undefined, a.peakScale)).data).toEqual(a.instances.data);
      expect((await probabilitiesToInstances(b.probabilities!)).data).toEqual(b.instances.data);
    } finally {
      await on.dispose();
      await off.dispose();
    }
  }, 60_000);

  it('segment --no-level-peaks and --inherit-large are recorded in run.json, and a bad mode is refused', async () => {
    const tmp = await tempDir();
    const model = await tinyBandModelDir(tmp.dir);
    const sharp = (await import('sharp')).default;
    const r = discRaster(96, 96, discGrid(96, 96, 4, 10));
    const photo = await tmp.write('in/p.png', await sharp(r.data, { raw: { width: 96, height: 96, channels: 3 } }).png().toBuffer());
    const options = async (extra: string[]): Promise<Record<string, unknown>> => {
      const out = join(tmp.dir, `out${extra.join('')}`);
      expect((await capture(['segment', photo, '--out', out, '--model', model, '--workers', '0', '--overlays', 'none', ...extra])).exitCode).toBe(0);
      return (JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { options: { segmenter: Record<string, unknown> } }).options.segmenter;
    };
    expect(await options([])).not.toHaveProperty('levelPeaks');
    expect((await options(['--no-level-peaks'])).levelPeaks).toBe(false);
    expect(await options([])).not.toHaveProperty('inheritLarge');
    expect(await options(['--inherit-large', 'confirmed'])).not.toHaveProperty('inheritLarge'); // the default, spelled out
    expect((await options(['--inherit-large', 'all'])).inheritLarge).toBe('all');
    expect((await options(['--inherit-large', 'off'])).inheritLarge).toBe('off');
    await expect(capture(['segment', photo, '--out', join(tmp.dir, 'bad'), '--model', model, '--inherit-large', 'yes'])).rejects.toThrow(/--inherit-large <mode>' argument 'yes' is invalid. Allowed choices are confirmed, all, off/);
  }, 60_000);
});
