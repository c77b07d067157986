/** Row types of the queue DB, as migrations/queue creates them. Times are epoch milliseconds. */
import type { Generated } from 'kysely';

/** One accepted event waiting for the foreman. */
export interface EnvelopesTable {
  id: Generated<number>;
  project_id: number;
  /** 32 hex; always set at ingest, so a re-digest after a crash finds the same id. */
  event_id: string;
  received_at: number;
  /** 'envelope' or 'store': which endpoint took it. */
  source: string;
  /** The envelope header line as JSON text ('{}' for the store endpoint). */
  headers: string;
  /** The event JSON bytes exactly as the SDK sent them (decompressed). */
  payload: Buffer;
}

/** An accepted event the foreman could not digest: kept with its error, for an admin to look at. */
export interface DeadLettersTable {
  id: Generated<number>;
  queue_id: number;
  project_id: number;
  event_id: string;
  received_at: number;
  source: string;
  headers: string;
  payload: Buffer;
  error: string;
  failed_at: number;
}

export interface QueueSchema {
  envelopes: EnvelopesTable;
  dead_letters: DeadLettersTable;
}
