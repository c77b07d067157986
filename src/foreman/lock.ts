/**
 * "Exactly one foreman": an exclusive SQLite lock on `foreman.lock` in the data
 * directory, held for the life of the process. SQLite's locks are POSIX
 * fcntl() locks, which the kernel drops when the process dies — even on
 * kill -9 — so a crashed foreman never leaves a stale lock behind, unlike a
 * PID file.
 */
import path from 'node:path';
import Database from 'better-sqlite3';

export class ForemanLockedError extends Error {
  constructor(file: string) {
    super(`another foreman is already running on this data directory (lock held on ${file}); refusing to start a second one`);
    this.name = 'ForemanLockedError';
  }
}

export interface ForemanLock {
  release(): void;
}

function lockFile(dataDir: string): string {
  return path.join(dataDir, 'foreman.lock');
}

export function acquireForemanLock(dataDir: string): ForemanLock {
  const file = lockFile(dataDir);
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new ForemanLockedError(file);
    throw err;
  }
  return {
    release() {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    },
  };
}

/** For `stats`: is a foreman holding the lock right now? */
export function foremanRunning(dataDir: string): boolean {
  try {
    acquireForemanLock(dataDir).release();
    return false;
  } catch (err) {
    if (err instanceof ForemanLockedError) return true;
    throw err;
  }
}
