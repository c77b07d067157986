// The issue list query module on a real migrated DB, filled through the real digest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countIssuesByTab, listIssues, recentHourlyCounts, type IssueTab } from '../../src/issues/issue-list.js';
import { parseIssueSearch } from '../../src/issues/search-query.js';
import { digestDb, type DigestDb } from '../helpers/digest.js';

let d: DigestDb;
const HOUR = 3600;
const now = Date.now() / 1000;

function err(type: string, value: string, extra: Record<string, unknown> = {}) {
  return { exception: { values: [{ type, value, stacktrace: { frames: [{ filename: 'shop/cart.js', function: 'checkout', in_app: true }] } }] }, ...extra };
}

beforeAll(async () => {
  d = await digestDb();
  // 30 issues: Error0..Error29, issue k has k+1 events, the newest issue is Error29.
  for (let k = 0; k < 30; k++) {
    d.digest(
      Array.from({ length: k + 1 }, (_, i) =>
        err(`Error${k}`, `failure`, {
          timestamp: now - (30 - k) * HOUR + i,
          release: k % 2 ? 'shop@2.0.0' : 'shop@1.0.0',
          environment: k < 10 ? 'staging' : 'production',
          level: k % 3 === 0 ? 'warning' : 'error',
          tags: { browser_name: k === 7 ? 'Fire fox' : 'Chrome' },
        }),
      ),
    );
  }
  d.digest([err('Other', 'in another project')], d.otherProjectId);
  d.main.sqlite.prepare("UPDATE issues SET status = 'resolved' WHERE title IN ('Error1: failure', 'Error2: failure')").run();
  d.main.sqlite.prepare("UPDATE issues SET status = 'muted' WHERE title = 'Error3: failure'").run();
});
afterAll(() => d?.close());

const search = (q = '') => parseIssueSearch(q);
const titles = (tab: IssueTab, q = '', sort: 'last_seen' | 'first_seen' | 'event_count' = 'last_seen', limit = 100) =>
  listIssues(d.main, { projectIds: [d.projectId], tab, sort, search: search(q), limit }).issues.map((i) => i.title.split(':')[0]);

describe('listIssues', () => {
  it('sorts by last seen, newest first, and stays inside the project', () => {
    const t = titles('all');
    expect(t).toHaveLength(30);
    expect(t[0]).toBe('Error29');
    expect(t.at(-1)).toBe('Error0');
    expect(t).not.toContain('Other');
  });

  it('sorts by event count and first seen', () => {
    expect(titles('all', '', 'event_count').slice(0, 2)).toEqual(['Error29', 'Error28']);
    expect(titles('all', '', 'first_seen').at(-1)).toBe('Error0');
  });

  it.each([
    ['open', 27],
    ['unresolved', 28],
    ['muted', 1],
    ['resolved', 2],
    ['all', 30],
  ] as const)('tab %s holds %i issues, and the counts agree', (tab, n) => {
    expect(titles(tab)).toHaveLength(n);
    expect(countIssuesByTab(d.main, [d.projectId], search())[tab]).toEqual({ n, atLeast: false });
  });

  it('counts a text search exactly under the cap', () => {
    const c = countIssuesByTab(d.main, [d.projectId], search('cart.js'));
    expect(c).toEqual({
      open: { n: 27, atLeast: false },
      unresolved: { n: 28, atLeast: false },
      muted: { n: 1, atLeast: false },
      resolved: { n: 2, atLeast: false },
      all: { n: 30, atLeast: false },
    });
  });

  it('caps a text search per state, and every tab that includes a capped state says "at least"', () => {
    // 27 open, 1 muted, 2 resolved match; with a cap of 5 only the open ones reach it.
    const c = countIssuesByTab(d.main, [d.projectId], search('cart.js'), 5);
    expect(c).toEqual({
      open: { n: 5, atLeast: true },
      unresolved: { n: 6, atLeast: true },
      muted: { n: 1, atLeast: false },
      resolved: { n: 2, atLeast: false },
      all: { n: 8, atLeast: true },
    });
    // A cap of exactly the number found is not "at least": nothing was left uncounted.
    expect(countIssuesByTab(d.main, [d.projectId], search('cart.js'), 27).open).toEqual({ n: 27, atLeast: false });
  });

  it.each([
    ['Error2', ['Error29', 'Error28', 'Error27', 'Error26', 'Error25', 'Error24', 'Error23', 'Error22', 'Error21', 'Error20', 'Error2']],
    ['cart.js', 30],
    ['release:shop@2.0.0', 15],
    ['environment:staging', 10],
    ['environment:staging release:shop@2.0.0', 5],
    ['level:warning', 10],
    ['browser_name:"Fire fox"', ['Error7']],
    ['is:resolved', ['Error2', 'Error1']],
    ['is:muted level:error', []],
    ['100%', []],
    ['nothing-like-this', []],
  ] as const)('search %j', (q, expected) => {
    const got = titles('all', q);
    if (typeof expected === 'number') expect(got).toHaveLength(expected);
    else expect(got).toEqual(expected);
  });

  it('pages with a cursor without gaps or repeats, for every sort', () => {
    for (const sort of ['last_seen', 'first_seen', 'event_count'] as const) {
      const all = titles('all', '', sort);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = listIssues(d.main, { projectIds: [d.projectId], tab: 'all', sort, search: search(), limit: 7, cursor });
        seen.push(...page.issues.map((i) => i.title.split(':')[0]!));
        cursor = page.next ?? undefined;
      } while (cursor);
      expect(seen).toEqual(all);
    }
  });

  it('refuses a forged cursor with a clear message', () => {
    expect(() => listIssues(d.main, { projectIds: [d.projectId], tab: 'all', sort: 'last_seen', search: search(), limit: 5, cursor: 'garbage' })).toThrow(
      /cursor is not valid/,
    );
  });

  it('lists across several projects', () => {
    const page = listIssues(d.main, { projectIds: [d.projectId, d.otherProjectId], tab: 'all', sort: 'last_seen', search: search(), limit: 100 });
    expect(page.issues).toHaveLength(31);
  });
});

describe('recentHourlyCounts', () => {
  it('gives 24 hourly buckets, oldest first, with the events of each hour', () => {
    const [issue] = listIssues(d.main, { projectIds: [d.projectId], tab: 'all', sort: 'last_seen', search: search('Error29'), limit: 1 }).issues;
    const counts = recentHourlyCounts(d.main, [issue!.id], 24, now * 1000).get(issue!.id)!;
    expect(counts).toHaveLength(24);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(30);
  });
});
