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

/** The tab's filter with its column disqualified from index use (see Filtered.driven). */
function disqualified(_eb: Eb, tab: IssueTab) {
  switch (tab) {
    case 'open':
      return sql<boolean>`+issues.status = 'unresolved'`;
    case 'unresolved':
      return sql<boolean>`+issues.status IN ('unresolved', 'muted')`;
    case 'muted':
      return sql<boolean>`+issues.status = 'muted'`;
    case 'resolved':
      return sql<boolean>`+issues.status = 'resolved'`;
    case 'all':
      return sql<boolean>`1`;
  }
}

function stateFilter(eb: Eb, state: IssueSearch['states'][number]) {
  return state === 'unresolved' ? eb('issues.status', 'in', ['unresolved', 'muted']) : eb('issues.status', '=', state);
}

/** LIKE with the user's text taken literally: %, _ and the escape itself are escaped. */
function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Up to this many issues with a tag value, starting from the tag index is cheaper than walking the list. */
const RARE_TAG = 5000;

function rareTag(db: MainDb, key: string, value: string): boolean {
  const n = db.first(
    db.kysely
      .selectFrom((eb) => eb.selectFrom('issue_tags').select(sql.lit(1).as('one')).where('key', '=', key).where('value', '=', value).limit(RARE_TAG + 1).as('t'))
      .select((eb) => eb.fn.countAll<number>().as('n')),
  )?.n;
  return Number(n ?? 0) <= RARE_TAG;
}

interface Filtered {
  q: SelectQueryBuilder<MainSchema, 'issues', object>;
  /**
   * A rare tag value narrows the search to a few issues: the query should start
   * from them (rowid lookups) rather than walk an issues index. SQLite has no
   * statistics to know that, so the other indexable terms are disqualified with
   * a unary + (www.sqlite.org/optoverview.html#disqualifying_where_clause_terms_using_unary_).
   */
  driven: boolean;
}

function filtered(db: MainDb, projectIds: readonly number[], search: IssueSearch): Filtered {
  const rare = search.tags.filter((t) => rareTag(db, t.key, t.value));
  const driven = rare.length > 0;
  const ids = projectIds.length ? [...projectIds] : [-1];
  let q = driven
    ? db.kysely.selectFrom('issues').where(sql<boolean>`+issues.project_id IN (${sql.join(ids)})`)
    : db.kysely.selectFrom('issues').where('issues.project_id', 'in', ids);
  for (const state of search.states) q = q.where((eb) => stateFilter(eb, state));
  for (const level of search.levels) q = q.where('issues.level', '=', level);
  for (const text of search.text) {
    const pattern = contains(text);
    q = q.where((eb) =>
      eb.or([sql<boolean>`issues.title LIKE ${pattern} ESCAPE '\\'`, sql<boolean>`issues.culprit LIKE ${pattern} ESCAPE '\\'`]),
    );
  }
  for (const { key, value } of search.tags) {
    const matching = db.kysely.selectFrom('issue_tags').select('issue_tags.issue_id').where('issue_tags.key', '=', key).where('issue_tags.value', '=', value);
    // A rare value: start from the issues that carry it. A common one: check it row by
    // row while walking the list's own index, which stops after one page.
    q = rare.includes(search.tags.find((t) => t.key === key && t.value === value)!)
      ? q.where('issues.id', 'in', matching)
      : q.where(sql<boolean>`EXISTS (SELECT 1 FROM issue_tags t WHERE t.issue_id = issues.id AND t.key = ${key} AND t.value = ${value})`);
  }
  return { q, driven };
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

/** The list's query, for listIssues and for the tests that check its plan. */
export function issueListQuery(db: MainDb, query: IssueListQuery) {
  const { sort, limit } = query;
  const f = filtered(db, query.projectIds, query.search);
  let q = f.q
    .where((eb) => (f.driven ? disqualified(eb, query.tab) : tabFilter(eb, query.tab)))
    .select(['issues.id', 'issues.project_id', 'issues.title', 'issues.culprit', 'issues.level', 'issues.status', 'issues.event_count', 'issues.first_seen', 'issues.last_seen'])
    .orderBy(f.driven ? sql`+${sql.ref(`issues.${sort}`)}` : sql.ref(`issues.${sort}`), 'desc')
    .orderBy('issues.id', 'desc')
    .limit(limit + 1);
  if (query.cursor) {
    const [value, id] = decodeCursor(query.cursor);
    // Row-value comparison: SQLite walks the (…, sort, id) index from the cursor on.
    q = q.where((eb) => eb(eb.refTuple(`issues.${sort}`, 'issues.id'), '<', eb.tuple(value, id)));
  }
  return q;
}

export function listIssues(db: MainDb, query: IssueListQuery): IssuePage {
  const { sort, limit } = query;
  const q = issueListQuery(db, query);
  const rows = db.all(q) as IssueRow[];
  const more = rows.length > limit;
  const issues = more ? rows.slice(0, limit) : rows;
  return { issues, next: more ? encodeCursor(issues.at(-1)!, sort) : null };
}

/**
 * A free-text search is a scan of every issue's title and culprit (no index helps
 * a substring), and a common tag value matches most issues: such counts stop at
 * this many, and show as "1,000+".
 */
export const COUNT_CAP = 1000;

export interface TabCount {
  readonly n: number;
  /** The count stopped at the cap: there are at least `n`. */
  readonly atLeast: boolean;
}

export type TabCounts = Record<IssueTab, TabCount>;

const STATUSES = ['unresolved', 'muted', 'resolved'] as const;

function sum(...parts: TabCount[]): TabCount {
  return { n: parts.reduce((a, p) => a + p.n, 0), atLeast: parts.some((p) => p.atLeast) };
}

/**
 * How many issues each tab holds for this search. Capped counts stop per state
 * (each walks its own (project, status, …) index), so every tab's figure is a
 * true lower bound and says so, rather than one arbitrary split of the first rows.
 */
export function countIssuesByTab(db: MainDb, projectIds: readonly number[], search: IssueSearch, cap = COUNT_CAP): TabCounts {
  const by = new Map<string, TabCount>();
  if (search.text.length === 0 && search.tags.every((t) => rareTag(db, t.key, t.value))) {
    // Exact: an index-only walk of (project, status), or of the few issues with the tag values.
    const f = filtered(db, projectIds, search);
    const status = f.driven ? sql<string>`+issues.status` : sql<string>`issues.status`;
    const rows = db.all(f.q.select([status.as('status'), (eb) => eb.fn.countAll<number>().as('n')]).groupBy(status));
    for (const r of rows) by.set(r.status, { n: Number(r.n), atLeast: false });
  } else {
    const f = filtered(db, projectIds, search);
    for (const state of STATUSES) {
      const q = f.q.where(f.driven ? sql<boolean>`+issues.status = ${state}` : sql<boolean>`issues.status = ${state}`);
      const rows = db.all(q.select(sql.lit(1).as('one')).limit(cap + 1));
      by.set(state, { n: Math.min(rows.length, cap), atLeast: rows.length > cap });
    }
  }
  const none: TabCount = { n: 0, atLeast: false };
  const [unresolved, muted, resolved] = STATUSES.map((s) => by.get(s) ?? none) as [TabCount, TabCount, TabCount];
  return { open: unresolved, unresolved: sum(unresolved, muted), muted, resolved, all: sum(unresolved, muted, resolved) };
}

/**
 * The tag terms of a search that no issue of these projects carries, to explain
 * an empty list (and offer the words as text: they may come from a pasted title).
 * Each is one probe of the (key, value, issue) index.
 */
export function unmatchedTags(db: MainDb, projectIds: readonly number[], search: IssueSearch): Array<{ key: string; value: string }> {
  const ids = projectIds.length ? [...projectIds] : [-1];
  return search.tags.filter(
    ({ key, value }) =>
      !db.first(
        db.kysely
          .selectFrom('issue_tags')
          .innerJoin('issues', 'issues.id', 'issue_tags.issue_id')
          .select(sql.lit(1).as('one'))
          .where('issue_tags.key', '=', key)
          .where('issue_tags.value', '=', value)
          .where('issues.project_id', 'in', ids)
          .limit(1),
      ),
  );
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
