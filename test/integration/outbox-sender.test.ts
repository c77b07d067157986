// The outbox sender against a real SMTP server (smtp-server on loopback):
// one mail per recipient, retries through an outage, the hourly cap and its
// summary, bounded concurrency, dead links, giving up after the last attempt,
// and no SMTP at all.
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertPayload } from '../../src/alerts/alert-payload.js';
import { createMailer } from '../../src/alerts/mailer.js';
import { NO_SMTP, OutboxSender } from '../../src/alerts/outbox-sender.js';
import { queueAlert, queueMail } from '../../src/alerts/queue-mail.js';
import { loadConfig, type Config } from '../../src/config.js';
import { writeTransaction } from '../../src/db/transaction.js';
import { requestPasswordReset, sendVerification } from '../../src/users/email-links.js';
import { digestDb, type DigestDb } from '../helpers/digest.js';
import { MailSink } from '../helpers/mail-sink.js';

let d: DigestDb;
let sink: MailSink;
let sender: OutboxSender | undefined;
const log = pino({ level: 'silent' });

function payload(title: string): AlertPayload {
  return {
    trigger: 'new_issue',
    projectId: d.projectId,
    projectName: 'Shop',
    issueId: 1,
    title,
    culprit: 'cart.js in checkout',
    level: 'error',
    eventCount: 1,
    release: 'shop@1.0.0',
    environment: null,
    frames: ['checkout (cart.js:10)'],
    path: '/issues/1',
  };
}

function config(env: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: '/tmp/unused', BASE_URL: 'https://sluice.test', ...sink.env(), ALERT_RETRY_BASE_MS: '100', ...env });
}

function start(cfg: Config): OutboxSender {
  sender = new OutboxSender(cfg, d.main, createMailer(cfg), log);
  sender.start(50);
  return sender;
}

const outbox = () => d.main.sqlite.prepare('SELECT id, kind, to_email, state, attempts, last_error, sent_at FROM mail_outbox ORDER BY id').all() as Array<Record<string, unknown>>;
const queue = (title: string) => writeTransaction(d.main.sqlite, 'test', () => queueAlert(d.main, payload(title)));
/** One alert to one address, as queueAlert writes it for each recipient. */
const alertTo = (to: string, title: string) =>
  writeTransaction(d.main.sqlite, 'test', () => queueMail(d.main, { kind: 'alert', to, payload: payload(title), projectId: d.projectId, issueId: 1 }));
const userId = (email: string) => d.main.sqlite.prepare('SELECT id FROM users WHERE email = ?').pluck().get(email) as number;

beforeAll(async () => {
  d = await digestDb();
  sink = new MailSink();
  await sink.start();
  const now = Date.now();
  const db = d.main.sqlite;
  db.prepare("INSERT INTO teams (name, slug, created_at) VALUES ('Core', 'core', ?)").run(now);
  const team = db.prepare("SELECT id FROM teams WHERE slug = 'core'").pluck().get();
  for (const [email, verified] of [['ada@test.local', now], ['bob@test.local', now], ['unverified@test.local', null]] as const) {
    const id = db.prepare('INSERT INTO users (email, created_at, email_verified_at) VALUES (?, ?, ?)').run(email, now, verified).lastInsertRowid;
    db.prepare("INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?, ?, 'member', ?)").run(team, id, now);
  }
  db.prepare('UPDATE projects SET team_id = ? WHERE id = ?').run(team, d.projectId);
});
afterEach(async () => {
  sink.hold = false;
  sink.release();
  await sender?.stop();
  sender = undefined;
  d.main.sqlite.prepare('DELETE FROM mail_outbox').run();
  d.main.sqlite.prepare('DELETE FROM password_tokens').run();
  d.main.sqlite.prepare('DELETE FROM email_tokens').run();
  sink.messages.length = 0;
  sink.maxSending = 0;
});
afterAll(async () => {
  await sink?.stop();
  d?.close();
});

describe('outbox sender', () => {
  it('sends one mail to each verified team member, escaped', async () => {
    expect(queue('TypeError: <img src=x onerror=alert(1)>')).toBe(2);
    start(config());
    const mails = await sink.waitFor(2);
    expect(mails.map((m) => m.to[0]).sort()).toEqual(['ada@test.local', 'bob@test.local']);
    const m = mails[0]!;
    expect(m.subject).toBe('[Sluice] Shop: New issue — TypeError: <img src=x onerror=alert(1)>');
    expect(m.text).toContain('https://sluice.test/issues/1');
    expect(m.text).toContain('checkout (cart.js:10)');
    expect(m.html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(m.html).not.toContain('<img src=x');
    await expect.poll(() => outbox().every((r) => r.state === 'sent')).toBe(true);
  });

  it('delivers every alert once after the SMTP server comes back', async () => {
    await sink.stop();
    queue('First');
    queue('Second');
    start(config());
    await expect.poll(() => outbox().every((r) => Number(r.attempts) >= 1 && r.state === 'pending'), { timeout: 10_000 }).toBe(true);
    await sink.start();
    await sink.waitFor(4);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.messages).toHaveLength(4);
    expect(outbox().every((r) => r.state === 'sent')).toBe(true);
  });

  it('folds alerts past the hourly cap into one summary', async () => {
    for (let i = 1; i <= 5; i++) queue(`Alert ${i}`);
    start(config({ ALERT_HOURLY_CAP: '2' }));
    await sink.waitFor(4); // 2 alerts to each of 2 recipients
    await expect.poll(() => outbox().filter((r) => r.state === 'summarized').length).toBe(6);
    const summaries = outbox().filter((r) => r.kind === 'summary');
    expect(summaries).toHaveLength(2);
    // The summary is due when the hour is over; bring that moment forward.
    d.main.sqlite.prepare("UPDATE mail_outbox SET next_attempt_at = 0 WHERE kind = 'summary'").run();
    sender!.wake();
    const mails = await sink.waitFor(6);
    const summary = mails.find((m) => m.to[0] === 'ada@test.local' && m.subject.includes('more alerts'))!;
    expect(summary.subject).toBe('[Sluice] 3 more alerts in the last hour');
    for (const t of ['Alert 3', 'Alert 4', 'Alert 5']) expect(summary.text).toContain(t);
    expect(sink.messages).toHaveLength(6);
  });

  it('counts mails on their way against the cap: a batch sent at once does not overshoot it', async () => {
    for (let i = 1; i <= 6; i++) alertTo('ada@test.local', `Burst ${i}`);
    start(config({ ALERT_HOURLY_CAP: '2', ALERT_CONCURRENCY: '4' }));
    await expect.poll(() => outbox().filter((r) => r.state === 'summarized').length).toBe(4);
    await expect.poll(() => outbox().filter((r) => r.kind === 'alert' && r.state === 'sent').length).toBe(2);
    expect(sink.messages.filter((m) => m.subject.includes('Burst'))).toHaveLength(2);
    expect(outbox().filter((r) => r.kind === 'summary' && r.state === 'pending')).toHaveLength(1);
  });

  it('reports every folded alert in exactly one summary, also those folded while a summary was on its way', async () => {
    start(config({ ALERT_HOURLY_CAP: '1' }));
    alertTo('ada@test.local', 'Early 1');
    sender!.wake();
    await sink.waitFor(1);
    await expect.poll(() => outbox()[0]?.state).toBe('sent');
    alertTo('ada@test.local', 'Early 2');
    sender!.wake();
    await expect.poll(() => outbox().filter((r) => r.kind === 'summary').length).toBe(1);
    // The summary falls due, and a new alert comes in the same batch, behind it: the summary
    // is rendered (with Early 2) and on its way when Late 1 is folded, finding it still pending.
    await sender!.stop();
    d.main.sqlite.prepare("UPDATE mail_outbox SET next_attempt_at = 0 WHERE kind = 'summary'").run();
    alertTo('ada@test.local', 'Late 1');
    start(config({ ALERT_HOURLY_CAP: '1' }));
    await sink.waitFor(2);
    await expect.poll(() => outbox().filter((r) => r.kind === 'summary' && r.state === 'sent').length).toBe(1);
    expect(outbox().filter((r) => r.state === 'summarized').length).toBe(2);
    // Late 1 is waiting for a summary of its own, due when the hour is over.
    const next = outbox().filter((r) => r.kind === 'summary' && r.state === 'pending');
    expect(next).toHaveLength(1);
    d.main.sqlite.prepare('UPDATE mail_outbox SET next_attempt_at = 0 WHERE id = ?').run(next[0]!.id);
    sender!.wake();
    await sink.waitFor(3);
    await expect.poll(() => outbox().filter((r) => r.kind === 'summary' && r.state === 'sent').length).toBe(2);
    const summaries = sink.messages.filter((m) => m.subject.includes('more alert'));
    for (const title of ['Early 2', 'Late 1']) expect(summaries.filter((m) => m.text.includes(title)), title).toHaveLength(1);
    expect(outbox().filter((r) => r.state === 'summarized' && r.sent_at === null)).toHaveLength(0);
  });

  it('has at most ALERT_CONCURRENCY SMTP sessions open at once', async () => {
    sink.hold = true;
    for (let i = 1; i <= 7; i++) alertTo(`r${i}@test.local`, `Parallel ${i}`);
    start(config({ ALERT_CONCURRENCY: '3' }));
    for (const batch of [3, 3, 1]) {
      await expect.poll(() => sink.held).toBe(batch);
      expect(sink.sending).toBeLessThanOrEqual(3);
      sink.release();
    }
    await sink.waitFor(7);
    await expect.poll(() => outbox().every((r) => r.state === 'sent')).toBe(true);
    expect(sink.maxSending).toBe(3);
  });

  it('does not send a link that died while its mail waited, and says why; live links go out', async () => {
    const t0 = Date.now() - 10 * 60_000; // earlier than the resend pause, so each may ask again
    requestPasswordReset(d.main, 'https://sluice.test', 'ada@test.local', t0);
    requestPasswordReset(d.main, 'https://sluice.test', 'bob@test.local', t0);
    sendVerification(d.main, 'https://sluice.test', { id: userId('unverified@test.local'), email: 'unverified@test.local' }, t0);
    sendVerification(d.main, 'https://sluice.test', { id: userId('ada@test.local'), email: 'ada@test.local' }, t0);
    // They waited unsent (no SMTP server), and meanwhile: ada's reset link expired, bob asked
    // again (his first link replaced), unverified's verification link was used.
    d.main.sqlite.prepare("UPDATE mail_outbox SET state = 'unsent', last_error = ?").run(NO_SMTP);
    d.main.sqlite.prepare('UPDATE password_tokens SET expires_at = ? WHERE user_id = ?').run(Date.now() - 1, userId('ada@test.local'));
    requestPasswordReset(d.main, 'https://sluice.test', 'bob@test.local');
    d.main.sqlite.prepare('UPDATE email_tokens SET used_at = ? WHERE user_id = ?').run(Date.now(), userId('unverified@test.local'));
    start(config());
    await expect.poll(() => outbox().filter((r) => r.state === 'failed').length).toBe(3);
    await expect.poll(() => outbox().filter((r) => r.state === 'sent').length).toBe(2);
    const byState = (state: string) => outbox().filter((r) => r.state === state);
    expect(byState('failed').map((r) => [r.kind, r.to_email, r.last_error])).toEqual([
      ['password_reset', 'ada@test.local', expect.stringMatching(/expired/)],
      ['password_reset', 'bob@test.local', expect.stringMatching(/replaced/)],
      ['verify_email', 'unverified@test.local', expect.stringMatching(/already used/)],
    ]);
    expect(byState('sent').map((r) => [r.kind, r.to_email])).toEqual([
      ['verify_email', 'ada@test.local'],
      ['password_reset', 'bob@test.local'],
    ]);
    expect(sink.messages.map((m) => m.to[0]).sort()).toEqual(['ada@test.local', 'bob@test.local']);
  });

  it('gives up after the last attempt and keeps the error', async () => {
    await sink.stop();
    queue('Doomed');
    start(config({ ALERT_MAX_ATTEMPTS: '2' }));
    await expect.poll(() => outbox().every((r) => r.state === 'failed'), { timeout: 10_000 }).toBe(true);
    expect(outbox()[0]).toMatchObject({ attempts: 2, last_error: expect.stringMatching(/ECONNREFUSED|connect/) });
    await sink.start();
  });

  it('with EMAIL_STARTTLS=require, refuses a server that offers no STARTTLS (the sink offers none)', async () => {
    queue('Plaintext');
    start(config({ EMAIL_STARTTLS: 'require', ALERT_MAX_ATTEMPTS: '1' }));
    await expect.poll(() => outbox().every((r) => r.state === 'failed')).toBe(true);
    expect(outbox()[0]!.last_error).toMatch(/STARTTLS/);
    expect(sink.messages).toHaveLength(0);
  });

  it('marks a mail it cannot process as failed instead of retrying it forever', async () => {
    writeTransaction(d.main.sqlite, 'test', () => queueMail(d.main, { kind: 'alert', to: 'ada@test.local', payload: {} as object }));
    d.main.sqlite.prepare("UPDATE mail_outbox SET kind = 'mystery'").run();
    start(config());
    await expect.poll(() => outbox()[0]?.state).toBe('failed');
    expect(outbox()[0]!.last_error).toMatch(/unknown mail kind mystery/);
  });

  it('marks mail unsent, with the reason, when no SMTP server is configured', async () => {
    writeTransaction(d.main.sqlite, 'test', () => queueMail(d.main, { kind: 'password_reset', to: 'ada@test.local', payload: { url: 'https://sluice.test/x' } }));
    start(loadConfig({ DATA_DIR: '/tmp/unused' }));
    await expect.poll(() => outbox()[0]?.state).toBe('unsent');
    expect(outbox()[0]!.last_error).toBe(NO_SMTP);
  });
});
