// Alert mail end to end: real server and foreman processes, events over HTTP,
// a real SMTP server (smtp-server) on loopback receiving what the foreman sends.
// "No mail" is read from the outbox once the queue is drained: alerts are written
// in the digest's own transaction, so by then every mail an event causes is there.
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
const PASSWORD = 'a long enough password';

const send = async (type: string, extra: Record<string, unknown> = {}) => {
  const r = await fetch(url, { method: 'POST', body: eventEnvelope(errorEvent({ exception: { values: [{ type, value: 'it broke' }] }, ...extra })) });
  expect(r.status).toBe(200);
};
const issueId = (type: string) => main.sqlite.prepare('SELECT id FROM issues WHERE type = ?').pluck().get(type) as number;
const mailsAbout = (type: string) => sink.messages.filter((m) => m.subject.includes(`${type}: it broke`));
const settle = () => new Promise((r) => setTimeout(r, 1500));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const actor = () => ({ userId: null, projectIds: [projectId] });
const status = (type: string) => main.sqlite.prepare('SELECT status FROM issues WHERE id = ?').pluck().get(issueId(type));
/** The alert mails an issue's events put in the outbox, as "trigger to". */
const queued = (type: string) =>
  (main.sqlite.prepare("SELECT json_extract(payload, '$.trigger') || ' ' || to_email FROM mail_outbox WHERE issue_id = ? ORDER BY id").pluck().all(issueId(type)) as string[]);
const regressions = (type: string) => mailsAbout(type).filter((m) => m.subject.includes('Regression'));

/** A signed-in visitor of the real server, through its forms (CSRF tokens and all). */
async function signIn(email: string): Promise<{ post(path: string, fields: Record<string, string>): Promise<Response> }> {
  const cookies = new Map<string, string>();
  const keep = (r: Response) => {
    for (const c of r.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const i = pair.indexOf('=');
      cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const csrfOf = async (path: string) => {
    const r = await fetch(`${sluice.url}${path}`, { headers: { cookie: cookie() } });
    keep(r);
    return /name="_csrf" value="([^"]+)"/.exec(await r.text())![1]!;
  };
  const submit = async (path: string, fields: Record<string, string>, csrf: string) => {
    const r = await fetch(`${sluice.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
      body: new URLSearchParams({ ...fields, _csrf: csrf }).toString(),
    });
    keep(r);
    return r;
  };
  const signedIn = await submit('/signin', { email, password: PASSWORD }, await csrfOf('/signin'));
  expect(signedIn.status).toBe(303);
  return { post: async (path, fields) => submit(path, fields, await csrfOf(`/projects/${projectId}/alerts`)) };
}

beforeAll(async () => {
  sink = new MailSink();
  await sink.start();
  sluice = await Sluice.start({ env: { ...sink.env(), ALERT_RETRY_BASE_MS: '200' } });
  for (const email of RECIPIENTS) await sluice.cli(['createsuperuser', '--email', email, '--password', PASSWORD]);
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

  it('resolved in a release: an event of a newer release regresses and mails once', async () => {
    await send('NewerError', { release: 'shop@1.0.0' });
    await sluice.drained();
    resolveIssues(main, [issueId('NewerError')], { kind: 'in_release', release: 'shop@2.0.0' }, actor());
    await send('NewerError', { release: 'shop@2.10.0' });
    await expect.poll(() => regressions('NewerError').length, { timeout: 15_000 }).toBe(2);
    expect(status('NewerError')).toBe('unresolved');
  });

  it('resolved in the next release: the current release mails nothing, a later one regresses', async () => {
    await send('NextError', { release: 'shop@3.0.0' });
    await sluice.drained();
    resolveIssues(main, [issueId('NextError')], { kind: 'in_next_release' }, actor());
    expect(main.sqlite.prepare('SELECT resolved_after_release FROM issues WHERE id = ?').pluck().get(issueId('NextError'))).toBe('shop@3.0.0');
    await send('NextError', { release: 'shop@3.0.0' });
    await sluice.drained();
    expect(status('NextError')).toBe('resolved');
    expect(queued('NextError').filter((q) => q.startsWith('regression'))).toEqual([]);
    await send('NextError', { release: 'shop@3.0.1' });
    await expect.poll(() => regressions('NextError').length, { timeout: 15_000 }).toBe(2);
  });

  it('muted until 2 events in 200 ms: events further apart than that leave it muted', async () => {
    await send('SpreadError');
    await sluice.drained();
    muteIssues(main, [issueId('SpreadError')], { kind: 'until_volume', count: 2, windowMs: 200 }, actor());
    for (let i = 0; i < 3; i++) {
      await send('SpreadError');
      await sluice.drained();
      await sleep(300); // more than the window between each two events
    }
    expect(status('SpreadError')).toBe('muted');
    expect(queued('SpreadError')).toEqual(RECIPIENTS.map((r) => `new_issue ${r}`));
  });

  it('a trigger switched off for the project (its alert settings form) sends no mail; switched on again, it does', async () => {
    const ada = await signIn(RECIPIENTS[0]!);
    const off = await ada.post(`/projects/${projectId}/alerts`, { on_regression: 'on', on_unmute: 'on' });
    expect(off.status).toBe(303);
    await send('SilentNewError');
    await sluice.drained();
    expect(queued('SilentNewError')).toEqual([]);
    // Regressions stayed on.
    resolveIssues(main, [issueId('SilentNewError')], { kind: 'now' }, actor());
    await send('SilentNewError');
    await expect.poll(() => regressions('SilentNewError').length, { timeout: 15_000 }).toBe(2);
    expect(queued('SilentNewError')).toEqual(RECIPIENTS.map((r) => `regression ${r}`));
    expect(mailsAbout('SilentNewError').filter((m) => m.subject.includes('New issue'))).toHaveLength(0);
    // And the regression switch works the same way.
    await ada.post(`/projects/${projectId}/alerts`, { on_new_issue: 'on', on_unmute: 'on' });
    resolveIssues(main, [issueId('SilentNewError')], { kind: 'now' }, actor());
    await send('SilentNewError');
    await sluice.drained();
    expect(status('SilentNewError')).toBe('unresolved');
    expect(queued('SilentNewError')).toHaveLength(2);
    await ada.post(`/projects/${projectId}/alerts`, { on_new_issue: 'on', on_regression: 'on', on_unmute: 'on' });
    await send('LoudAgainError');
    await expect.poll(() => mailsAbout('LoudAgainError').length, { timeout: 15_000 }).toBe(2);
  });

  it('a person who opted out of the project gets no alert while a teammate gets one', async () => {
    const bob = await signIn(RECIPIENTS[1]!);
    expect((await bob.post(`/projects/${projectId}/alerts/me`, {})).status).toBe(303);
    await send('OptOutError');
    await expect.poll(() => mailsAbout('OptOutError').length, { timeout: 15_000 }).toBe(1);
    expect(queued('OptOutError')).toEqual(['new_issue ada@test.local']);
    expect(mailsAbout('OptOutError')[0]!.to).toEqual(['ada@test.local']);
    await bob.post(`/projects/${projectId}/alerts/me`, { receive: 'on' });
    await send('OptBackInError');
    await expect.poll(() => mailsAbout('OptBackInError').length, { timeout: 15_000 }).toBe(2);
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

