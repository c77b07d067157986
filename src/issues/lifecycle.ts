/**
 * What people do to issues: resolve (now, in a release, in the latest or the
 * next release), mute (forever, for a while, until a volume), reopen, delete.
 * Each is one short write transaction that changes the issues of the caller's
 * visible projects only and records a history entry per issue.
 */
import type { MainDb } from '../db/open.js';
import type { HistoryKind } from '../db/main-schema.js';
import { writeTransaction } from '../db/transaction.js';
import { BadRequestError } from '../errors.js';
import { latestRelease } from '../releases/releases.js';

export type Resolution =
  | { kind: 'now' }
  | { kind: 'in_release'; release: string }
  | { kind: 'in_latest_release' }
  | { kind: 'in_next_release' };

export type MuteSpec = { kind: 'forever' } | { kind: 'for'; ms: number } | { kind: 'until_volume'; count: number; windowMs: number };

export interface Actor {
  /** NULL for the system. */
  readonly userId: number | null;
  readonly projectIds: readonly number[];
}

interface Target {
  id: number;
  project_id: number;
  status: string;
  title: string;
}

function targets(db: MainDb, issueIds: readonly number[], actor: Actor): Target[] {
  if (issueIds.length === 0 || actor.projectIds.length === 0) return [];
  return db.all(
    db.kysely
      .selectFrom('issues')
      .select(['id', 'project_id', 'status', 'title'])
      .where('id', 'in', [...issueIds])
      .where('project_id', 'in', [...actor.projectIds]),
  );
}

export function recordHistory(db: MainDb, t: { id: number; project_id: number }, kind: HistoryKind, userId: number | null, details: object, now: number): void {
  db.run(
    db.kysely
      .insertInto('issue_history')
      .values({ issue_id: t.id, project_id: t.project_id, kind, user_id: userId, details: JSON.stringify(details), created_at: now }),
  );
}

/** Every resolution and mute detail unset: what an issue carries back to "unresolved". */
export const CLEARED_STATE = {
  resolved_at: null,
  resolved_in_release: null,
  resolved_after_release: null,
  muted_at: null,
  muted_until: null,
  mute_count: null,
  mute_window_ms: null,
  muted_after_event: null,
} as const;

/** Returns how many issues changed. */
export function resolveIssues(db: MainDb, issueIds: readonly number[], resolution: Resolution, actor: Actor, now = Date.now()): number {
  return writeTransaction(db.sqlite, 'issues.resolve', () => {
    let changed = 0;
    for (const t of targets(db, issueIds, actor)) {
      let set: { resolved_in_release: string | null; resolved_after_release: string | null } = { resolved_in_release: null, resolved_after_release: null };
      if (resolution.kind === 'in_release') {
        const release = resolution.release.trim();
        if (!release) throw new BadRequestError('resolve in which release? the release name is empty');
        set = { resolved_in_release: release, resolved_after_release: null };
      } else if (resolution.kind === 'in_latest_release') {
        const latest = latestRelease(db, t.project_id);
        if (!latest) throw new BadRequestError('this project has seen no release yet; resolve it now or in the next release');
        set = { resolved_in_release: latest, resolved_after_release: null };
      } else if (resolution.kind === 'in_next_release') {
        set = { resolved_in_release: null, resolved_after_release: latestRelease(db, t.project_id) ?? '' };
      }
      db.run(db.kysely.updateTable('issues').set({ ...CLEARED_STATE, ...set, status: 'resolved', resolved_at: now }).where('id', '=', t.id));
      recordHistory(db, t, 'resolved', actor.userId, { resolution: resolution.kind, ...set }, now);
      changed++;
    }
    return changed;
  });
}

export function muteIssues(db: MainDb, issueIds: readonly number[], spec: MuteSpec, actor: Actor, now = Date.now()): number {
  if (spec.kind === 'for' && !(spec.ms > 0)) throw new BadRequestError('mute for how long? the duration must be positive');
  if (spec.kind === 'until_volume' && !(spec.count > 0 && spec.windowMs > 0)) throw new BadRequestError('the volume condition needs a positive count and window');
  return writeTransaction(db.sqlite, 'issues.mute', () => {
    const newestEvent = (issueId: number) =>
      db.first(db.kysely.selectFrom('events').select('id').where('issue_id', '=', issueId).orderBy('id', 'desc').limit(1))?.id ?? 0;
    let changed = 0;
    for (const t of targets(db, issueIds, actor)) {
      db.run(
        db.kysely
          .updateTable('issues')
          .set({
            ...CLEARED_STATE,
            status: 'muted',
            muted_at: now,
            muted_until: spec.kind === 'for' ? now + spec.ms : null,
            mute_count: spec.kind === 'until_volume' ? spec.count : null,
            mute_window_ms: spec.kind === 'until_volume' ? spec.windowMs : null,
            muted_after_event: spec.kind === 'until_volume' ? newestEvent(t.id) : null,
          })
          .where('id', '=', t.id),
      );
      recordHistory(db, t, 'muted', actor.userId, spec, now);
      changed++;
    }
    return changed;
  });
}

/** Back to unresolved: "reopened" from resolved, "unmuted" from muted. */
export function reopenIssues(db: MainDb, issueIds: readonly number[], actor: Actor, now = Date.now()): number {
  return writeTransaction(db.sqlite, 'issues.reopen', () => {
    let changed = 0;
    for (const t of targets(db, issueIds, actor)) {
      if (t.status === 'unresolved') continue;
      db.run(db.kysely.updateTable('issues').set({ ...CLEARED_STATE, status: 'unresolved' }).where('id', '=', t.id));
      recordHistory(db, t, t.status === 'muted' ? 'unmuted' : 'reopened', actor.userId, {}, now);
      changed++;
    }
    return changed;
  });
}

/**
 * Deletes issues with their events and counters (foreign keys cascade). The
 * history keeps a "deleted" entry with the title, since the issue is gone.
 * A very large issue makes this a long write: it holds the lock that the
 * foreman waits on, which is acceptable for a rare, deliberate action.
 */
export function deleteIssues(db: MainDb, issueIds: readonly number[], actor: Actor, now = Date.now()): number {
  return writeTransaction(db.sqlite, 'issues.delete', () => {
    let changed = 0;
    for (const t of targets(db, issueIds, actor)) {
      db.run(db.kysely.deleteFrom('issues').where('id', '=', t.id));
      recordHistory(db, t, 'deleted', actor.userId, { title: t.title }, now);
      changed++;
    }
    return changed;
  });
}

export interface HistoryEntry {
  kind: HistoryKind;
  user_email: string | null;
  details: Record<string, unknown>;
  created_at: number;
}

export function issueHistory(db: MainDb, issueId: number): HistoryEntry[] {
  return db
    .all(
      db.kysely
        .selectFrom('issue_history')
        .leftJoin('users', 'users.id', 'issue_history.user_id')
        .select(['issue_history.kind', 'users.email as user_email', 'issue_history.details', 'issue_history.created_at'])
        .where('issue_history.issue_id', '=', issueId)
        .orderBy('issue_history.id', 'desc'),
    )
    .map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
}

// ---------- Display wording (issue page header and history) ----------

/** Words with some of them set apart: a release as code, a moment as a time the page formats. */
export type Wording = Array<string | { code: string } | { time: number }>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Largest first; a month is the 30 days the mute choices mean by it. */
const UNITS: ReadonlyArray<[string, number]> = [
  ['month', 30 * DAY],
  ['week', 7 * DAY],
  ['day', DAY],
  ['hour', HOUR],
  ['minute', MINUTE],
  ['second', SECOND],
];

/** "1 week", "3 months", "90 minutes": the largest unit that says it exactly, else the largest that fits, rounded. */
export function humanDuration(ms: number): string {
  const say = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  for (const [unit, size] of UNITS) if (ms >= size && ms % size === 0) return say(ms / size, unit);
  const [unit, size] = UNITS.find(([, size]) => ms >= size) ?? UNITS.at(-1)!;
  return say(Math.max(1, Math.round(ms / size)), unit);
}

function muteWording(spec: { kind?: unknown; ms?: unknown; count?: unknown; windowMs?: unknown }): Wording {
  if (spec.kind === 'for' && typeof spec.ms === 'number') return [`for ${humanDuration(spec.ms)}`];
  if (spec.kind === 'until_volume' && typeof spec.count === 'number' && typeof spec.windowMs === 'number') {
    return [`until ${spec.count} events in ${humanDuration(spec.windowMs)}`];
  }
  return spec.kind === 'forever' ? ['forever'] : [];
}

/** A mute in words, as the header and the history say it; the mute choices offered use it too. */
export function muteLabel(spec: MuteSpec): string {
  return muteWording(spec).filter((w): w is string => typeof w === 'string').join('');
}

export interface IssueState {
  status: string;
  resolved_in_release: string | null;
  resolved_after_release: string | null;
  muted_until: number | null;
  mute_count: number | null;
  mute_window_ms: number | null;
}

/**
 * What the issue's state is, as the header says it: "resolved in shop@1.11.0",
 * "resolved in the next release (after shop@1.10.0)", "muted until 5 events in
 * 1 hour", "muted until <time>", "muted forever".
 */
export function stateWording(issue: IssueState): { label: string; detail: Wording } {
  if (issue.status === 'resolved') {
    if (issue.resolved_in_release !== null) return { label: 'resolved', detail: ['in ', { code: issue.resolved_in_release }] };
    if (issue.resolved_after_release !== null) {
      return { label: 'resolved', detail: issue.resolved_after_release ? ['in the next release, after ', { code: issue.resolved_after_release }] : ['in the next release'] };
    }
    return { label: 'resolved', detail: [] };
  }
  if (issue.status === 'muted') {
    if (issue.muted_until !== null) return { label: 'muted', detail: ['until ', { time: issue.muted_until }] };
    if (issue.mute_count !== null && issue.mute_window_ms !== null) {
      return { label: 'muted', detail: muteWording({ kind: 'until_volume', count: issue.mute_count, windowMs: issue.mute_window_ms }) };
    }
    return { label: 'muted', detail: ['forever'] };
  }
  return { label: issue.status, detail: [] };
}

/** The particulars of a history entry: how it was resolved or muted, which release regressed it, why it was unmuted. */
export function historyWording(entry: { kind: HistoryKind; details: Record<string, unknown> }): Wording {
  const d = entry.details;
  const release = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  switch (entry.kind) {
    case 'resolved': {
      const inRelease = release(d.resolved_in_release);
      if (inRelease) return [d.resolution === 'in_latest_release' ? 'in the latest release, ' : 'in ', { code: inRelease }];
      if (d.resolution === 'in_next_release') {
        const after = release(d.resolved_after_release);
        return after ? ['in the next release, after ', { code: after }] : ['in the next release'];
      }
      return [];
    }
    case 'muted':
      return muteWording(d);
    case 'regressed': {
      const r = release(d.release);
      return r ? ['by an event of ', { code: r }] : [];
    }
    case 'unmuted':
      // The foreman records why it unmuted; a person's unmute has no reason to give.
      return d.reason === 'volume' ? ['the event volume was reached'] : d.reason === 'time' ? ['the mute time was up'] : [];
    default:
      return [];
  }
}
