/**
 * The digesting thread's side of checkpoints (checkpoints.ts runs them): with someone to ask,
 * the connection's own autocheckpoint goes off and every commit asks for one. Without (the
 * Foreman run in process, as in tests), SQLite keeps checkpointing on commit: slower, never
 * wrong.
 */
import type { MessagePort } from 'node:worker_threads';
import type { SqliteDb } from '../db/sqlite.js';

/** What the digesting thread posts to the process's main thread after a commit. */
export const CHECKPOINT_REQUEST = 'checkpoint';

export class Checkpointer {
  constructor(
    db: SqliteDb,
    private readonly port: MessagePort | null,
  ) {
    if (!port) return;
    db.pragma('wal_autocheckpoint = 0');
    // A burst can grow the WAL far; once copied back, keep at most this much of it on disk.
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  }

  /** After a commit: a checkpoint soon (the runner spaces them out). */
  kick(): void {
    this.port?.postMessage(CHECKPOINT_REQUEST);
  }
}
