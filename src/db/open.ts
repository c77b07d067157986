/** The two databases of a Sluice data directory, opened with the shared settings. */
import type { Config, SyncMode } from '../config.js';
import { Database } from './database.js';
import type { MainSchema } from './main-schema.js';
import type { QueueSchema } from './queue-schema.js';
import { openSqlite } from './sqlite.js';

export type MainDb = Database<MainSchema>;
export type QueueDb = Database<QueueSchema>;

/** `sync` overrides QUEUE_SYNC for this connection (the foreman syncs its commits by hand, wal-sync.ts). */
export interface OpenDbOptions {
  readonly sync?: SyncMode;
  /** Page cache of the connection, in KiB (sqlite.ts). */
  readonly cacheKiB?: number;
}

export function openMainDb(config: Config, opts: OpenDbOptions = {}): MainDb {
  return new Database<MainSchema>(openSqlite(config.mainDbPath, { sync: opts.sync ?? config.queue.sync, cacheKiB: opts.cacheKiB }));
}

export function openQueueDb(config: Config, opts: OpenDbOptions = {}): QueueDb {
  // Appended to and read once in order: a small page cache is enough (sqlite.ts).
  return new Database<QueueSchema>(openSqlite(config.queueDbPath, { sync: opts.sync ?? config.queue.sync, cacheKiB: opts.cacheKiB ?? 8 * 1024 }));
}
