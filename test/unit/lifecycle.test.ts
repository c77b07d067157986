// People's issue actions on a real DB, and the pure rules the digest applies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteIssues, issueHistory, muteIssues, reopenIssues, resolveIssues, type Actor } from '../../src/issues/lifecycle.js';
import { muteTimeIsUp, muteVolumeReached, regresses } from '../../src/issues/lifecycle-rules.js';
import { digestDb, type DigestDb } from '../helpers/digest.js';

let d: DigestDb;
let actor: Actor;
const ids: number[] = [];
const issue = (id: number) => d.main.sqlite.prepare('SELECT * FROM issues WHERE id = ?').get(id) as Record<string, unknown>;

beforeAll(async () => {
  d = await digestDb();
  for (const [i, release] of ['app@1.0.0', 'app@1.10.0', 'app@1.9.0'].entries()) {
    d.digest([{ release, exception: { values: [{ type: `E${i}`, value: 'x' }] } }]);
  }
  d.digest([{ exception: { values: [{ type: 'Elsewhere', value: 'x' }] } }], d.otherProjectId);
  ids.push(...(d.main.sqlite.prepare('SELECT id FROM issues ORDER BY id').pluck().all() as number[]));
  actor = { userId: null, projectIds: [d.projectId] };
});
afterAll(() => d?.close());

describe('user actions', () => {
  it('resolves in the latest release by semver order, not by arrival', () => {
    expect(resolveIssues(d.main, [ids[0]!], { kind: 'in_latest_release' }, actor, 1000)).toBe(1);
    expect(issue(ids[0]!)).toMatchObject({ status: 'resolved', resolved_in_release: 'app@1.10.0', resolved_at: 1000 });
  });

  it('resolves in the next release after the latest one', () => {
    resolveIssues(d.main, [ids[1]!], { kind: 'in_next_release' }, actor);
    expect(issue(ids[1]!)).toMatchObject({ status: 'resolved', resolved_in_release: null, resolved_after_release: 'app@1.10.0' });
  });

  it('mutes until a volume, remembering where the count starts, and unmutes on reopen', () => {
    muteIssues(d.main, [ids[2]!], { kind: 'until_volume', count: 5, windowMs: 3_600_000 }, actor);
    expect(issue(ids[2]!)).toMatchObject({ status: 'muted', mute_count: 5, mute_window_ms: 3_600_000 });
    expect(issue(ids[2]!).muted_after_event).toBeGreaterThan(0);
    expect(reopenIssues(d.main, [ids[2]!], actor)).toBe(1);
    expect(issue(ids[2]!)).toMatchObject({ status: 'unresolved', mute_count: null, muted_at: null });
    expect(issueHistory(d.main, ids[2]!).map((h) => h.kind)).toEqual(['unmuted', 'muted', 'first_seen']);
  });

  it('does not touch issues of projects the actor cannot see', () => {
    expect(resolveIssues(d.main, [ids[3]!], { kind: 'now' }, actor)).toBe(0);
    expect(issue(ids[3]!)).toMatchObject({ status: 'unresolved' });
  });

  it('refuses a release-bound resolve without a release to bind to', () => {
    expect(() => resolveIssues(d.main, [ids[3]!], { kind: 'in_latest_release' }, { userId: null, projectIds: [d.otherProjectId] })).toThrow(/no release yet/);
    expect(() => resolveIssues(d.main, [ids[0]!], { kind: 'in_release', release: ' ' }, actor)).toThrow(/release name is empty/);
  });

  it('deletes an issue with its events and keeps a history entry', () => {
    expect(deleteIssues(d.main, [ids[2]!], actor)).toBe(1);
    expect(issue(ids[2]!)).toBeUndefined();
    expect(d.main.sqlite.prepare('SELECT count(*) FROM events WHERE issue_id = ?').pluck().get(ids[2]!)).toBe(0);
    expect(issueHistory(d.main, ids[2]!)[0]).toMatchObject({ kind: 'deleted', details: { title: 'E2: x' } });
  });
});

describe('lifecycle rules', () => {
  const rel = (version: string) => ({ version, firstSeen: 0, lineFirstSeen: 0 });
  const resolved = (o: Partial<{ resolved_in_release: string; resolved_after_release: string }>) => ({
    resolved_at: 100,
    resolved_in_release: null,
    resolved_after_release: null,
    ...o,
  });
  it.each([
    ['plain resolve, later event', resolved({}), { release: null, receivedAt: 200 }, true],
    ['plain resolve, event received before it', resolved({}), { release: null, receivedAt: 50 }, false],
    ['in 2.0.0, event of 1.9.0', resolved({ resolved_in_release: '2.0.0' }), { release: '1.9.0', receivedAt: 200 }, false],
    ['in 2.0.0, event of 2.0.0', resolved({ resolved_in_release: '2.0.0' }), { release: '2.0.0', receivedAt: 200 }, true],
    ['in 2.0.0, event of 2.10.0', resolved({ resolved_in_release: '2.0.0' }), { release: '2.10.0', receivedAt: 200 }, true],
    ['in 2.0.0, event without release', resolved({ resolved_in_release: '2.0.0' }), { release: null, receivedAt: 200 }, false],
    ['next after 2.0.0, event of 2.0.0', resolved({ resolved_after_release: '2.0.0' }), { release: '2.0.0', receivedAt: 200 }, false],
    ['next after 2.0.0, event of 2.0.1', resolved({ resolved_after_release: '2.0.0' }), { release: '2.0.1', receivedAt: 200 }, true],
    ['next with no release yet, any release', resolved({ resolved_after_release: '' }), { release: 'abc', receivedAt: 200 }, true],
  ])('%s → %s', (_name, state, event, expected) => {
    expect(regresses(state, event, rel)).toBe(expected);
  });

  it('unmutes on time and on volume', () => {
    expect(muteTimeIsUp({ muted_until: 10, mute_count: null, mute_window_ms: null }, 10)).toBe(true);
    expect(muteTimeIsUp({ muted_until: 10, mute_count: null, mute_window_ms: null }, 9)).toBe(false);
    const cond = { muted_until: null, mute_count: 3, mute_window_ms: 100 };
    expect(muteVolumeReached(cond, [500, 450])).toBe(false);
    expect(muteVolumeReached(cond, [500, 450, 399])).toBe(false);
    expect(muteVolumeReached(cond, [500, 450, 400])).toBe(true);
  });
});
