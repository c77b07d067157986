/** The two databases of a Sluice data directory, opened with the shared settings. */
import type { Config } from '../config.js';
import { Database } from './database.js';
import type { MainSchema } from './main-schema.js';
import type { QueueSchema } from './queue-schema.js';
import { openSqlite } from './sqlite.js';

export type MainDb = Database<MainSchema>;
export type QueueDb = Database<QueueSchema>;

export function openMainDb(config: Config): MainDb {
  return new Database<MainSchema>(openSqlite(config.mainDbPath, { sync: config.queue.sync }));
}

export function openQueueDb(config: Config): QueueDb {
  // Appended to and read once in order: a small page cache is enough (sqlite.ts).
  return new Database<QueueSchema>(openSqlite(config.queueDbPath, { sync: config.queue.sync, cacheKiB: 8 * 1024 }));
}
