import { expect } from 'vitest';
import { PhotosieveError } from '../../src/core/index.js';

/** Runs fn (sync or async), expects a PhotosieveError, and returns its one-line form (`file: message Fix: …`). */
export async function errorLineOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PhotosieveError);
    return (err as PhotosieveError).toLine();
  }
  throw new Error('expected an error, none was thrown');
}
