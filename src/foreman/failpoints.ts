/**
 * Crash points for the crash-safety tests: SLUICE_FAILPOINT names a moment at
 * which the foreman kills itself with SIGKILL, exactly as `kill -9` would,
 * so a test can hit a window too narrow to hit from outside. Unset in
 * production, where every check is one comparison.
 */
export type Failpoint = 'after-digest-commit-with-alerts';

const armed = process.env.SLUICE_FAILPOINT;

export function failpoint(name: Failpoint): void {
  if (armed === name) process.kill(process.pid, 'SIGKILL');
}
