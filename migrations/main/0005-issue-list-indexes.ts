// Main DB: indexes for the issue list at 100k issues a project. Each tab (status)
// and sort gets an index whose order is the list's order, so a page reads ~50
// index entries instead of sorting the project; SQLite appends the rowid (the
// issue id) to every index entry, which makes "sort, then id" free as well.
// Checked with EXPLAIN QUERY PLAN in test/unit/issue-list-plans.test.ts.
import type { Kysely } from 'kysely';

const SORTS = ['last_seen', 'first_seen', 'event_count'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const sort of SORTS) {
    await db.schema.createIndex(`issues_project_status_${sort}`).on('issues').columns(['project_id', 'status', sort]).execute();
  }
  // The "All" and "Unresolved" (two statuses) tabs walk the project in sort order instead.
  await db.schema.createIndex('issues_project_first_seen').on('issues').columns(['project_id', 'first_seen']).execute();
  await db.schema.createIndex('issues_project_event_count').on('issues').columns(['project_id', 'event_count']).execute();
  // Tag searches ("browser:Firefox") start from the issues that have the value, and
  // count them, without visiting every issue of the project. Only a new value of an
  // issue writes this index; the digest's count updates do not touch it.
  await db.schema.createIndex('issue_tags_key_value').on('issue_tags').columns(['key', 'value', 'issue_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const sort of SORTS) await db.schema.dropIndex(`issues_project_status_${sort}`).ifExists().execute();
  await db.schema.dropIndex('issues_project_first_seen').ifExists().execute();
  await db.schema.dropIndex('issues_project_event_count').ifExists().execute();
  await db.schema.dropIndex('issue_tags_key_value').ifExists().execute();
}
