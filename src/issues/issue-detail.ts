/** Query module for one issue: its row, its tag distributions and its event histogram. */
import { sql, type Selectable } from 'kysely';
import type { IssuesTable } from '../db/main-schema.js';
import type { MainDb } from '../db/open.js';
import { NotFoundError } from '../errors.js';
import type { IssueRow } from './issue-list.js';

/** Beyond the list's row: what the header shows, including how it is resolved or muted (lifecycle.ts stateWording). */
const DETAIL_COLUMNS = [
  'grouping_key', 'type', 'value', 'platform',
  'resolved_at', 'resolved_in_release', 'resolved_after_release', 'muted_at', 'muted_until', 'mute_count', 'mute_window_ms',
] as const;

export type IssueDetail = IssueRow & Pick<Selectable<IssuesTable>, (typeof DETAIL_COLUMNS)[number]>;

/**
 * The issue, if it belongs to one of `projectIds` (the caller's visible projects).
 * Anything else is a 404, whether it exists or not: no leak across teams.
 */
export function getIssue(db: MainDb, issueId: number, projectIds: readonly number[]): IssueDetail {
  const row = db.first(
    db.kysely
      .selectFrom('issues')
      .select(['id', 'project_id', 'title', 'culprit', 'level', 'status', 'event_count', 'first_seen', 'last_seen', ...DETAIL_COLUMNS])
      .where('id', '=', issueId)
      .where('project_id', 'in', projectIds.length ? [...projectIds] : [-1]),
  );
  if (!row) throw new NotFoundError('no such issue');
  return row;
}

/** The projects the given issues belong to (for per-project permission checks). */
export function issueProjectIds(db: MainDb, issueIds: readonly number[]): number[] {
  if (issueIds.length === 0) return [];
  return db
    .all(db.kysely.selectFrom('issues').select('project_id').distinct().where('id', 'in', [...issueIds]))
    .map((r) => r.project_id);
}

export interface TagValueCount {
  value: string;
  count: number;
  first_seen: number;
  last_seen: number;
}

export interface TagDistribution {
  key: string;
  /** Events that carried this key at all. */
  total: number;
  /** Distinct values seen. */
  distinct: number;
  /** The most frequent values, most frequent first. */
  top: TagValueCount[];
}

/** Per tag key: how the issue's events spread over its values. */
export function tagDistributions(db: MainDb, issueId: number, topN = 5): TagDistribution[] {
  const rows = db.all(
    db.kysely
      .selectFrom('issue_tags')
      .select(['key', 'value', 'count', 'first_seen', 'last_seen'])
      .where('issue_id', '=', issueId)
      .orderBy('key')
      .orderBy('count', 'desc')
      .orderBy('value'),
  );
  const byKey = new Map<string, TagDistribution>();
  for (const r of rows) {
    let d = byKey.get(r.key);
    if (!d) byKey.set(r.key, (d = { key: r.key, total: 0, distinct: 0, top: [] }));
    d.total += r.count;
    d.distinct++;
    if (d.top.length < topN) d.top.push({ value: r.value, count: r.count, first_seen: r.first_seen, last_seen: r.last_seen });
  }
  return [...byKey.values()];
}

/** Values seen for one tag key (releases and environments of the issue header), newest first. */
export function tagValues(db: MainDb, issueId: number, key: string): TagValueCount[] {
  return db.all(
    db.kysely
      .selectFrom('issue_tags')
      .select(['value', 'count', 'first_seen', 'last_seen'])
      .where('issue_id', '=', issueId)
      .where('key', '=', key)
      .orderBy('last_seen', 'desc'),
  );
}

const HOUR_MS = 3_600_000;
/** A literal, not a bound parameter: better-sqlite3 binds JS numbers as REAL, and hour / 24.0 would not truncate. */
const DAY_HOURS = sql.lit(24);

/** Events per UTC day for the last `days` days, oldest first (for the 30-day histogram). */
export function dailyCounts(db: MainDb, issueId: number, days: number, now = Date.now()): Array<{ day: number; count: number }> {
  const lastDay = Math.floor(now / HOUR_MS / 24);
  const firstDay = lastDay - days + 1;
  const rows = db.all(
    db.kysely
      .selectFrom('issue_hourly')
      .select([sql<number>`hour / ${DAY_HOURS}`.as('day'), (eb) => eb.fn.sum<number>('count').as('count')])
      .where('issue_id', '=', issueId)
      .where('hour', '>=', firstDay * 24)
      .groupBy(sql`hour / ${DAY_HOURS}`),
  );
  const by = new Map(rows.map((r) => [Number(r.day), Number(r.count)]));
  return Array.from({ length: days }, (_, i) => ({ day: firstDay + i, count: by.get(firstDay + i) ?? 0 }));
}
