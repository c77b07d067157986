/** Query module for the dead letters: accepted events the foreman could not digest. */
import type { QueueDb } from '../db/open.js';

export interface DeadLetterRow {
  id: number;
  project_id: number;
  event_id: string;
  received_at: number;
  failed_at: number;
  error: string;
  size: number;
  /** The first bytes of the payload as text, for a glance. */
  preview: string;
}

const PREVIEW = 300;

export function listDeadLetters(db: QueueDb, limit = 100): DeadLetterRow[] {
  return db
    .all(
      db.kysely
        .selectFrom('dead_letters')
        .select(['id', 'project_id', 'event_id', 'received_at', 'failed_at', 'error', 'payload'])
        .orderBy('id', 'desc')
        .limit(limit),
    )
    .map(({ payload, ...r }) => ({ ...r, size: payload.length, preview: payload.subarray(0, PREVIEW).toString('utf8') }));
}
