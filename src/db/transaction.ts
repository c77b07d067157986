/**
 * The one way to write: a short BEGIN IMMEDIATE transaction, timed.
 *
 * Why IMMEDIATE: a plain BEGIN takes the write lock only at the first write;
 * if another connection committed in between, SQLite cannot upgrade the stale
 * read snapshot and answers SQLITE_BUSY at once, without honouring busy_timeout.
 * IMMEDIATE takes the lock up front, so the wait happens where busy_timeout applies.
 * No other module takes locks or issues BEGIN/COMMIT.
 */
import type { Logger } from 'pino';
import type { SqliteDb } from './sqlite.js';

/** A transaction holding the lock longer than this is logged: it delays every other writer. */
const SLOW_MS = 500;

export interface TransactionTiming {
  readonly label: string;
  /** Time spent waiting for the write lock. */
  readonly waitMs: number;
  /** Time spent inside the transaction, commit included. */
  readonly holdMs: number;
}

export function writeTransaction<T>(
  db: SqliteDb,
  label: string,
  fn: () => T,
  log?: Pick<Logger, 'warn'>,
  onTiming?: (t: TransactionTiming) => void,
): T {
  if (db.inTransaction) throw new Error(`writeTransaction(${label}) nested inside another transaction`);
  const start = performance.now();
  db.exec('BEGIN IMMEDIATE');
  const locked = performance.now();
  let ok = false;
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error(`writeTransaction(${label}): the body must be synchronous`);
    db.exec('COMMIT');
    ok = true;
    return result;
  } finally {
    if (!ok && db.inTransaction) db.exec('ROLLBACK');
    const end = performance.now();
    const timing = { label, waitMs: locked - start, holdMs: end - locked };
    onTiming?.(timing);
    if (timing.holdMs > SLOW_MS) log?.warn(timing, 'slow write transaction');
  }
}
