import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

/** A temp folder removed after the test file; `write` creates files inside it. */
export async function tempDir(): Promise<{ dir: string; write(name: string, content: string | Uint8Array): Promise<string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'photosieve-test-'));
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    async write(name, content) {
      const path = join(dir, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      return path;
    },
  };
}
