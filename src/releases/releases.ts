/** Query module for a project's releases, ordered as release-order.ts says. */
import type { MainDb } from '../db/open.js';
import { compareReleases, type ReleaseInfo } from './release-order.js';

export interface ReleaseRow extends ReleaseInfo {
  lastSeen: number;
}

/** Newest first. */
export function projectReleases(db: MainDb, projectId: number): ReleaseRow[] {
  return db
    .all(db.kysely.selectFrom('releases').select(['version', 'first_seen', 'last_seen']).where('project_id', '=', projectId))
    .map((r) => ({ version: r.version, firstSeen: r.first_seen, lastSeen: r.last_seen }))
    .sort((a, b) => compareReleases(b, a));
}

export function latestRelease(db: MainDb, projectId: number): string | null {
  return projectReleases(db, projectId)[0]?.version ?? null;
}

/** ReleaseInfo for versions, for comparisons; a version never seen orders as seen now. */
export function releaseLookup(db: MainDb, projectId: number, versions: readonly string[], now = Date.now()): (v: string) => ReleaseInfo {
  const rows = versions.length
    ? db.all(db.kysely.selectFrom('releases').select(['version', 'first_seen']).where('project_id', '=', projectId).where('version', 'in', [...versions]))
    : [];
  const seen = new Map(rows.map((r) => [r.version, r.first_seen]));
  return (version) => ({ version, firstSeen: seen.get(version) ?? now });
}
