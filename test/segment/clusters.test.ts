// Clusters of unresolved fines through `segment` (InstanceOptions.clusterBoundary): the flag (a probability or off)
// reaches the instance stage, is recorded in run.json and refused when out of range, and each image's record
// carries its unresolved share beside the unmeasured share it is part of.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capture, resetCliAfterEach } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { discGrid, discRaster, tinyBandModelDir } from './helpers.js';

resetCliAfterEach();

describe('segment --cluster-boundary', () => {
  it('records the unresolved share of the particle area inside the unmeasured share, and the setting in run.json', async () => {
    const tmp = await tempDir();
    const model = await tinyBandModelDir(tmp.dir);
    const sharp = (await import('sharp')).default;
    const r = discRaster(96, 96, discGrid(96, 96, 4, 10));
    const photo = await tmp.write('in/p.png', await sharp(r.data, { raw: { width: 96, height: 96, channels: 3 } }).png().toBuffer());
    const run = async (extra: string[]): Promise<{ segmenter: Record<string, unknown>; measure: { unmeasuredAreaFraction: number; unresolvedAreaFraction?: number; warnings: string[] } }> => {
      const out = join(tmp.dir, `out${extra.join('')}`);
      expect((await capture(['segment', photo, '--out', out, '--model', model, '--workers', '0', '--overlays', 'none', '--bins', '8,16,32', '--bins-px', ...extra])).exitCode).toBe(0);
      const runJson = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { options: { segmenter: Record<string, unknown> } };
      const record = JSON.parse(await readFile(join(out, 'records', 'p.json'), 'utf8')) as { result: { measure: { unmeasuredAreaFraction: number; unresolvedAreaFraction?: number; warnings: string[] } } };
      return { segmenter: runJson.options.segmenter, measure: record.result.measure };
    };
    // This model's meta.json sets nothing: no particle is a cluster.
    const plain = await run([]);
    expect(plain.segmenter).not.toHaveProperty('instance');
    expect(plain.measure.unresolvedAreaFraction).toBe(0);
    // At 0 every particle with an interior is a cluster; this random model calls most of the photo core, so its
    // clusters' core pieces keep what they held (the arithmetic of the share is batch.test.ts's and the instance
    // tests'): here only that the setting reaches the instance stage and the record carries the share.
    const all = await run(['--cluster-boundary', '0']);
    expect(all.segmenter.instance).toEqual({ clusterBoundary: 0 });
    expect(all.measure.unresolvedAreaFraction).toBeGreaterThanOrEqual(0);
    expect(all.measure.unmeasuredAreaFraction).toBeGreaterThanOrEqual(all.measure.unresolvedAreaFraction!);
    // off is recorded (JSON has no Infinity: null), and differs from not asking.
    expect((await run(['--cluster-boundary', 'off'])).segmenter.instance).toEqual({ clusterBoundary: null });
    await expect(capture(['segment', photo, '--out', join(tmp.dir, 'bad'), '--model', model, '--cluster-boundary', '2'])).rejects.toThrow(/--cluster-boundary must be a number ≥ 0 and ≤ 1, or off, received "2"/);
  }, 60_000);
});
