/**
 * The foreman: the single writer of event data.
 *
 * What the queue guarantees:
 * - A row is in the queue DB only if a worker committed it before answering 200,
 *   so every acknowledged event is on disk before the SDK hears "ok".
 * - The foreman digests the oldest rows in one main-DB transaction, and only
 *   after that commit is on disk removes them from the queue (in a second,
 *   queue-DB transaction, together with any dead letters). The two files cannot
 *   commit atomically together, so a crash between the commits re-delivers the
 *   batch: delivery is AT LEAST ONCE.
 * - The digest is idempotent on (project, event_id) — a re-delivered event is
 *   recognised and skipped — so in effect every acknowledged event is stored
 *   EXACTLY ONCE, whatever point a kill -9 hits.
 * - An event that cannot be digested goes to the dead_letters table with its
 *   error and raw bytes; it never blocks the rows behind it. A batch that the main DB
 *   itself refuses (lock held past busy_timeout, disk full) is no event's fault: it stays
 *   queued and is written again a little later.
 * - Exactly one foreman runs per data directory (lock.ts).
 * - State changes caused by events (first seen, regressed, unmuted) commit in the
 *   digest transaction together with their alert mails in the outbox, which the
 *   OutboxSender then delivers at least once.
 *
 * How it keeps two cores busy without weakening any of that: a worker thread
 * prepares (parses, normalizes, groups) the next batch while this thread writes
 * the current one (preparer.ts); with QUEUE_SYNC=full the main DB commits
 * without fsync and its WAL is fdatasynced on the thread pool (wal-sync.ts)
 * while the next batch is written, and only then are the synced batches removed
 * from the queue. A failed fsync ends the process: what it covered is still in
 * the queue and is digested again (idempotently) after the restart.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { MainDb, QueueDb } from '../db/open.js';
import type { OutboxSender } from '../alerts/outbox-sender.js';
import { Digester, isDatabaseFault } from '../digest/digest-batch.js';
import { LifecycleApplier, unmuteDueIssues } from '../digest/lifecycle-apply.js';
import { writeTransaction } from '../db/transaction.js';
import { WalSync } from '../db/wal-sync.js';
import type { Preparation } from '../digest/prepare-event.js';
import { finishBatch, takeBatch, type DeadLetter, type QueueRow } from '../queue/take-batch.js';
import { Checkpointer } from './checkpointer.js';
import { failpoint } from './failpoints.js';
import { Preparer } from './preparer.js';
import { QueueWatcher } from './wake.js';

/** How often time-muted issues are checked for their unmute moment. */
const UNMUTE_SWEEP_MS = 5000;

/**
 * Looks again after a wake-up that found nothing, this many ms later. inotify reports the
 * write of a commit's WAL frames, which comes just before the commit is visible to readers (the
 * wal-index is updated after it): a look at once can miss it, and the next wake-up may be
 * the slow poll.
 */
const RECHECK_MS = [2, 20, 100];

/** How long to wait before writing again a batch the main DB refused (isDatabaseFault). */
const FAULT_RETRY_MS = 1000;

export interface ForemanStats {
  batches: number;
  stored: number;
  duplicates: number;
  dead: number;
}

/** A batch taken from the queue, being prepared on the worker thread. */
interface Taken {
  readonly rows: QueueRow[];
  readonly preps: Promise<Preparation[]>;
}

/** Written to the main DB, waiting for its commit to be on disk before leaving the queue. */
interface Written {
  readonly lastId: number;
  readonly dead: DeadLetter[];
  readonly alerts: number;
}

export class Foreman {
  readonly stats: ForemanStats = { batches: 0, stored: 0, duplicates: 0, dead: 0 };
  #stopping = false;
  readonly #watcher: QueueWatcher;
  readonly #digester: Digester;
  readonly #lifecycle: LifecycleApplier;
  readonly #preparer: Preparer;
  readonly #checkpointer: Checkpointer;
  /** Null when commits need no fsync of ours (QUEUE_SYNC=normal, or the main DB syncs itself). */
  readonly #walSync: WalSync | null;
  #sweptAt = 0;
  /**
   * The last queue row taken; later batches start after it. Queue ids are plain rowids, which
   * SQLite reuses (a new row gets the largest id present + 1), so a cursor is only sound while
   * a taken row is still in the table: then every new row lands above it. Once everything taken
   * is finished the table may hold lower ids again, so the cursor goes back to 0 (#sync).
   */
  #takenThrough = 0;
  #unsynced: Written[] = [];
  #syncing: Promise<void> | null = null;

  /**
   * `main` must be opened with synchronous=NORMAL when `syncMain` is set: the foreman then
   * makes each commit durable itself before the queue forgets the batch.
   */
  constructor(
    private readonly config: Config,
    private readonly main: MainDb,
    private readonly queue: QueueDb,
    private readonly log: Logger,
    private readonly outbox?: OutboxSender,
    opts: { syncMain?: boolean; checkpoints?: MessagePort | null } = {},
  ) {
    this.#watcher = new QueueWatcher(config.queueDbPath);
    this.#digester = new Digester(main, log, { tagFlush: { maxAgeMs: config.foreman.tagFlushMs, maxRows: config.foreman.tagFlushRows } });
    this.#lifecycle = new LifecycleApplier(main);
    this.#preparer = new Preparer(log);
    this.#checkpointer = new Checkpointer(main.sqlite, opts.checkpoints ?? null);
    this.#walSync = opts.syncMain ? new WalSync(config.mainDbPath) : null;
  }

  /** Digests until stop() is called; resolves once the batches written are synced and finished. */
  async run(): Promise<void> {
    const { pollMs } = this.config.foreman;
    let next: Taken | null = null;
    let rechecks = 0;
    while (!this.#stopping) {
      this.#sweepMutes();
      if (!next) {
        this.#watcher.clear();
        next = this.#take();
        if (!next) {
          // The next change wakes us either way; the short timeouts cover a commit whose only
          // wake-up came just before it was visible.
          if (rechecks < RECHECK_MS.length) await this.#watcher.wait(RECHECK_MS[rechecks++]!);
          else {
            await this.#watcher.wait(Math.min(pollMs, UNMUTE_SWEEP_MS));
            rechecks = 0;
          }
          continue;
        }
      }
      const current: Taken = next;
      const preps = await current.preps;
      if (this.#stopping) break; // the rows stay queued for the next start
      // Hand the worker the batch after this one before writing this one.
      this.#watcher.clear();
      next = this.#take();
      if (!(await this.#writeWhenPossible(current.rows, preps, next === null))) break;
      // Let signals, the watcher's events and finished fsyncs in between batches.
      await new Promise((r) => setImmediate(r));
    }
    // Else the next start counts them again from the events, which is as good, only slower.
    this.#tolerateFault('tag flush at stop', () => this.#digester.flushTags());
    // A round that ends may start the next one for batches written meanwhile: wait for all.
    while (this.#syncing || this.#unsynced.length > 0) await (this.#syncing ?? this.#sync());
    await this.#preparer.close();
  }

  #take(): Taken | null {
    const { batchSize, batchBytes } = this.config.foreman;
    const rows = takeBatch(this.queue, batchSize, batchBytes, this.#takenThrough);
    if (rows.length === 0) return null;
    this.#takenThrough = rows.at(-1)!.id;
    return { rows, preps: this.#preparer.prepare(rows) };
  }

  /**
   * #write, again and again while the main DB refuses it (its lock held by a long web write, a
   * full disk): the rows stay queued meanwhile. False when stopped before it went in.
   */
  async #writeWhenPossible(rows: QueueRow[], preps: Preparation[], last: boolean): Promise<boolean> {
    for (;;) {
      if (this.#tolerateFault('digest', () => this.#write(rows, preps, last))) return true;
      await new Promise((r) => setTimeout(r, FAULT_RETRY_MS));
      if (this.#stopping) return false;
    }
  }

  /** Runs fn; an isDatabaseFault() error is logged and gives false, any other is thrown. */
  #tolerateFault(what: string, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      if (!isDatabaseFault(err)) throw err;
      this.log.error({ err }, `${what}: the main database refused the write; trying again later`);
      return false;
    }
  }

  /** Digests prepared rows, then has them leave the queue once the commit is durable. */
  #write(rows: QueueRow[], preps: Preparation[], last: boolean): void {
    const started = performance.now();
    const outcome = this.#digester.write(rows, preps, last);
    this.#checkpointer.kick();
    if (outcome.alerts > 0) failpoint('after-digest-commit-with-alerts');
    this.stats.batches++;
    this.stats.stored += outcome.stored;
    this.stats.duplicates += outcome.duplicates;
    this.stats.dead += outcome.dead.length;
    for (const d of outcome.dead) {
      this.log.warn({ queueId: d.row.id, projectId: d.row.project_id, eventId: d.row.event_id, error: d.error }, 'event dead-lettered');
    }
    this.log.debug(
      { events: rows.length, stored: outcome.stored, duplicates: outcome.duplicates, dead: outcome.dead.length, newIssues: outcome.newIssueIds.length, ms: Math.round(performance.now() - started) },
      'batch digested',
    );
    this.#unsynced.push({ lastId: rows.at(-1)!.id, dead: outcome.dead, alerts: outcome.alerts });
    if (!this.#syncing) void this.#sync();
  }

  /**
   * Makes every batch written so far durable in the main DB, then removes them from the
   * queue in one transaction. One fsync covers all the batches written while the previous
   * one ran. Runs one at a time; a batch written meanwhile starts the next round.
   */
  #sync(): Promise<void> {
    const batches = this.#unsynced;
    this.#unsynced = [];
    const round = (this.#walSync?.syncAsync() ?? Promise.resolve()).then(
      () => {
        const lastId = batches.at(-1)!.lastId;
        let refused = false;
        try {
          finishBatch(this.queue, lastId, batches.flatMap((b) => b.dead), this.log);
          if (lastId === this.#takenThrough) this.#takenThrough = 0;
        } catch (err) {
          // The queue keeps the rows either way: they are digested again (idempotently) after
          // a restart. A refused write (the queue's lock held too long, a full disk) is tried
          // again later rather than restarting the service; at stop, the next start does it.
          if (!isDatabaseFault(err)) this.#die(err, 'could not remove digested rows from the queue');
          this.log.error({ err }, 'the queue database refused to remove digested rows; trying again later');
          refused = !this.#stopping;
          if (refused) this.#unsynced.unshift(...batches);
        }
        if (batches.some((b) => b.alerts > 0)) this.outbox?.wake();
        this.#syncing = null;
        if (refused) {
          setTimeout(() => {
            if (!this.#syncing && this.#unsynced.length > 0) void this.#sync();
          }, FAULT_RETRY_MS);
        } else if (this.#unsynced.length > 0) void this.#sync();
      },
      // After a failed fsync the kernel may have dropped the dirty pages, and a later fsync
      // would report success without them (fsyncgate): only a restart, which digests the
      // queued rows again, is safe. Nothing was removed from the queue.
      (err: unknown) => this.#die(err, 'fsync of the main database failed'),
    );
    this.#syncing = round;
    return round;
  }

  #die(err: unknown, what: string): never {
    this.log.fatal({ err }, `${what}; exiting so that the queue is digested again`);
    process.exit(70); // EX_SOFTWARE
  }

  #sweepMutes(): void {
    const now = Date.now();
    if (now - this.#sweptAt < UNMUTE_SWEEP_MS) return;
    this.#sweptAt = now;
    let mails = 0;
    // Refused, the sweep waits for its next turn.
    this.#tolerateFault('unmute sweep', () => {
      mails = writeTransaction(this.main.sqlite, 'unmute-sweep', () => unmuteDueIssues(this.main, this.#lifecycle, now), this.log);
    });
    if (mails > 0) this.outbox?.wake();
  }

  stop(): void {
    this.#stopping = true;
    this.#watcher.close();
  }
}
