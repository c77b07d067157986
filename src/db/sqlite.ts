/**
 * Opening SQLite files the same way everywhere. Every PRAGMA here is a choice
 * with a reason; change one only with a benchmark (scripts/bench/) in hand.
 */
import Database from 'better-sqlite3';
import type { SyncMode } from '../config.js';

export type SqliteDb = Database.Database;

export interface OpenOptions {
  readonly sync: SyncMode;
  readonly readonly?: boolean;
  /** How long a writer waits for the write lock before SQLITE_BUSY. */
  readonly busyTimeoutMs?: number;
}

export function openSqlite(file: string, opts: OpenOptions): SqliteDb {
  const db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  // WAL: readers (web workers) never block the writer (foreman) and vice versa;
  // the mode is stored in the file, so setting it again is a no-op.
  if (!opts.readonly) db.pragma('journal_mode = WAL');
  // FULL fsyncs the WAL at every commit: a 200 answered after commit survives power loss.
  // NORMAL survives process crashes only. Both are safe against corruption in WAL mode.
  db.pragma(`synchronous = ${opts.sync === 'full' ? 'FULL' : 'NORMAL'}`);
  // Writers queue on the lock instead of failing: every write transaction is short
  // (see transaction.ts), so a few seconds of patience means contention, not a hang.
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  // SQLite leaves foreign keys off by default for backwards compatibility.
  db.pragma('foreign_keys = ON');
  // 64 MiB page cache (negative = KiB): issue lookups and tag counts stay in memory.
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  return db;
}
