// Only regular files are read: a FIFO, a device or a folder is named as such at once (a FIFO never blocks).
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_TEXT_FILE_BYTES, readCsv, readImage, readRegularFile, readTextFile, statRegularFile } from '../../src/io/index.js';
import { errorLineOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let fifo: string;
beforeAll(async () => {
  tmp = await tempDir();
  fifo = join(tmp.dir, 'pipe.csv');
  execFileSync('mkfifo', [fifo]);
});

describe('regular files only', () => {
  it('a FIFO is refused before it is opened (a read would block forever)', async () => {
    expect(await errorLineOf(() => readRegularFile(fifo, { what: 'CSV file' }))).toBe(`${fifo}: this CSV file is a FIFO (named pipe), not a regular file: not read. Fix: pass a regular CSV file (copy the data into a file first)`);
    expect(await errorLineOf(() => readCsv(fifo))).toMatch(/is a FIFO \(named pipe\), not a regular file/);
    expect(await errorLineOf(() => readImage(fifo))).toMatch(/this image is a FIFO \(named pipe\), not a regular file: not read/);
  });

  it('a folder named like a file, a device and a link to a FIFO', async () => {
    const dir = join(tmp.dir, 'x.jpg');
    await mkdir(dir);
    expect(await errorLineOf(() => readImage(dir))).toBe(`${dir}: this image is a folder, not a regular file: not read. Fix: pass the images inside it, or rename the folder`);
    expect(await errorLineOf(() => statRegularFile('/dev/null', { what: 'label file' }))).toBe('/dev/null: this label file is a character device, not a regular file: not read. Fix: pass a regular label file (copy the data into a file first)');
    const link = join(tmp.dir, 'link.csv');
    await symlink(fifo, link);
    expect(await errorLineOf(() => readCsv(link))).toMatch(/link\.csv: this CSV file is a FIFO/);
  });

  it('missing files; a regular file is read whole', async () => {
    expect(await errorLineOf(() => readTextFile(join(tmp.dir, 'none.json'), { what: 'label file' }))).toBe(`${join(tmp.dir, 'none.json')}: label file not found. Fix: check the path`);
    expect(await errorLineOf(() => readTextFile(join(tmp.dir, 'x.jpg', 'deeper', 'a.json')))).toMatch(/file not found/);
    const ok = await tmp.write('ok.txt', 'héllo');
    expect(await readTextFile(ok)).toBe('héllo');
  });

  it('a file over the limit is named too large, with the limit (a sparse file: no disk used)', async () => {
    const big = join(tmp.dir, 'big.json');
    await writeFile(big, '');
    await truncate(big, 600e6);
    expect(await errorLineOf(() => readTextFile(big, { what: 'label file' }))).toBe(
      `${big}: this label file is too large: 600 MB, over the limit of 537 MB (the longest text Node.js can hold in one piece). Fix: split it into smaller label files`,
    );
    expect(MAX_TEXT_FILE_BYTES).toBe(2 ** 29 - 24);
  });
});
