// The test SMTP sink itself: mail sent with nodemailer arrives parsed; an outage refuses connections.
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailSink } from '../helpers/mail-sink.js';

let sink: MailSink;
beforeAll(async () => {
  sink = new MailSink();
  await sink.start();
});
afterAll(async () => sink?.stop());

describe('MailSink', () => {
  it('receives and parses a multipart mail', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
    await t.sendMail({ from: 'a@test.local', to: 'b@test.local', subject: 'Hello <there>', text: 'plain body', html: '<p>html body</p>' });
    const [m] = await sink.waitFor(1);
    expect(m).toMatchObject({ from: 'a@test.local', to: ['b@test.local'], subject: 'Hello <there>' });
    expect(m!.text.trim()).toBe('plain body');
    expect(m!.html).toContain('<p>html body</p>');
  });

  it('refuses connections while stopped, and takes mail again on the same port', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true, connectionTimeout: 2000 });
    await sink.stop();
    await expect(t.sendMail({ from: 'a@test.local', to: 'b@test.local', subject: 'lost', text: 'x' })).rejects.toThrow();
    await sink.start();
    await t.sendMail({ from: 'a@test.local', to: 'b@test.local', subject: 'after', text: 'x' });
    expect((await sink.waitFor(2)).at(-1)!.subject).toBe('after');
  });
});
