// Main DB, first schema: projects and their keys, issues, events and the per-issue aggregates.
// Times are epoch milliseconds. Migrations use Kysely<any> on purpose: they must keep
// working when the app's schema types move on.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('project_keys')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('public_key', 'text', (c) => c.notNull().unique())
    .addColumn('label', 'text', (c) => c.notNull().defaultTo('Default'))
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('project_keys_project').on('project_keys').column('project_id').execute();

  // Workers cache keys in memory and poll this one row; triggers keep it honest
  // whoever changes a key (web, CLI, a cascade from a deleted project).
  await db.schema
    .createTable('key_version')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  await db.insertInto('key_version').values({ id: 1, version: 1 }).execute();
  for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
    await sql
      .raw(
        `CREATE TRIGGER project_keys_${op.toLowerCase()}_bump AFTER ${op} ON project_keys
         BEGIN UPDATE key_version SET version = version + 1 WHERE id = 1; END`,
      )
      .execute(db);
  }

  await db.schema
    .createTable('issues')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('grouping_hash', 'text', (c) => c.notNull())
    .addColumn('grouping_key', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('culprit', 'text', (c) => c.notNull())
    .addColumn('type', 'text')
    .addColumn('value', 'text')
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('first_seen', 'integer', (c) => c.notNull())
    .addColumn('last_seen', 'integer', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('unresolved'))
    .addUniqueConstraint('issues_project_grouping', ['project_id', 'grouping_hash'])
    .execute();
  await db.schema.createIndex('issues_project_last_seen').on('issues').columns(['project_id', 'last_seen']).execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('issue_id', 'integer', (c) => c.notNull().references('issues.id').onDelete('cascade'))
    .addColumn('timestamp', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'integer', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('release', 'text')
    .addColumn('environment', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    // The digest's idempotency: a re-delivered event (crash between the main commit
    // and the queue delete, or an SDK retry) is recognised and not counted twice.
    .addUniqueConstraint('events_project_event_id', ['project_id', 'event_id'])
    .execute();
  await db.schema.createIndex('events_issue').on('events').columns(['issue_id', 'id']).execute();

  // WITHOUT ROWID: these are looked up and upserted by their full key only.
  await sql`CREATE TABLE issue_hourly (
      issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
      hour INTEGER NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (issue_id, hour)
    ) WITHOUT ROWID`.execute(db);
  await sql`CREATE TABLE issue_tags (
      issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      count INTEGER NOT NULL,
      first_seen INTEGER NOT NULL,
      last_seen INTEGER NOT NULL,
      PRIMARY KEY (issue_id, key, value)
    ) WITHOUT ROWID`.execute(db);

  for (const [table, column] of [
    ['releases', 'version'],
    ['environments', 'name'],
  ] as const) {
    await db.schema
      .createTable(table)
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn(column, 'text', (c) => c.notNull())
      .addColumn('first_seen', 'integer', (c) => c.notNull())
      .addColumn('last_seen', 'integer', (c) => c.notNull())
      .addUniqueConstraint(`${table}_project_${column}`, ['project_id', column])
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['environments', 'releases', 'issue_tags', 'issue_hourly', 'events', 'issues', 'key_version', 'project_keys', 'projects']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
