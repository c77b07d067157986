// Queue DB, first schema: accepted events waiting for the foreman, and the dead letters
// it could not digest. Kept apart from the main DB so that ingest commits never wait
// behind a digest transaction.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('envelopes')
    // A plain rowid: the foreman deletes exactly the ids it digested, so reuse cannot bite.
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('project_id', 'integer', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('payload', 'blob', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('dead_letters')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('queue_id', 'integer', (c) => c.notNull())
    .addColumn('project_id', 'integer', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('payload', 'blob', (c) => c.notNull())
    .addColumn('error', 'text', (c) => c.notNull())
    .addColumn('failed_at', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('dead_letters').ifExists().execute();
  await db.schema.dropTable('envelopes').ifExists().execute();
}
