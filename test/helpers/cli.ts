// Runs the CLI in-process and captures what it prints and the exit code it sets.
import { afterEach, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** Resets the exit code and the stdout spy after each test of the file that calls it. */
export function resetCliAfterEach(): void {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });
}

export async function capture(argv: string[]): Promise<{ out: string; exitCode: number }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await main(argv);
  } finally {
    vi.restoreAllMocks();
  }
  return { out, exitCode: Number(process.exitCode ?? 0) };
}

/** Like capture, with stderr too (progress, per-image lines, failures, warnings). */
export async function captureAll(argv: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  try {
    await main(argv);
  } finally {
    vi.restoreAllMocks();
  }
  return { out, err, exitCode: Number(process.exitCode ?? 0) };
}
