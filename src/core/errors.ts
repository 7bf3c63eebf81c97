// Errors users read: each names the thing at fault (file, field, parameter) and the fix, so a CLI can print one
// clear line instead of a stack trace.

export type ErrorCode =
  | 'E_INPUT'
  | 'E_IMAGE'
  | 'E_IMAGE_TOO_LARGE'
  | 'E_MEMORY'
  | 'E_LABELS'
  | 'E_TOO_MANY_INSTANCES'
  | 'E_PARAM'
  | 'E_OUTPUT';

export interface PhotosieveErrorOptions {
  /** The file the problem is in, when there is one. */
  file?: string | undefined;
  /** What the user can do about it. */
  fix?: string | undefined;
  cause?: unknown;
}

export class PhotosieveError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly fix: string | undefined;

  constructor(code: ErrorCode, message: string, options: PhotosieveErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PhotosieveError';
    this.code = code;
    this.file = options.file;
    this.fix = options.fix;
  }

  /** One line for a terminal: `file: message. Fix: …`. */
  toLine(): string {
    const where = this.file === undefined ? '' : `${this.file}: `;
    const fix = this.fix === undefined ? '' : ` Fix: ${this.fix}`;
    return `${where}${this.message}${fix}`;
  }
}

/** Builds the message for a bad parameter: name, what was expected, what was received, and the fix. */
export function invalidParameter(name: string, expected: string, received: unknown, fix?: string): PhotosieveError {
  const shown = typeof received === 'string' ? JSON.stringify(received) : String(received);
  return new PhotosieveError('E_PARAM', `${name} must be ${expected}, received ${shown}.`, { fix });
}

/** Any thrown value as one readable line (our errors keep their file and fix). */
export function errorLine(err: unknown): string {
  if (err instanceof PhotosieveError) return err.toLine();
  if (err instanceof Error) return err.message;
  return String(err);
}
