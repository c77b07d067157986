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
 * - State changes caused by events (first seen, regressed, unmuted) commit in the
 *   digest transaction together with their alert mails in the outbox, which the
 *   OutboxSender then delivers at least once.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { MainDb, QueueDb } from '../db/open.js';
import type { OutboxSender } from '../alerts/outbox-sender.js';
import { Digester } from '../digest/digest-batch.js';
import { LifecycleApplier, unmuteDueIssues } from '../digest/lifecycle-apply.js';
import { writeTransaction } from '../db/transaction.js';
import { finishBatch, takeBatch } from '../queue/take-batch.js';
import { failpoint } from './failpoints.js';
import { QueueWatcher } from './wake.js';

/** How often time-muted issues are checked for their unmute moment. */
const UNMUTE_SWEEP_MS = 5000;

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
  readonly #lifecycle: LifecycleApplier;
  #sweptAt = 0;

  constructor(
    private readonly config: Config,
    private readonly main: MainDb,
    private readonly queue: QueueDb,
    private readonly log: Logger,
    private readonly outbox?: OutboxSender,
  ) {
    this.#watcher = new QueueWatcher(config.queueDbPath);
    this.#digester = new Digester(main, log);
    this.#lifecycle = new LifecycleApplier(main);
  }

  /** Digests until stop() is called; resolves after the batch in hand is finished. */
  async run(): Promise<void> {
    const { batchSize, batchBytes, pollMs } = this.config.foreman;
    while (!this.#stopping) {
      this.#sweepMutes();
      this.#watcher.clear();
      const batch = takeBatch(this.queue, batchSize, batchBytes);
      if (batch.length === 0) {
        await this.#watcher.wait(Math.min(pollMs, UNMUTE_SWEEP_MS));
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
    if (outcome.alerts > 0) failpoint('after-digest-commit-with-alerts');
    finishBatch(this.queue, batch, outcome.dead, this.log);
    this.stats.batches++;
    this.stats.stored += outcome.stored;
    this.stats.duplicates += outcome.duplicates;
    this.stats.dead += outcome.dead.length;
    if (outcome.alerts > 0) this.outbox?.wake();
    for (const d of outcome.dead) {
      this.log.warn({ queueId: d.row.id, projectId: d.row.project_id, eventId: d.row.event_id, error: d.error }, 'event dead-lettered');
    }
    this.log.debug(
      { events: batch.length, stored: outcome.stored, duplicates: outcome.duplicates, dead: outcome.dead.length, newIssues: outcome.newIssueIds.length, ms: Math.round(performance.now() - started) },
      'batch digested',
    );
  }

  #sweepMutes(): void {
    const now = Date.now();
    if (now - this.#sweptAt < UNMUTE_SWEEP_MS) return;
    this.#sweptAt = now;
    const mails = writeTransaction(this.main.sqlite, 'unmute-sweep', () => unmuteDueIssues(this.main, this.#lifecycle, now), this.log);
    if (mails > 0) this.outbox?.wake();
  }

  stop(): void {
    this.#stopping = true;
    this.#watcher.close();
  }
}
