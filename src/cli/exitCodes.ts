// What photosieve's exit status means, for scripts and schedulers (README, "Exit codes").
export const EXIT_CODES = {
  /** Everything asked for was done. */
  done: 0,
  /** The command ran, and some inputs failed (each named on stderr); the others were written. */
  someFailed: 1,
  /** Nothing was done: a usage error (unknown flag, bad value) or a setup error (missing file, bad model or table, outputs of other settings without --force). */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT); a rerun resumes. */
  interrupted: 130,
  /** Stopped by SIGTERM (a scheduler's or `kill`'s stop), at once; a rerun resumes. */
  terminated: 143,
} as const;
