// Whether a process still runs: for files a process leaves behind with its pid (temporary files, locks).

/** True when PID is this process or one that still exists (EPERM: it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
