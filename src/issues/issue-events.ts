/**
 * Query module for the events of one issue: pages of them, one of them, and
 * first / previous / next / last navigation. "Event order" is digest order
 * (the events table's id), which the (issue_id, id) index serves directly.
 */
import type { MainDb } from '../db/open.js';
import { BadRequestError, NotFoundError } from '../errors.js';

export interface EventSummary {
  id: number;
  event_id: string;
  timestamp: number;
  received_at: number;
  level: string;
  release: string | null;
  environment: string | null;
}

export interface StoredEvent extends EventSummary {
  issue_id: number;
  project_id: number;
  /** The normalized event as stored (see src/digest/normalize.ts for its canonical forms). */
  data: Record<string, unknown>;
}

export interface EventNavigation {
  first: string | null;
  previous: string | null;
  next: string | null;
  last: string | null;
}

const SUMMARY = ['id', 'event_id', 'timestamp', 'received_at', 'level', 'release', 'environment'] as const;

/** Newest first; `before` is the internal id of the last event of the previous page. */
export function listEvents(db: MainDb, issueId: number, limit: number, before?: number): { events: EventSummary[]; next: number | null } {
  if (before !== undefined && !Number.isSafeInteger(before)) throw new BadRequestError('the page cursor is not valid');
  let q = db.kysely.selectFrom('events').select([...SUMMARY]).where('issue_id', '=', issueId).orderBy('id', 'desc').limit(limit + 1);
  if (before !== undefined) q = q.where('id', '<', before);
  const rows = db.all(q);
  const more = rows.length > limit;
  const events = more ? rows.slice(0, limit) : rows;
  return { events, next: more ? events.at(-1)!.id : null };
}

function parse(row: Omit<StoredEvent, 'data'> & { data: string }): StoredEvent {
  return { ...row, data: JSON.parse(row.data) as Record<string, unknown> };
}

/** One event of the issue by its event_id, or the newest when `eventId` is 'latest'. */
export function getEvent(db: MainDb, issueId: number, eventId: string | 'latest'): StoredEvent {
  let q = db.kysely.selectFrom('events').select([...SUMMARY, 'issue_id', 'project_id', 'data']).where('issue_id', '=', issueId);
  q = eventId === 'latest' ? q.orderBy('id', 'desc').limit(1) : q.where('event_id', '=', eventId);
  const row = db.first(q);
  if (!row) throw new NotFoundError('no such event');
  return parse(row);
}

export function eventNavigation(db: MainDb, issueId: number, eventRowId: number): EventNavigation {
  const one = (dir: 'asc' | 'desc', cmp?: '<' | '>') => {
    let q = db.kysely.selectFrom('events').select('event_id').where('issue_id', '=', issueId).orderBy('id', dir).limit(1);
    if (cmp) q = q.where('id', cmp, eventRowId);
    return db.first(q)?.event_id ?? null;
  };
  const first = one('asc');
  const last = one('desc');
  const previous = one('desc', '<');
  const next = one('asc', '>');
  // On the first event there is no "first" to go to, and likewise for the last.
  return { first: previous === null ? null : first, previous, next, last: next === null ? null : last };
}
