/**
 * The digest's statements, built with Kysely once and prepared once.
 *
 * The digest runs thousands of these per second; compiling a Kysely query costs
 * more than executing it, so each is compiled with placeholder values and the
 * real values are bound positionally. The comment on each names the order.
 */
import { sql } from 'kysely';
import type { Statement } from 'better-sqlite3';
import type { MainDb } from '../db/open.js';
import { ISSUE_STATE_COLUMNS } from './lifecycle-apply.js';

export interface DigestStatements {
  /** (project_id) → { id } */
  projectExists: Statement;
  /** (project_id, event_id) → { id } */
  eventExists: Statement;
  /** (project_id, grouping_hash) → IssueState (lifecycle-apply.ts) */
  findIssue: Statement;
  /** (project_id, grouping_hash, grouping_key, title, culprit, type, value, level, platform, first_seen, last_seen) → { id } */
  insertIssue: Statement;
  /** (count, newest timestamp, oldest timestamp, newest timestamp, newest level, id); SET sees the old row. */
  updateIssue: Statement;
  /** (project_id, event_id, issue_id, timestamp, received_at, level, release, environment, data) */
  insertEvent: Statement;
  /** (issue_id, hour, count) */
  addHourly: Statement;
  /** (issue_id, key, value, count, first_seen, last_seen) */
  addTag: Statement;
  /** TAG_ROWS rows of addTag's values, flattened: one call instead of TAG_ROWS. */
  addTags: Statement;
  /** (project_id, version, first_seen, last_seen) */
  addRelease: Statement;
  /** (project_id, name, first_seen, last_seen) */
  addEnvironment: Statement;
}

/**
 * Tag counters are most of the digest's statements (an event brings 10–30 tags, and most are
 * new to their issue within a batch); a multi-row upsert pays the per-statement cost of the
 * driver once per TAG_ROWS rows. Rows of one statement must have distinct keys (they do: the
 * digest sums them per issue, key and value first).
 */
export const TAG_ROWS = 64;

function addTags(k: MainDb['kysely'], rows: number) {
  const row = { issue_id: 0, key: '', value: '', count: 0, first_seen: 0, last_seen: 0 };
  return k
    .insertInto('issue_tags')
    .values(Array.from({ length: rows }, () => row))
    .onConflict((oc) =>
      oc.columns(['issue_id', 'key', 'value']).doUpdateSet({
        count: sql`issue_tags.count + excluded.count`,
        first_seen: sql`min(issue_tags.first_seen, excluded.first_seen)`,
        last_seen: sql`max(issue_tags.last_seen, excluded.last_seen)`,
      }),
    );
}

export function digestStatements(db: MainDb): DigestStatements {
  const k = db.kysely;
  const s = (q: { compile(): { sql: string } }) => db.sqlite.prepare(q.compile().sql);
  return {
    projectExists: s(k.selectFrom('projects').select('id').where('id', '=', 0)),
    eventExists: s(k.selectFrom('events').select('id').where('project_id', '=', 0).where('event_id', '=', '')),
    findIssue: s(k.selectFrom('issues').select([...ISSUE_STATE_COLUMNS]).where('project_id', '=', 0).where('grouping_hash', '=', '')),
    insertIssue: s(
      k
        .insertInto('issues')
        .values({
          project_id: 0,
          grouping_hash: '',
          grouping_key: '',
          title: '',
          culprit: '',
          type: '',
          value: '',
          level: '',
          platform: '',
          first_seen: 0,
          last_seen: 0,
          event_count: sql.lit(0),
        })
        .returning('id'),
    ),
    updateIssue: s(
      k
        .updateTable('issues')
        .set({
          event_count: sql`event_count + ${0}`,
          last_seen: sql`max(last_seen, ${0})`,
          first_seen: sql`min(first_seen, ${0})`,
          // The level follows the newest event, as the issue list shows "what it is now".
          level: sql`CASE WHEN ${0} >= last_seen THEN ${''} ELSE level END`,
        })
        .where('id', '=', 0),
    ),
    insertEvent: s(
      k.insertInto('events').values({
        project_id: 0,
        event_id: '',
        issue_id: 0,
        timestamp: 0,
        received_at: 0,
        level: '',
        release: '',
        environment: '',
        data: '',
      }),
    ),
    addHourly: s(
      k
        .insertInto('issue_hourly')
        .values({ issue_id: 0, hour: 0, count: 0 })
        .onConflict((oc) => oc.columns(['issue_id', 'hour']).doUpdateSet({ count: sql`issue_hourly.count + excluded.count` })),
    ),
    addTag: s(addTags(k, 1)),
    addTags: s(addTags(k, TAG_ROWS)),
    addRelease: s(
      k
        .insertInto('releases')
        .values({ project_id: 0, version: '', first_seen: 0, last_seen: 0 })
        .onConflict((oc) =>
          oc.columns(['project_id', 'version']).doUpdateSet({
            first_seen: sql`min(releases.first_seen, excluded.first_seen)`,
            last_seen: sql`max(releases.last_seen, excluded.last_seen)`,
          }),
        ),
    ),
    addEnvironment: s(
      k
        .insertInto('environments')
        .values({ project_id: 0, name: '', first_seen: 0, last_seen: 0 })
        .onConflict((oc) =>
          oc.columns(['project_id', 'name']).doUpdateSet({
            first_seen: sql`min(environments.first_seen, excluded.first_seen)`,
            last_seen: sql`max(environments.last_seen, excluded.last_seen)`,
          }),
        ),
    ),
  };
}
