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
  /** Page cache of this connection, in KiB (default 32 MiB). */
  readonly cacheKiB?: number;
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
  // Page cache (negative = KiB), counted in each process's RSS. 32 MiB by default: the main
  // DB's hot pages (the issues, issue_tags and events-id indexes) fit for a long time; the
  // event rows themselves are written once and rarely read back. The queue DB is appended to
  // and read once in order, so its connections need little (open.ts). Was 64 MiB everywhere:
  // the foreman, with one connection to each file, went past 200 MB of RSS.
  db.pragma(`cache_size = -${opts.cacheKiB ?? 16 * 1024}`);
  db.pragma('temp_store = MEMORY');
  return db;
}
