// Alert mail end to end: real server and foreman processes, events over HTTP,
// a real SMTP server (smtp-server) on loopback receiving what the foreman sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openMainDb, type MainDb } from '../../src/db/open.js';
import { muteIssues, resolveIssues } from '../../src/issues/lifecycle.js';
import { errorEvent, eventEnvelope } from '../helpers/envelopes.js';
import { MailSink } from '../helpers/mail-sink.js';
import { Sluice } from '../helpers/processes.js';

let sink: MailSink;
let sluice: Sluice;
let main: MainDb;
let url: string;
let projectId: number;
const RECIPIENTS = ['ada@test.local', 'bob@test.local'];

const send = async (type: string, extra: Record<string, unknown> = {}) => {
  const r = await fetch(url, { method: 'POST', body: eventEnvelope(errorEvent({ exception: { values: [{ type, value: 'it broke' }] }, ...extra })) });
  expect(r.status).toBe(200);
};
const issueId = (type: string) => main.sqlite.prepare('SELECT id FROM issues WHERE type = ?').pluck().get(type) as number;
const mailsAbout = (type: string) => sink.messages.filter((m) => m.subject.includes(`${type}: it broke`));
const settle = () => new Promise((r) => setTimeout(r, 1500));
const actor = () => ({ userId: null, projectIds: [projectId] });

beforeAll(async () => {
  sink = new MailSink();
  await sink.start();
  sluice = await Sluice.start({ env: { ...sink.env(), ALERT_RETRY_BASE_MS: '200' } });
  for (const email of RECIPIENTS) await sluice.cli(['createsuperuser', '--email', email, '--password', 'a long enough password']);
  const slug = (await sluice.cli(['createteam', '--name', 'Core', '--admin', RECIPIENTS[0]!, '--member', RECIPIENTS[1]!])).trim().split('\n').at(-1)!;
  const out = await sluice.cli(['createproject', '--name', 'Shop', '--team', slug]);
  const dsn = new URL(out.trim().split('\n').at(-1)!);
  projectId = Number(dsn.pathname.split('/').at(-1));
  await sluice.keyAccepted(projectId, dsn.username);
  url = `${sluice.url}/api/${projectId}/envelope/?sentry_key=${dsn.username}`;
  main = openMainDb(loadConfig({ DATA_DIR: sluice.dataDir, QUEUE_SYNC: 'normal' }));
});
afterAll(async () => {
  main?.close();
  await sluice?.stop();
  await sink?.stop();
});

describe('alert mails through real processes', () => {
  it('a new issue mails each recipient exactly once; its second event mails nobody', async () => {
    await send('NewIssueError');
    await sink.waitFor(2);
    await send('NewIssueError');
    await sluice.drained();
    await settle();
    const mails = mailsAbout('NewIssueError');
    expect(mails.map((m) => m.to[0]).sort()).toEqual(RECIPIENTS);
    expect(mails[0]!.subject).toBe('[Sluice] Shop: New issue — NewIssueError: it broke');
    expect(mails[0]!.text).toContain(`${sluice.url}/issues/${issueId('NewIssueError')}`);
  });

  it('resolved in a release: an older release mails nothing, the fixed release regresses and mails once', async () => {
    await send('FixedError', { release: 'shop@1.0.0' });
    await sluice.drained();
    resolveIssues(main, [issueId('FixedError')], { kind: 'in_release', release: 'shop@2.0.0' }, actor());
    await send('FixedError', { release: 'shop@1.5.0' });
    await sluice.drained();
    await settle();
    expect(mailsAbout('FixedError').filter((m) => m.subject.includes('Regression'))).toHaveLength(0);
    await send('FixedError', { release: 'shop@2.0.0' });
    await expect.poll(() => mailsAbout('FixedError').filter((m) => m.subject.includes('Regression')).length, { timeout: 15_000 }).toBe(2);
  });

  it('muted until 3 events in an hour: unmutes and mails at exactly the third', async () => {
    await send('NoisyError');
    await sluice.drained();
    muteIssues(main, [issueId('NoisyError')], { kind: 'until_volume', count: 3, windowMs: 3_600_000 }, actor());
    await send('NoisyError');
    await send('NoisyError');
    await sluice.drained();
    await settle();
    expect(main.sqlite.prepare('SELECT status FROM issues WHERE id = ?').pluck().get(issueId('NoisyError'))).toBe('muted');
    await send('NoisyError');
    await expect.poll(() => mailsAbout('NoisyError').filter((m) => m.subject.includes('Unmuted')).length, { timeout: 15_000 }).toBe(2);
  });

  it('SMTP down while alerts happen, then up: every alert arrives once', async () => {
    await sink.stop();
    await send('OutageError');
    await sluice.drained();
    await expect
      .poll(() => main.sqlite.prepare("SELECT min(attempts) FROM mail_outbox WHERE state = 'pending' AND to_email LIKE '%test.local'").pluck().get(), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(1);
    await sink.start();
    await expect.poll(() => mailsAbout('OutageError').length, { timeout: 20_000 }).toBe(2);
    await settle();
    expect(mailsAbout('OutageError').map((m) => m.to[0]).sort()).toEqual(RECIPIENTS);
  });

  it('kill -9 right after the digest commit that created alerts: after a restart each alert is delivered', async () => {
    await sluice.killForeman('SIGTERM');
    const foreman = sluice.startForeman({ SLUICE_FAILPOINT: 'after-digest-commit-with-alerts' });
    const died = new Promise<NodeJS.Signals | null>((r) => foreman.once('exit', (_code, signal) => r(signal)));
    await send('CrashError');
    expect(await died).toBe('SIGKILL');
    expect(mailsAbout('CrashError')).toHaveLength(0);
    sluice.startForeman();
    await expect.poll(() => mailsAbout('CrashError').length, { timeout: 20_000 }).toBe(2);
    await settle();
    expect(mailsAbout('CrashError')).toHaveLength(2);
    // The batch was re-delivered after the crash: the event is stored once.
    expect(main.sqlite.prepare("SELECT count(*) FROM events e JOIN issues i ON i.id = e.issue_id WHERE i.type = 'CrashError'").pluck().get()).toBe(1);
  });
});

