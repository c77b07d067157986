/**
 * The foreman: the single writer of event data.
 *
 * What the queue guarantees:
 * - A row is in the queue DB only if a worker committed it before answering 200,
 *   so every acknowledged event is on disk before the SDK hears "ok".
 * - The foreman digests the oldest rows in one main-DB transaction, and only
 *   after that commit removes them from the queue (in a second, queue-DB
 *   transaction, together with any dead letters). The two files cannot commit
 *   atomically together, so a crash between the commits re-delivers the batch:
 *   delivery is AT LEAST ONCE.
 * - The digest is idempotent on (project, event_id) — a re-delivered event is
 *   recognised and skipped — so in effect every acknowledged event is stored
 *   EXACTLY ONCE, whatever point a kill -9 hits.
 * - An event that cannot be digested goes to the dead_letters table with its
 *   error and raw bytes; it never blocks the rows behind it.
 * - Exactly one foreman runs per data directory (lock.ts).
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { MainDb, QueueDb } from '../db/open.js';
import { Digester } from '../digest/digest-batch.js';
import { finishBatch, takeBatch } from '../queue/take-batch.js';
import { QueueWatcher } from './wake.js';

export interface ForemanStats {
  batches: number;
  stored: number;
  duplicates: number;
  dead: number;
}

export class Foreman {
  readonly stats: ForemanStats = { batches: 0, stored: 0, duplicates: 0, dead: 0 };
  #stopping = false;
  readonly #watcher: QueueWatcher;
  readonly #digester: Digester;

  constructor(
    private readonly config: Config,
    private readonly main: MainDb,
    private readonly queue: QueueDb,
    private readonly log: Logger,
  ) {
    this.#watcher = new QueueWatcher(config.queueDbPath);
    this.#digester = new Digester(main, log);
  }

  /** Digests until stop() is called; resolves after the batch in hand is finished. */
  async run(): Promise<void> {
    const { batchSize, batchBytes, pollMs } = this.config.foreman;
    while (!this.#stopping) {
      this.#watcher.clear();
      const batch = takeBatch(this.queue, batchSize, batchBytes);
      if (batch.length === 0) {
        await this.#watcher.wait(pollMs);
        continue;
      }
      this.runBatch(batch);
      // Let signals and the watcher's events in between batches.
      await new Promise((r) => setImmediate(r));
    }
  }

  runBatch(batch: Parameters<typeof finishBatch>[1]): void {
    const started = performance.now();
    const outcome = this.#digester.digest(batch);
    finishBatch(this.queue, batch, outcome.dead, this.log);
    this.stats.batches++;
    this.stats.stored += outcome.stored;
    this.stats.duplicates += outcome.duplicates;
    this.stats.dead += outcome.dead.length;
    for (const d of outcome.dead) {
      this.log.warn({ queueId: d.row.id, projectId: d.row.project_id, eventId: d.row.event_id, error: d.error }, 'event dead-lettered');
    }
    this.log.debug(
      { events: batch.length, stored: outcome.stored, duplicates: outcome.duplicates, dead: outcome.dead.length, newIssues: outcome.newIssueIds.length, ms: Math.round(performance.now() - started) },
      'batch digested',
    );
  }

  stop(): void {
    this.#stopping = true;
    this.#watcher.close();
  }
}
