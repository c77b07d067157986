// State changes caused by events, through the real digest: first seen, regression
// (release-aware), unmute on volume and on time — each with history and alerts
// queued in the same transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifecycleApplier, unmuteDueIssues } from '../../src/digest/lifecycle-apply.js';
import { writeTransaction } from '../../src/db/transaction.js';
import { issueHistory, muteIssues, resolveIssues, type Actor } from '../../src/issues/lifecycle.js';
import { digestDb, type DigestDb } from '../helpers/digest.js';

let d: DigestDb;
let actor: Actor;

const issueOf = (type: string) => d.main.sqlite.prepare('SELECT * FROM issues WHERE type = ?').get(type) as { id: number; status: string };
const alerts = (issueId: number) =>
  d.main.sqlite.prepare("SELECT json_extract(payload, '$.trigger') AS t, to_email FROM mail_outbox WHERE issue_id = ? ORDER BY id").all(issueId) as Array<{ t: string; to_email: string }>;
const event = (type: string, extra: Record<string, unknown> = {}) => ({ exception: { values: [{ type, value: 'boom' }] }, ...extra });

beforeAll(async () => {
  d = await digestDb();
  actor = { userId: null, projectIds: [d.projectId] };
  const now = Date.now();
  const db = d.main.sqlite;
  const team = db.prepare("INSERT INTO teams (name, slug, created_at) VALUES ('Core', 'core', ?)").run(now).lastInsertRowid;
  const user = db.prepare("INSERT INTO users (email, created_at, email_verified_at) VALUES ('ada@test.local', ?, ?)").run(now, now).lastInsertRowid;
  db.prepare("INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?, ?, 'member', ?)").run(team, user, now);
  db.prepare('UPDATE projects SET team_id = ? WHERE id = ?').run(team, d.projectId);
});
afterAll(() => d?.close());

describe('digest lifecycle', () => {
  it('a new issue is first seen once, with one alert; its second event alerts nobody', () => {
    d.digest([event('NewOne')]);
    const issue = issueOf('NewOne');
    expect(issueHistory(d.main, issue.id).map((h) => h.kind)).toEqual(['first_seen']);
    expect(alerts(issue.id)).toEqual([{ t: 'new_issue', to_email: 'ada@test.local' }]);
    d.digest([event('NewOne')]);
    expect(alerts(issue.id)).toHaveLength(1);
  });

  it('resolved in a release: an older release does not regress it, that release does', () => {
    d.digest([event('Fixed', { release: 'app@1.0.0' }), event('Other', { release: 'app@2.0.0' })]);
    const issue = issueOf('Fixed');
    resolveIssues(d.main, [issue.id], { kind: 'in_release', release: 'app@2.0.0' }, actor);
    d.digest([event('Fixed', { release: 'app@1.0.0' }), event('Fixed', { release: 'app@1.9.9' })]);
    expect(issueOf('Fixed').status).toBe('resolved');
    d.digest([event('Fixed', { release: 'app@2.0.0' })]);
    expect(issueOf('Fixed').status).toBe('unresolved');
    expect(issueHistory(d.main, issue.id)[0]).toMatchObject({ kind: 'regressed', details: { release: 'app@2.0.0' } });
    expect(alerts(issue.id).map((a) => a.t)).toEqual(['new_issue', 'regression']);
  });

  it('resolved now: the next event regresses it', () => {
    d.digest([event('Plain')]);
    const issue = issueOf('Plain');
    resolveIssues(d.main, [issue.id], { kind: 'now' }, actor, Date.now() - 10);
    d.digest([event('Plain')]);
    expect(issueOf('Plain').status).toBe('unresolved');
  });

  it('muted until 5 events in an hour: unmutes exactly at the fifth', () => {
    d.digest([event('Noisy')]);
    const issue = issueOf('Noisy');
    muteIssues(d.main, [issue.id], { kind: 'until_volume', count: 5, windowMs: 3_600_000 }, actor);
    for (let i = 1; i <= 4; i++) {
      d.digest([event('Noisy')]);
      expect(issueOf('Noisy').status, `after ${i} events`).toBe('muted');
    }
    d.digest([event('Noisy')]);
    expect(issueOf('Noisy').status).toBe('unresolved');
    expect(issueHistory(d.main, issue.id)[0]).toMatchObject({ kind: 'unmuted', details: { reason: 'volume' } });
    expect(alerts(issue.id).map((a) => a.t)).toEqual(['new_issue', 'unmute']);
  });

  it('muted for a while: the sweep unmutes it when the time is up, without any event', () => {
    d.digest([event('Sleepy')]);
    const issue = issueOf('Sleepy');
    muteIssues(d.main, [issue.id], { kind: 'for', ms: 60_000 }, actor);
    const applier = new LifecycleApplier(d.main);
    expect(writeTransaction(d.main.sqlite, 'sweep', () => unmuteDueIssues(d.main, applier, Date.now()))).toBe(0);
    expect(issueOf('Sleepy').status).toBe('muted');
    expect(writeTransaction(d.main.sqlite, 'sweep', () => unmuteDueIssues(d.main, applier, Date.now() + 61_000))).toBe(1);
    expect(issueOf('Sleepy').status).toBe('unresolved');
    expect(alerts(issue.id).map((a) => a.t)).toEqual(['new_issue', 'unmute']);
  });
});
