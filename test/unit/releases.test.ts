// The releases query module on a real DB: one order for the release list, "latest",
// and the lookups the digest's regression decisions use — and regressions that obey it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueHistory, resolveIssues } from '../../src/issues/lifecycle.js';
import { compareReleases } from '../../src/releases/release-order.js';
import { latestRelease, projectReleases, releaseLookup } from '../../src/releases/releases.js';
import { createProject } from '../../src/projects/projects.js';
import { digestDb, type DigestDb } from '../helpers/digest.js';

let d: DigestDb;
const T = Date.now() - 86_400_000;
// The audit's cycle: a@2.0.0 first seen at T+1s, a git sha at T+2s, a@1.0.0 at T+3s.
const AUDIT: Array<[string, number]> = [
  ['a@2.0.0', T + 1000],
  ['0f3c9e1', T + 2000],
  ['a@1.0.0', T + 3000],
];

function projectWith(releases: Array<[string, number]>): number {
  const id = createProject(d.main, `p${Math.random()}`).project.id;
  const insert = d.main.sqlite.prepare('INSERT INTO releases (project_id, version, first_seen, last_seen) VALUES (?, ?, ?, ?)');
  for (const [version, at] of releases) insert.run(id, version, at, at);
  return id;
}

beforeAll(async () => {
  d = await digestDb();
});
afterAll(() => d?.close());

describe('release order on a real DB', () => {
  it('lists releases newest first in one order whatever order the rows were written in', () => {
    const lists = [AUDIT, [...AUDIT].reverse(), [AUDIT[1]!, AUDIT[0]!, AUDIT[2]!]].map((rs) => projectReleases(d.main, projectWith(rs)).map((r) => r.version));
    for (const l of lists) expect(l).toEqual(['0f3c9e1', 'a@2.0.0', 'a@1.0.0']);
    expect(latestRelease(d.main, projectWith([...AUDIT].reverse()))).toBe('0f3c9e1');
  });

  it('looks releases up for the digest consistently with the list, unseen versions included', () => {
    const projectId = projectWith([...AUDIT, ['1.0.0', T + 500], ['v2.0', T + 4000], ['a@b@1.0.0', T + 100], ['a@notsemver', T + 50]]);
    const listed = projectReleases(d.main, projectId).map((r) => r.version).reverse();
    const unseen = ['a@3.0.0', 'ffff000', '3.0.0'];
    const lookup = releaseLookup(d.main, projectId, [...listed, ...unseen], Date.now());
    for (const [i, a] of listed.entries()) {
      for (const [j, b] of listed.entries()) expect(Math.sign(compareReleases(lookup(a), lookup(b))), `${a} vs ${b}`).toBe(Math.sign(i - j));
    }
    // An unseen version of a package orders in that package's line; an unseen sha after everything.
    expect(compareReleases(lookup('a@3.0.0'), lookup('a@2.0.0'))).toBeGreaterThan(0);
    expect(compareReleases(lookup('a@3.0.0'), lookup('0f3c9e1'))).toBeLessThan(0);
    expect(compareReleases(lookup('3.0.0'), lookup('v2.0'))).toBeGreaterThan(0);
    expect(compareReleases(lookup('3.0.0'), lookup('a@1.0.0'))).toBeLessThan(0);
    for (const v of listed) expect(compareReleases(lookup('ffff000'), lookup(v))).toBeGreaterThan(0);
    // A lookup asked about one package alone still knows where that package's line starts.
    const alone = releaseLookup(d.main, projectId, ['a@1.0.0', '0f3c9e1']);
    expect(compareReleases(alone('a@1.0.0'), alone('0f3c9e1'))).toBeLessThan(0);
  });
});

describe('regressions follow the same order', () => {
  const ev = (type: string, release: string, at: number) => ({ exception: { values: [{ type, value: 'x' }] }, release, timestamp: at / 1000 });
  const status = (type: string) => d.main.sqlite.prepare('SELECT status FROM issues WHERE type = ? AND project_id = ?').pluck().get(type, d.projectId);
  const idOf = (type: string) => d.main.sqlite.prepare('SELECT id FROM issues WHERE type = ? AND project_id = ?').pluck().get(type, d.projectId) as number;
  const actor = () => ({ userId: null, projectIds: [d.projectId] });

  it('resolved in a release: events of releases ordered before it do not regress, whenever those were first seen', () => {
    d.digest(AUDIT.map(([release, at]) => ev('Cyclic', release, at)));
    expect(latestRelease(d.main, d.projectId)).toBe('0f3c9e1');
    resolveIssues(d.main, [idOf('Cyclic')], { kind: 'in_release', release: '0f3c9e1' }, actor(), Date.now() - 1000);
    // a@1.0.0 was first seen after the sha, but its package's line started before it.
    d.digest([ev('Cyclic', 'a@1.0.0', Date.now()), ev('Cyclic', 'a@2.0.0', Date.now())]);
    expect(status('Cyclic')).toBe('resolved');
    d.digest([ev('Cyclic', '0f3c9e1', Date.now())]);
    expect(status('Cyclic')).toBe('unresolved');
    expect(issueHistory(d.main, idOf('Cyclic'))[0]).toMatchObject({ kind: 'regressed', details: { release: '0f3c9e1' } });
  });

  it('resolved in the next release: a release of an older line does not regress, a newer one does', () => {
    d.digest([ev('Next', 'a@2.0.0', T + 5000)]);
    resolveIssues(d.main, [idOf('Next')], { kind: 'in_next_release' }, actor(), Date.now() - 1000);
    d.digest([ev('Next', 'a@1.0.0', Date.now()), ev('Next', 'a@2.0.0', Date.now()), ev('Next', '0f3c9e1', Date.now())]);
    expect(status('Next')).toBe('resolved');
    d.digest([ev('Next', 'a@9.0.0', Date.now())]);
    expect(status('Next')).toBe('resolved'); // still older than the sha, the latest when it was resolved
    d.digest([ev('Next', 'b7e4d20', Date.now())]);
    expect(status('Next')).toBe('unresolved');
  });
});
