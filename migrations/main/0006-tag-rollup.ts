// Main DB: where the foreman's tag rollup stands. The digest sums per-issue tag counts in
// memory across batches and writes them now and then (src/digest/tag-rollup.ts); this row
// says up to which event (events.id) issue_tags holds them, so that after a crash the foreman
// counts again exactly the events after it. Existing events are all counted already.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('digest_state')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('tags_through_event', 'integer', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO digest_state (id, tags_through_event) SELECT 1, coalesce(max(id), 0) FROM events`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('digest_state').ifExists().execute();
}
