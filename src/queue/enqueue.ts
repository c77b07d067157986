/**
 * The worker's side of the queue: append accepted events, answer after commit.
 *
 * Group commit: requests that arrive while a commit is being prepared share it.
 * Each caller's promise settles only after the COMMIT that holds its row has
 * returned, so a 200 is never sent for an event that is not on disk.
 *
 * Durable commits without stalling the worker (QUEUE_SYNC=full, i.e. the queue connection was
 * opened with synchronous=FULL). SQLite's FULL fsyncs the WAL inside COMMIT: on the event loop,
 * while holding the queue's write lock, so each worker stalled on its own fsync and, through
 * SQLite's busy handler (which sleeps 1, 2, 5, 10 ms… on the thread), on the other workers'
 * (42% of a worker's time in the ingest benchmark went there). Instead the Enqueuer writes
 * through its own connection that commits with synchronous=NORMAL, then has the WAL fdatasynced
 * on libuv's thread pool (WalSync, src/db/wal-sync.ts, which says why that is as durable as
 * FULL) and resolves the batch's callers only when that returned.
 * While a batch's fdatasync runs, outside the write lock, the event loop goes on reading
 * requests, and they form the next batch, committed and synced as soon as it returns: one
 * commit and one fsync per round trip of the disk, however many events.
 *
 * The write lock is shared with the other workers: rather than let SQLite's busy handler sleep
 * on this thread, the writer connection has busy_timeout 0 and a batch that finds the lock
 * taken is retried on a later loop turn, growing meanwhile (bounded by the queue connection's
 * busy_timeout, then 503).
 */
import type { Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { QueueDb } from '../db/open.js';
import { openSqlite, type SqliteDb } from '../db/sqlite.js';
import { writeTransaction } from '../db/transaction.js';
import { WalSync } from '../db/wal-sync.js';
import { ServiceUnavailableError } from '../errors.js';

export interface QueuedEvent {
  readonly projectId: number;
  readonly eventId: string;
  readonly receivedAt: number;
  readonly source: 'envelope' | 'store';
  readonly headers: string;
  readonly payload: Buffer;
}

interface Waiting {
  readonly row: QueuedEvent;
  resolve(): void;
  reject(err: Error): void;
}

/** Lock retries on the next loop turn before they space out to 1 ms. */
const QUICK_RETRIES = 3;

/**
 * The writer's wal_autocheckpoint, in pages: a safety net only. The server's primary
 * checkpoints the queue on a thread (queue-checkpointer.ts) and keeps the WAL at a few MiB;
 * SQLite's default of 1,000 pages had every worker stall its loop on a checkpoint (copy and two
 * fsyncs, up to 20+ ms) every couple of thousand events. 64 MiB is reached only when that thread
 * is not there: in-process apps (tests), or a thread that failed.
 */
const AUTOCHECKPOINT_PAGES = 16 * 1024;

export class Enqueuer {
  #pending: Waiting[] = [];
  #scheduled = false;
  /** An fdatasync is in flight; the next batch commits when it returns. */
  #syncing = false;
  /** The connection that writes; our own when commits are synced by hand. */
  readonly #writer: SqliteDb;
  readonly #ownWriter: boolean;
  readonly #insert: Statement;
  /** Set when commits must reach the disk before callers hear of them (QUEUE_SYNC=full). */
  readonly #walSync: WalSync | null;
  #closed = false;
  /** How long a batch may wait for the write lock: the queue connection's busy_timeout. */
  readonly #busyTimeoutMs: number;
  /** When the pending batch first found the lock taken; null when it has not. */
  #busySince: number | null = null;
  #busyRetries = 0;

  constructor(
    private readonly db: QueueDb,
    private readonly log: Logger,
  ) {
    const sqlite = db.sqlite;
    this.#busyTimeoutMs = Number(sqlite.pragma('busy_timeout', { simple: true }));
    // 2 = FULL, 3 = EXTRA: the queue was opened to make every commit durable.
    const durable = Number(sqlite.pragma('synchronous', { simple: true })) >= 2;
    this.#ownWriter = !sqlite.memory;
    this.#writer = this.#ownWriter ? openSqlite(sqlite.name, { sync: 'normal', busyTimeoutMs: 0, cacheKiB: 2 * 1024 }) : sqlite;
    if (this.#ownWriter) this.#writer.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    this.#walSync = durable && this.#ownWriter ? new WalSync(sqlite.name) : null;
    // Compiled once; rows are bound positionally in the column order of these values.
    const insertSql = db.kysely
      .insertInto('envelopes')
      .values({ project_id: 0, event_id: '', received_at: 0, source: '', headers: '', payload: Buffer.alloc(0) })
      .compile().sql;
    this.#insert = this.#writer.prepare(insertSql);
  }

  enqueue(row: QueuedEvent): Promise<void> {
    if (this.#closed) return Promise.reject(new ServiceUnavailableError('the server is shutting down; retry later'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#syncing) return; // a running sync schedules when it returns
    this.#scheduled = true;
    // setImmediate, not a microtask: lets the requests already read off the
    // sockets in this loop turn join the same commit.
    if (this.#busySince === null || this.#busyRetries < QUICK_RETRIES) setImmediate(() => this.#flush());
    else setTimeout(() => this.#flush(), 1);
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    if (batch.length === 0 || this.#syncing) return;
    const stmt = this.#insert;
    try {
      writeTransaction(this.#writer, 'enqueue', () => {
        for (const { row } of batch) {
          stmt.run(row.projectId, row.eventId, row.receivedAt, row.source, row.headers, row.payload);
        }
      }, this.log);
    } catch (err) {
      const now = performance.now();
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY' && now - (this.#busySince ?? now) < this.#busyTimeoutMs) {
        this.#busySince ??= now;
        this.#busyRetries++;
        this.#schedule(); // the batch stays pending and grows
        return;
      }
      this.#pending = [];
      this.#busySince = null;
      this.#busyRetries = 0;
      this.log.error({ err, events: batch.length }, 'queue commit failed');
      const answer = new ServiceUnavailableError('the event queue is not writable right now; retry later');
      for (const w of batch) w.reject(answer);
      if (this.#closed) this.#release();
      return;
    }
    this.#pending = [];
    this.#busySince = null;
    this.#busyRetries = 0;
    if (this.#walSync === null) {
      for (const w of batch) w.resolve();
      if (this.#closed) this.#release();
      return;
    }
    this.#sync(this.#walSync, batch);
  }

  /** fdatasync the WAL (and once the directory), then answer the batch and commit the next. */
  #sync(walSync: WalSync, batch: Waiting[]): void {
    this.#syncing = true;
    walSync.sync((err) => {
      this.#syncing = false;
      this.#settle(batch, err);
      if (this.#pending.length > 0) this.#schedule();
      else if (this.#closed) this.#release();
    });
  }

  #settle(batch: Waiting[], err: Error | null): void {
    if (err) {
      // Committed but perhaps not durable: refuse, so that the SDK retries; the digest is
      // idempotent on event_id, so a retried event that was kept after all is stored once.
      this.log.error({ err, events: batch.length }, 'queue fsync failed');
      const answer = new ServiceUnavailableError('the event queue could not be synced to disk; retry later');
      for (const w of batch) w.reject(answer);
    } else {
      for (const w of batch) w.resolve();
    }
  }

  #release(): void {
    if (this.#pending.length > 0) return; // the last flush releases
    this.#walSync?.close();
    if (this.#ownWriter && this.#writer.open) this.#writer.close();
  }

  /** Takes no more events; releases the writer once what is pending is committed (the app's onClose). */
  close(): void {
    this.#closed = true;
    if (!this.#syncing && !this.#scheduled && this.#pending.length === 0) this.#release();
  }
}
