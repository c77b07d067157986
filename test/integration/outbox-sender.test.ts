// The outbox sender against a real SMTP server (smtp-server on loopback):
// one mail per recipient, retries through an outage, the hourly cap and its
// summary, giving up after the last attempt, and no SMTP at all.
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertPayload } from '../../src/alerts/alert-payload.js';
import { createMailer } from '../../src/alerts/mailer.js';
import { NO_SMTP, OutboxSender } from '../../src/alerts/outbox-sender.js';
import { queueAlert, queueMail } from '../../src/alerts/queue-mail.js';
import { loadConfig, type Config } from '../../src/config.js';
import { writeTransaction } from '../../src/db/transaction.js';
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
  await sender?.stop();
  sender = undefined;
  d.main.sqlite.prepare('DELETE FROM mail_outbox').run();
  sink.messages.length = 0;
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

  it('gives up after the last attempt and keeps the error', async () => {
    await sink.stop();
    queue('Doomed');
    start(config({ ALERT_MAX_ATTEMPTS: '2' }));
    await expect.poll(() => outbox().every((r) => r.state === 'failed'), { timeout: 10_000 }).toBe(true);
    expect(outbox()[0]).toMatchObject({ attempts: 2, last_error: expect.stringMatching(/ECONNREFUSED|connect/) });
    await sink.start();
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
