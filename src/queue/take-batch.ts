/**
 * The foreman's side of the queue: read the oldest rows, and once they are
 * digested (or dead-lettered) remove them in one short transaction.
 */
import type { Logger } from 'pino';
import type { QueueDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';

export interface QueueRow {
  readonly id: number;
  readonly project_id: number;
  readonly event_id: string;
  readonly received_at: number;
  readonly source: string;
  readonly headers: string;
  readonly payload: Buffer;
}

export interface DeadLetter {
  readonly row: QueueRow;
  readonly error: string;
}

/**
 * The oldest rows after `afterId` (the last row already taken, not yet finished), at most
 * `maxRows` and about `maxBytes` of payload (always at least one row).
 */
export function takeBatch(db: QueueDb, maxRows: number, maxBytes: number, afterId = 0): QueueRow[] {
  const q = db.kysely
    .selectFrom('envelopes')
    .select(['id', 'project_id', 'event_id', 'received_at', 'source', 'headers', 'payload'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(maxRows)
    .compile();
  const rows: QueueRow[] = [];
  let bytes = 0;
  for (const row of db.statement(q.sql).iterate(...(q.parameters as unknown[])) as IterableIterator<QueueRow>) {
    rows.push(row);
    bytes += row.payload.length;
    if (bytes >= maxBytes) break; // leaving the loop finalizes the iterator
  }
  return rows;
}

/**
 * Removes digested batches — every row up to `lastId` — and files their dead letters,
 * atomically. Rows are taken oldest-first and the id is a rowid, so every row with an id up
 * to the last one taken was in a batch: rows appended meanwhile get larger ids.
 */
export function finishBatch(db: QueueDb, lastId: number, dead: readonly DeadLetter[], log: Logger): void {
  const now = Date.now();
  writeTransaction(db.sqlite, 'queue.finish', () => {
    for (const { row, error } of dead) {
      db.run(
        db.kysely.insertInto('dead_letters').values({
          queue_id: row.id,
          project_id: row.project_id,
          event_id: row.event_id,
          received_at: row.received_at,
          source: row.source,
          headers: row.headers,
          payload: row.payload,
          error,
          failed_at: now,
        }),
      );
    }
    db.run(db.kysely.deleteFrom('envelopes').where('id', '<=', lastId));
  }, log);
}

export function queueCounts(db: QueueDb): { pending: number; dead: number } {
  const pending = db.first(db.kysely.selectFrom('envelopes').select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0;
  const dead = db.first(db.kysely.selectFrom('dead_letters').select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0;
  return { pending: Number(pending), dead: Number(dead) };
}
