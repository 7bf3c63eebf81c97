// The backend ladder: PHOTOSIEVE_BACKEND parsing, and a forced backend that is not installed failing in one line
// (in a child process, since a process picks its backend once).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { forcedBackend } from '../../src/segment/index.js';
import { errorLineOf } from '../helpers/errors.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

describe('PHOTOSIEVE_BACKEND', () => {
  it('accepts the six engine names and auto, and rejects anything else with the list', async () => {
    expect(forcedBackend({})).toBeUndefined();
    expect(forcedBackend({ PHOTOSIEVE_BACKEND: 'auto' })).toBeUndefined();
    expect(forcedBackend({ PHOTOSIEVE_BACKEND: 'wasm' })).toBe('wasm');
    expect(forcedBackend({ PHOTOSIEVE_BACKEND: 'tensorflow-gpu' })).toBe('tensorflow-gpu');
    expect(forcedBackend({ PHOTOSIEVE_BACKEND: 'onnxruntime' })).toBe('onnxruntime');
    expect(forcedBackend({ PHOTOSIEVE_BACKEND: ' onnxruntime-cuda ' })).toBe('onnxruntime-cuda');
    expect(await errorLineOf(() => forcedBackend({ PHOTOSIEVE_BACKEND: 'webgpu' }))).toBe(
      'PHOTOSIEVE_BACKEND="webgpu" is not a backend. Fix: set PHOTOSIEVE_BACKEND to one of onnxruntime, onnxruntime-cuda, tensorflow-gpu, tensorflow, wasm, cpu or auto (or unset it)',
    );
  });

  it('forcing tfjs-node where it is not installed is an error naming the package, not a silent fallback', async () => {
    const code = "const s = await import('./src/segment/index.ts'); try { await s.initBackend(); } catch (e) { console.log(e.toLine()); }";
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: ROOT,
      env: { ...process.env, PHOTOSIEVE_BACKEND: 'tensorflow' },
    });
    expect(stdout.trim()).toMatch(/^PHOTOSIEVE_BACKEND=tensorflow is not available here \(.*\)\. Fix: install @tensorflow\/tfjs-node@4\.22\.0 \(see docs\/segment\.md\) or unset PHOTOSIEVE_BACKEND$/);
  });

  it('forcing cpu works and says it is slow', async () => {
    const code = "const s = await import('./src/segment/index.ts'); const i = await s.initBackend(); console.log(JSON.stringify(i));";
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, env: { ...process.env, PHOTOSIEVE_BACKEND: 'cpu' } });
    expect(JSON.parse(stdout.trim())).toMatchObject({ name: 'cpu', warning: expect.stringMatching(/slower than wasm/) });
  });
});
