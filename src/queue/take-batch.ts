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

/** The oldest rows, at most `maxRows` and about `maxBytes` of payload (always at least one row). */
export function takeBatch(db: QueueDb, maxRows: number, maxBytes: number): QueueRow[] {
  const q = db.kysely
    .selectFrom('envelopes')
    .select(['id', 'project_id', 'event_id', 'received_at', 'source', 'headers', 'payload'])
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
 * Removes a digested batch and files its dead letters, atomically.
 * Rows are taken oldest-first and the id is a rowid, so every row with an id up
 * to the batch's last one is in the batch: rows appended meanwhile get larger ids.
 */
export function finishBatch(db: QueueDb, batch: readonly QueueRow[], dead: readonly DeadLetter[], log: Logger): void {
  const last = batch.at(-1);
  if (!last) return;
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
    db.run(db.kysely.deleteFrom('envelopes').where('id', '<=', last.id));
  }, log);
}

export function queueCounts(db: QueueDb): { pending: number; dead: number } {
  const pending = db.first(db.kysely.selectFrom('envelopes').select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0;
  const dead = db.first(db.kysely.selectFrom('dead_letters').select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0;
  return { pending: Number(pending), dead: Number(dead) };
}
