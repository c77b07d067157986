// Superusers and mail, in process with a real SMTP server (smtp-server on loopback):
// mailing an added account its set-password link through the outbox, and the
// admin pages' words with and without SMTP configured.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../src/alerts/mailer.js';
import { NO_SMTP, OutboxSender } from '../../src/alerts/outbox-sender.js';
import { emailVerified } from '../../src/users/users.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { MailSink } from '../helpers/mail-sink.js';
import { addUser, anonymous, FIXTURE_PASSWORD, get, post, signedIn, uniqueEmail, type Browser } from '../helpers/web.js';

let sink: MailSink;
let withSmtp: TestApp;
let noSmtp: TestApp;
let admin: Browser;
let adminNoSmtp: Browser;

const outbox = (t: TestApp, to: string) =>
  t.main.sqlite.prepare('SELECT kind, state, last_error FROM mail_outbox WHERE to_email = ? ORDER BY id').all(to) as Array<{ kind: string; state: string; last_error: string | null }>;
const userId = (t: TestApp, email: string) => t.main.sqlite.prepare('SELECT id FROM users WHERE email = ?').pluck().get(email) as number;
function shownLink(html: string): string {
  const m = /(https?:\/\/[^\s<"]+\/set-password\/[\w-]+)/.exec(html);
  if (!m) throw new Error('no set-password link on the page');
  return new URL(m[1]!).pathname;
}

/** Runs the foreman's outbox sender until what the outbox holds is sent. */
async function sendOutbox(t: TestApp): Promise<void> {
  const sender = new OutboxSender(t.config, t.main, createMailer(t.config), pino({ level: 'silent' }));
  sender.start(50);
  try {
    await expect.poll(() => t.main.sqlite.prepare("SELECT count(*) FROM mail_outbox WHERE state = 'pending'").pluck().get()).toBe(0);
  } finally {
    await sender.stop();
  }
}

beforeAll(async () => {
  sink = new MailSink();
  await sink.start();
  withSmtp = await testApp(sink.env());
  noSmtp = await testApp();
  admin = signedIn(withSmtp, (await addUser(withSmtp, uniqueEmail('root'), { superuser: true })).id);
  adminNoSmtp = signedIn(noSmtp, (await addUser(noSmtp, uniqueEmail('root'), { superuser: true })).id);
});
afterAll(async () => {
  await withSmtp?.close();
  await noSmtp?.close();
  await sink?.stop();
});

describe('mailing an added account its set-password link', () => {
  it('shows the link and mails it when asked; the mailed link sets the password and verifies the address', async () => {
    const users = await get(withSmtp, '/admin/users', admin);
    expect(users.body).toContain('name="mail" checked');
    expect(users.body).not.toContain('not built yet');
    const email = uniqueEmail('new');
    const res = await post(withSmtp, '/admin/users', admin, { email, mail: 'on' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`It is also mailed to ${email}`);
    expect(res.body).not.toContain('not built yet');
    expect(outbox(withSmtp, email).map((m) => m.kind)).toEqual(['set_password']);
    await sendOutbox(withSmtp);
    const mail = sink.messages.find((m) => m.to[0] === email)!;
    expect(mail.subject).toBe('[Sluice] Set your Sluice password');
    expect(mail.text).toContain('sent you this link to set the password of your Sluice account');
    const link = new URL(/https?:\/\/\S+\/set-password\/[\w-]+/.exec(mail.text)![0]).pathname;
    expect(link).toBe(shownLink(res.body));
    const set = await post(withSmtp, link, anonymous(), { password: FIXTURE_PASSWORD, confirm: FIXTURE_PASSWORD });
    expect(set.statusCode).toBe(303);
    expect(emailVerified(withSmtp.main, userId(withSmtp, email))).toBe(true);
  });

  it('mails nothing unless asked, and a link only shown does not verify the address', async () => {
    const email = uniqueEmail('quiet');
    const res = await post(withSmtp, '/admin/users', admin, { email });
    expect(res.body).toContain('Send it yourself over a channel you trust');
    expect(outbox(withSmtp, email)).toEqual([]);
    expect((await post(withSmtp, shownLink(res.body), anonymous(), { password: FIXTURE_PASSWORD, confirm: FIXTURE_PASSWORD })).statusCode).toBe(303);
    expect(emailVerified(withSmtp.main, userId(withSmtp, email))).toBe(false);
  });

  it('mails a new link to an existing account from the users list; the older link stops working', async () => {
    const user = await addUser(withSmtp, uniqueEmail('existing'));
    const first = await post(withSmtp, `/admin/users/${user.id}/password-link`, admin);
    const second = await post(withSmtp, `/admin/users/${user.id}/password-link`, admin, { mail: 'on' });
    expect(second.body).toContain(`It is also mailed to ${user.email}`);
    expect((await get(withSmtp, shownLink(first.body))).statusCode).toBe(404);
    expect((await get(withSmtp, shownLink(second.body))).statusCode).toBe(200);
    expect(outbox(withSmtp, user.email).map((m) => m.kind)).toEqual(['set_password']);
  });
});

describe('without SMTP', () => {
  it('offers no mailing, says why, and queues nothing even when asked', async () => {
    const users = await get(noSmtp, '/admin/users', adminNoSmtp);
    expect(users.body).not.toContain('name="mail"');
    expect(users.body).toContain('No SMTP server is configured');
    const email = uniqueEmail('nosmtp');
    const res = await post(noSmtp, '/admin/users', adminNoSmtp, { email, mail: 'on' });
    expect(res.body).toContain('No SMTP server is configured, so Sluice cannot mail it');
    expect(outbox(noSmtp, email)).toEqual([]);
  });

  it('the mail page says that no SMTP server is configured and why mails stay unsent', async () => {
    const page = await get(noSmtp, '/admin/mail', adminNoSmtp);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('No SMTP server configured');
    expect(page.body).toContain(NO_SMTP);
    const configured = await get(withSmtp, '/admin/mail', admin);
    expect(configured.body).toContain(`Sending through 127.0.0.1:${sink.port}`);
    expect(configured.body).not.toContain(NO_SMTP);
  });
});
