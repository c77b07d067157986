/**
 * The worker's side of the queue: append accepted events, answer after commit.
 *
 * Group commit: requests that arrive while a commit is being prepared share it.
 * Each caller's promise settles only after the COMMIT that holds its row has
 * returned, so a 200 is never sent for an event that is not on disk.
 */
import type { Logger } from 'pino';
import type { QueueDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';
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

export class Enqueuer {
  #pending: Waiting[] = [];
  #scheduled = false;
  /** Compiled once; rows are bound positionally in the column order of these values. */
  readonly #insertSql: string;

  constructor(
    private readonly db: QueueDb,
    private readonly log: Logger,
  ) {
    this.#insertSql = db.kysely
      .insertInto('envelopes')
      .values({ project_id: 0, event_id: '', received_at: 0, source: '', headers: '', payload: Buffer.alloc(0) })
      .compile().sql;
  }

  enqueue(row: QueuedEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate, not a microtask: lets the requests already read off the
        // sockets in this loop turn join the same commit.
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    const stmt = this.db.statement(this.#insertSql);
    try {
      writeTransaction(this.db.sqlite, 'enqueue', () => {
        for (const { row } of batch) {
          stmt.run(row.projectId, row.eventId, row.receivedAt, row.source, row.headers, row.payload);
        }
      }, this.log);
    } catch (err) {
      this.log.error({ err, events: batch.length }, 'queue commit failed');
      const answer = new ServiceUnavailableError('the event queue is not writable right now; retry later');
      for (const w of batch) w.reject(answer);
      return;
    }
    for (const w of batch) w.resolve();
  }
}
