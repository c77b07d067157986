// Main DB: the issue workflow. How an issue was resolved or muted (so the foreman
// can regress or unmute it from new events), the history of every state change,
// per-project alert switches, per-user opt-outs, and the durable mail outbox.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const issueColumns: Array<[string, 'integer' | 'text']> = [
    ['resolved_at', 'integer'],
    // Resolved in this release (or the latest at the time): only events of it or a newer one regress.
    ['resolved_in_release', 'text'],
    // Resolved in the next release: only events of a release newer than this one regress.
    ['resolved_after_release', 'text'],
    ['muted_at', 'integer'],
    // Mute for a time: unmuted once this moment has passed.
    ['muted_until', 'integer'],
    // Mute until volume: unmuted when mute_count events arrive within mute_window_ms,
    // counting only events digested after the mute (events.id > muted_after_event).
    ['mute_count', 'integer'],
    ['mute_window_ms', 'integer'],
    ['muted_after_event', 'integer'],
  ];
  for (const [name, type] of issueColumns) await db.schema.alterTable('issues').addColumn(name, type).execute();
  // The foreman's sweep for time-muted issues whose time has come.
  await db.schema.createIndex('issues_muted_until').on('issues').column('muted_until').where(sql.ref('muted_until'), 'is not', null).execute();

  // No foreign key to issues: the history of a deleted issue (its "deleted" entry
  // above all) outlives it.
  await db.schema
    .createTable('issue_history')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('issue_id', 'integer', (c) => c.notNull())
    .addColumn('project_id', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // NULL: the system (the foreman) made the change.
    .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('issue_history_issue').on('issue_history').columns(['issue_id', 'id']).execute();

  await db.schema
    .createTable('project_alert_settings')
    .addColumn('project_id', 'integer', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('on_new_issue', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('on_regression', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('on_unmute', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await sql`CREATE TABLE alert_optouts (
      project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      PRIMARY KEY (project_id, user_id)
    ) WITHOUT ROWID`.execute(db);

  // One row per mail to one recipient, written in the transaction of the change
  // that causes it; the foreman sends and marks it. state: pending → sent, or
  // failed (gave up; visible to admins), or summarized (folded into a summary
  // when the recipient's hourly cap was hit), or unsent (no SMTP configured).
  await db.schema
    .createTable('mail_outbox')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('project_id', 'integer')
    .addColumn('issue_id', 'integer')
    .addColumn('to_email', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('sent_at', 'integer')
    .execute();
  await db.schema.createIndex('mail_outbox_due').on('mail_outbox').columns(['state', 'next_attempt_at']).execute();
  await db.schema.createIndex('mail_outbox_recipient').on('mail_outbox').columns(['to_email', 'sent_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['mail_outbox', 'alert_optouts', 'project_alert_settings', 'issue_history']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
  await db.schema.dropIndex('issues_muted_until').ifExists().execute();
  for (const c of ['muted_after_event', 'mute_window_ms', 'mute_count', 'muted_until', 'muted_at', 'resolved_after_release', 'resolved_in_release', 'resolved_at']) {
    await db.schema.alterTable('issues').dropColumn(c).execute();
  }
}
