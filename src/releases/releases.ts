/** Query module for a project's releases, ordered as release-order.ts says. */
import type { MainDb } from '../db/open.js';
import { compareReleases, parseVersion, releaseLine, withLines, type ReleaseInfo } from './release-order.js';

export interface ReleaseRow extends ReleaseInfo {
  lastSeen: number;
}

/** Newest first. */
export function projectReleases(db: MainDb, projectId: number): ReleaseRow[] {
  const rows = db.all(db.kysely.selectFrom('releases').select(['version', 'first_seen', 'last_seen']).where('project_id', '=', projectId));
  const info = withLines(rows.map((r) => ({ version: r.version, firstSeen: r.first_seen })));
  return rows.map((r) => ({ ...info.get(r.version)!, lastSeen: r.last_seen })).sort((a, b) => compareReleases(b, a));
}

export function latestRelease(db: MainDb, projectId: number): string | null {
  return projectReleases(db, projectId)[0]?.version ?? null;
}

/**
 * Index ranges of `releases.version` that hold every semver release of a package:
 * `pkg@…` for a named one; for bare versions (`1.2.3`, `v1.2`) those starting with
 * a digit or with v and a digit. Candidates only: the caller parses each.
 */
function lineRanges(pkg: string): Array<[string, string]> {
  // '@' + 1 is 'A', '9' + 1 is ':': the end of each prefix range.
  return pkg ? [[`${pkg}@`, `${pkg}A`]] : [['0', ':'], ['v0', 'v:']];
}

/** Every release of the project in the line of this semver package: version and first seen. */
function packageReleases(db: MainDb, projectId: number, pkg: string): Array<{ version: string; firstSeen: number }> {
  return lineRanges(pkg).flatMap(([from, to]) =>
    db
      .all(
        db.kysely
          .selectFrom('releases')
          .select(['version', 'first_seen'])
          .where('project_id', '=', projectId)
          .where('version', '>=', from)
          .where('version', '<', to),
      )
      .filter((r) => parseVersion(r.version)?.pkg === pkg)
      .map((r) => ({ version: r.version, firstSeen: r.first_seen })),
  );
}

/**
 * ReleaseInfo for versions, for comparisons, consistent with projectReleases's
 * order. Reads only the releases of the packages involved. A version never
 * seen orders as seen now, in its package's line if that has releases (it does
 * not move the line's start: a release seen later, say, does not).
 */
export function releaseLookup(db: MainDb, projectId: number, versions: readonly string[], now = Date.now()): (v: string) => ReleaseInfo {
  const known = new Map<string, number>();
  const others = versions.filter((v) => !parseVersion(v));
  if (others.length) {
    for (const r of db.all(db.kysely.selectFrom('releases').select(['version', 'first_seen']).where('project_id', '=', projectId).where('version', 'in', others))) {
      known.set(r.version, r.first_seen);
    }
  }
  for (const pkg of new Set(versions.map((v) => parseVersion(v)?.pkg).filter((p): p is string => p !== undefined))) {
    for (const r of packageReleases(db, projectId, pkg)) known.set(r.version, r.firstSeen);
  }
  const info = withLines([...known].map(([version, firstSeen]) => ({ version, firstSeen })));
  const lineStart = new Map([...info.values()].map((r) => [releaseLine(r.version), r.lineFirstSeen]));
  return (version) => info.get(version) ?? { version, firstSeen: now, lineFirstSeen: lineStart.get(releaseLine(version)) ?? now };
}
