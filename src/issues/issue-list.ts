/**
 * Query module for issue lists: one project's or all of a user's projects,
 * by tab, sort and search, with keyset pagination (a page costs the same on
 * page 1 and page 1000: no OFFSET scan).
 */
import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { MainDb } from '../db/open.js';
import type { MainSchema } from '../db/main-schema.js';
import { BadRequestError } from '../errors.js';
import type { IssueSearch } from './search-query.js';

export const ISSUE_TABS = ['open', 'unresolved', 'muted', 'resolved', 'all'] as const;
export type IssueTab = (typeof ISSUE_TABS)[number];
export const ISSUE_SORTS = ['last_seen', 'first_seen', 'event_count'] as const;
export type IssueSort = (typeof ISSUE_SORTS)[number];

export interface IssueRow {
  id: number;
  project_id: number;
  title: string;
  culprit: string;
  level: string;
  status: string;
  event_count: number;
  first_seen: number;
  last_seen: number;
}

export interface IssueListQuery {
  readonly projectIds: readonly number[];
  readonly tab: IssueTab;
  readonly sort: IssueSort;
  readonly search: IssueSearch;
  readonly cursor?: string | undefined;
  readonly limit: number;
}

export interface IssuePage {
  readonly issues: IssueRow[];
  /** Cursor of the next page, or null on the last one. */
  readonly next: string | null;
}

type Eb = ExpressionBuilder<MainSchema, 'issues'>;

/** Muted issues are unresolved ones somebody asked not to hear about: "Unresolved" shows both. */
function tabFilter(eb: Eb, tab: IssueTab) {
  switch (tab) {
    case 'open':
      return eb('issues.status', '=', 'unresolved');
    case 'unresolved':
      return eb('issues.status', 'in', ['unresolved', 'muted']);
    case 'muted':
      return eb('issues.status', '=', 'muted');
    case 'resolved':
      return eb('issues.status', '=', 'resolved');
    case 'all':
      return eb.lit(true);
  }
}

function stateFilter(eb: Eb, state: IssueSearch['states'][number]) {
  return state === 'unresolved' ? eb('issues.status', 'in', ['unresolved', 'muted']) : eb('issues.status', '=', state);
}

/** LIKE with the user's text taken literally: %, _ and the escape itself are escaped. */
function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function filtered(db: MainDb, projectIds: readonly number[], search: IssueSearch): SelectQueryBuilder<MainSchema, 'issues', object> {
  let q = db.kysely.selectFrom('issues').where('issues.project_id', 'in', projectIds.length ? [...projectIds] : [-1]);
  for (const state of search.states) q = q.where((eb) => stateFilter(eb, state));
  for (const level of search.levels) q = q.where('issues.level', '=', level);
  for (const text of search.text) {
    const pattern = contains(text);
    q = q.where((eb) =>
      eb.or([sql<boolean>`issues.title LIKE ${pattern} ESCAPE '\\'`, sql<boolean>`issues.culprit LIKE ${pattern} ESCAPE '\\'`]),
    );
  }
  for (const { key, value } of search.tags) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('issue_tags')
          .select(sql.lit(1).as('one'))
          .whereRef('issue_tags.issue_id', '=', 'issues.id')
          .where('issue_tags.key', '=', key)
          .where('issue_tags.value', '=', value),
      ),
    );
  }
  return q;
}

/** Cursors are opaque to clients: base64url of [sort value, id] of the last row shown. */
export function encodeCursor(row: IssueRow, sort: IssueSort): string {
  return Buffer.from(JSON.stringify([row[sort], row.id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, number] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && v.every((n) => Number.isSafeInteger(n))) return v as [number, number];
  } catch {
    // fall through
  }
  throw new BadRequestError('the page cursor is not valid; start again from the first page');
}

export function listIssues(db: MainDb, query: IssueListQuery): IssuePage {
  const { sort, limit } = query;
  let q = filtered(db, query.projectIds, query.search)
    .where((eb) => tabFilter(eb, query.tab))
    .select(['issues.id', 'issues.project_id', 'issues.title', 'issues.culprit', 'issues.level', 'issues.status', 'issues.event_count', 'issues.first_seen', 'issues.last_seen'])
    .orderBy(`issues.${sort}`, 'desc')
    .orderBy('issues.id', 'desc')
    .limit(limit + 1);
  if (query.cursor) {
    const [value, id] = decodeCursor(query.cursor);
    // Row-value comparison: SQLite walks the (…, sort, id) index from the cursor on.
    q = q.where((eb) => eb(eb.refTuple(`issues.${sort}`, 'issues.id'), '<', eb.tuple(value, id)));
  }
  const rows = db.all(q) as IssueRow[];
  const more = rows.length > limit;
  const issues = more ? rows.slice(0, limit) : rows;
  return { issues, next: more ? encodeCursor(issues.at(-1)!, sort) : null };
}

/** How many issues each tab holds for this search. */
export function countIssuesByTab(db: MainDb, projectIds: readonly number[], search: IssueSearch): Record<IssueTab, number> {
  const rows = db.all(
    filtered(db, projectIds, search)
      .select(['issues.status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('issues.status'),
  );
  const by = new Map(rows.map((r) => [r.status, Number(r.n)]));
  const unresolved = by.get('unresolved') ?? 0;
  const muted = by.get('muted') ?? 0;
  const resolved = by.get('resolved') ?? 0;
  return { open: unresolved, unresolved: unresolved + muted, muted, resolved, all: unresolved + muted + resolved };
}

const HOUR_MS = 3_600_000;

/** Hourly event counts of the last `hours` hours (oldest first) for each issue, for sparklines. */
export function recentHourlyCounts(db: MainDb, issueIds: readonly number[], hours: number, now = Date.now()): Map<number, number[]> {
  const last = Math.floor(now / HOUR_MS);
  const first = last - hours + 1;
  const out = new Map<number, number[]>(issueIds.map((id) => [id, new Array<number>(hours).fill(0)]));
  if (issueIds.length === 0) return out;
  const rows = db.all(
    db.kysely
      .selectFrom('issue_hourly')
      .select(['issue_id', 'hour', 'count'])
      .where('issue_id', 'in', [...issueIds])
      .where('hour', '>=', first)
      .where('hour', '<=', last),
  );
  for (const r of rows) out.get(r.issue_id)![r.hour - first] = r.count;
  return out;
}
