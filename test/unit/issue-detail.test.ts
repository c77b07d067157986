// Issue detail and issue events query modules on a real DB filled through the real digest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { dailyCounts, getIssue, tagDistributions, tagValues } from '../../src/issues/issue-detail.js';
import { eventNavigation, getEvent, listEvents } from '../../src/issues/issue-events.js';
import { digestDb, type DigestDb } from '../helpers/digest.js';

let d: DigestDb;
let issueId: number;
const DAY = 86_400;
const now = Date.now() / 1000;

beforeAll(async () => {
  d = await digestDb();
  d.digest(
    Array.from({ length: 12 }, (_, i) => ({
      timestamp: now - (i % 4) * DAY,
      level: 'error',
      release: i < 8 ? 'api@1.0.0' : 'api@1.1.0',
      environment: 'production',
      tags: { browser: i % 3 === 0 ? 'Firefox' : 'Chrome' },
      exception: { values: [{ type: 'KeyError', value: `missing key ${i * 1000}` }] },
    })),
  );
  issueId = d.main.sqlite.prepare('SELECT id FROM issues').pluck().get() as number;
});
afterAll(() => d?.close());

describe('getIssue', () => {
  it('finds an issue of a visible project', () => {
    expect(getIssue(d.main, issueId, [d.projectId])).toMatchObject({ id: issueId, event_count: 12, type: 'KeyError' });
  });
  it('is a 404 for a project the caller cannot see, and for no project at all', () => {
    expect(() => getIssue(d.main, issueId, [d.otherProjectId])).toThrow(NotFoundError);
    expect(() => getIssue(d.main, issueId, [])).toThrow(NotFoundError);
    expect(() => getIssue(d.main, 999_999, [d.projectId])).toThrow(NotFoundError);
  });
});

describe('tag distributions', () => {
  it('counts values per key, most frequent first', () => {
    const browser = tagDistributions(d.main, issueId).find((t) => t.key === 'browser')!;
    expect(browser).toMatchObject({ total: 12, distinct: 2 });
    expect(browser.top.map((v) => [v.value, v.count])).toEqual([
      ['Chrome', 8],
      ['Firefox', 4],
    ]);
    expect(tagValues(d.main, issueId, 'release').map((r) => r.value).sort()).toEqual(['api@1.0.0', 'api@1.1.0']);
    expect(tagValues(d.main, issueId, 'environment')).toEqual([expect.objectContaining({ value: 'production', count: 12 })]);
  });
});

describe('dailyCounts', () => {
  it('spreads the events over the last 30 days, oldest first', () => {
    const days = dailyCounts(d.main, issueId, 30, now * 1000);
    expect(days).toHaveLength(30);
    expect(days.reduce((a, b) => a + b.count, 0)).toBe(12);
    expect(days.at(-1)!.count).toBe(3);
  });
});

describe('issue events', () => {
  it('pages newest first and navigates first/previous/next/last', () => {
    const page1 = listEvents(d.main, issueId, 5);
    expect(page1.events).toHaveLength(5);
    const page2 = listEvents(d.main, issueId, 5, page1.next!);
    const page3 = listEvents(d.main, issueId, 5, page2.next!);
    expect(page3.events).toHaveLength(2);
    expect(page3.next).toBeNull();
    const all = [...page1.events, ...page2.events, ...page3.events];
    expect(new Set(all.map((e) => e.event_id)).size).toBe(12);

    const newest = getEvent(d.main, issueId, 'latest');
    expect(newest.event_id).toBe(all[0]!.event_id);
    expect(newest.data.exception).toBeTruthy();
    expect(eventNavigation(d.main, issueId, newest.id)).toEqual({ first: all.at(-1)!.event_id, previous: all[1]!.event_id, next: null, last: null });
    const oldest = getEvent(d.main, issueId, all.at(-1)!.event_id);
    expect(eventNavigation(d.main, issueId, oldest.id)).toEqual({ first: null, previous: null, next: all.at(-2)!.event_id, last: all[0]!.event_id });
  });

  it('is a 404 for an event of another issue', () => {
    expect(() => getEvent(d.main, issueId + 1000, 'latest')).toThrow(NotFoundError);
  });
});
