/**
 * Counts shown on project pages. Read from the issues table (one row per issue,
 * with its event_count kept by the digest) rather than counting events, which
 * would scan every event of a big project on each page view.
 */
import type { MainDb } from '../db/open.js';

export interface ProjectCounts {
  readonly issues: number;
  readonly unresolved: number;
  readonly events: number;
  /** Epoch ms of the newest event, null when none arrived yet. */
  readonly lastSeen: number | null;
}

const NONE: ProjectCounts = { issues: 0, unresolved: 0, events: 0, lastSeen: null };

export function countsFor(db: MainDb, projectIds: readonly number[]): Map<number, ProjectCounts> {
  const counts = new Map<number, ProjectCounts>(projectIds.map((id) => [id, NONE]));
  if (projectIds.length === 0) return counts;
  const rows = db.all(
    db.kysely
      .selectFrom('issues')
      .select((eb) => [
        'project_id',
        eb.fn.countAll<number>().as('issues'),
        eb.fn.sum<number>(eb.case().when('status', '=', 'unresolved').then(1).else(0).end()).as('unresolved'),
        eb.fn.sum<number>('event_count').as('events'),
        eb.fn.max<number>('last_seen').as('last_seen'),
      ])
      .where('project_id', 'in', projectIds)
      .groupBy('project_id'),
  );
  for (const r of rows) {
    counts.set(r.project_id, {
      issues: Number(r.issues),
      unresolved: Number(r.unresolved ?? 0),
      events: Number(r.events ?? 0),
      lastSeen: r.last_seen ?? null,
    });
  }
  return counts;
}

export function projectCounts(db: MainDb, projectId: number): ProjectCounts {
  return countsFor(db, [projectId]).get(projectId) ?? NONE;
}
