/**
 * State changes caused by events, applied inside the digest transaction (so an
 * issue never regresses without its history entry and its alert, nor the
 * other way round): first seen, regressed, unmuted — each with a history entry
 * and an alert in the outbox.
 */
import type { AlertPayload, AlertTrigger } from '../alerts/alert-payload.js';
import { alertFrames, issuePath } from '../alerts/alert-payload.js';
import { queueAlert } from '../alerts/queue-mail.js';
import type { MainDb } from '../db/open.js';
import { CLEARED_STATE, recordHistory } from '../issues/lifecycle.js';
import { muteTimeIsUp, muteVolumeReached, regresses } from '../issues/lifecycle-rules.js';
import { releaseLookup } from '../releases/releases.js';
import type { NormalizedEvent } from './normalize.js';

/** The columns of an issue the digest needs to decide its next state. */
export interface IssueState {
  id: number;
  status: string;
  resolved_at: number | null;
  resolved_in_release: string | null;
  resolved_after_release: string | null;
  muted_until: number | null;
  mute_count: number | null;
  mute_window_ms: number | null;
  muted_after_event: number | null;
}

export const ISSUE_STATE_COLUMNS = [
  'id',
  'status',
  'resolved_at',
  'resolved_in_release',
  'resolved_after_release',
  'muted_until',
  'mute_count',
  'mute_window_ms',
  'muted_after_event',
] as const;

export interface BatchEvent {
  readonly release: string | null;
  readonly receivedAt: number;
}

export interface TouchedIssue {
  readonly projectId: number;
  readonly state: IssueState;
  readonly isNew: boolean;
  /** This batch's events of the issue, in digest order. */
  readonly events: readonly BatchEvent[];
  /** The newest event of the batch, for the alert's content. */
  readonly newest: Pick<NormalizedEvent, 'release' | 'environment' | 'data'>;
}


export class LifecycleApplier {
  constructor(private readonly db: MainDb) {}

  #projectName(projectId: number): string {
    return this.db.first(this.db.kysely.selectFrom('projects').select('name').where('id', '=', projectId))?.name ?? `project ${projectId}`;
  }

  /** Returns the alert mails queued. Call after the issue's counters were updated. */
  apply(t: TouchedIssue, now: number): number {
    const { state } = t;
    if (t.isNew) {
      recordHistory(this.db, { id: state.id, project_id: t.projectId }, 'first_seen', null, {}, now);
      return this.#alert(t, 'new_issue');
    }
    if (state.status === 'resolved') {
      const lookup = releaseLookup(this.db, t.projectId, [...new Set([...t.events.map((e) => e.release), state.resolved_in_release, state.resolved_after_release].filter((v): v is string => !!v))], now);
      const culprit = t.events.find((e) => regresses(state, e, lookup));
      if (!culprit) return 0;
      this.#setUnresolved(state.id);
      recordHistory(this.db, { id: state.id, project_id: t.projectId }, 'regressed', null, { release: culprit.release, resolved_in_release: state.resolved_in_release, resolved_after_release: state.resolved_after_release }, now);
      return this.#alert(t, 'regression');
    }
    if (state.status === 'muted' && this.#muteIsOver(state, now)) {
      this.#setUnresolved(state.id);
      recordHistory(this.db, { id: state.id, project_id: t.projectId }, 'unmuted', null, { reason: state.mute_count !== null ? 'volume' : 'time' }, now);
      return this.#alert(t, 'unmute');
    }
    return 0;
  }

  #muteIsOver(state: IssueState, now: number): boolean {
    if (muteTimeIsUp(state, now)) return true;
    if (state.mute_count === null) return false;
    const newest = this.db
      .all(
        this.db.kysely
          .selectFrom('events')
          .select('received_at')
          .where('issue_id', '=', state.id)
          .where('id', '>', state.muted_after_event ?? 0)
          .orderBy('id', 'desc')
          .limit(state.mute_count),
      )
      .map((r) => r.received_at);
    return muteVolumeReached(state, newest);
  }

  #setUnresolved(issueId: number): void {
    this.db.run(this.db.kysely.updateTable('issues').set({ ...CLEARED_STATE, status: 'unresolved' }).where('id', '=', issueId));
  }

  #alert(t: TouchedIssue, trigger: AlertTrigger): number {
    const issue = this.db.first(this.db.kysely.selectFrom('issues').select(['title', 'culprit', 'level', 'event_count']).where('id', '=', t.state.id));
    if (!issue) return 0;
    const payload: AlertPayload = {
      trigger,
      projectId: t.projectId,
      projectName: this.#projectName(t.projectId),
      issueId: t.state.id,
      title: issue.title,
      culprit: issue.culprit,
      level: issue.level,
      eventCount: issue.event_count,
      release: t.newest.release,
      environment: t.newest.environment,
      frames: alertFrames(t.newest.data),
      path: issuePath(t.state.id),
    };
    return queueAlert(this.db, payload);
  }
}

/**
 * Time-muted issues whose time has come are unmuted even when no event arrives:
 * the foreman calls this now and then, inside a write transaction. Returns the
 * alert mails queued.
 */
export function unmuteDueIssues(db: MainDb, applier: LifecycleApplier, now: number): number {
  const due = db.all(
    db.kysely
      .selectFrom('issues')
      .select([...ISSUE_STATE_COLUMNS, 'project_id'])
      .where('status', '=', 'muted')
      .where('muted_until', 'is not', null)
      .where('muted_until', '<=', now)
      .limit(500),
  );
  let mails = 0;
  for (const state of due) {
    const latest = db.first(db.kysely.selectFrom('events').select('data').where('issue_id', '=', state.id).orderBy('id', 'desc').limit(1));
    const data = latest ? (JSON.parse(latest.data) as Record<string, unknown>) : {};
    const newest = {
      release: typeof data.release === 'string' ? data.release : null,
      environment: typeof data.environment === 'string' ? data.environment : null,
      data,
    };
    mails += applier.apply({ projectId: state.project_id, state, isNew: false, events: [], newest }, now);
  }
  return mails;
}
