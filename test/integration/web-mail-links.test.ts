// Links that travel by mail, in process: a forgotten password, verifying one's
// address, and invitations for an address. Each puts exactly one mail in the
// outbox (the foreman sends it; see alerts-e2e and outbox-sender tests), and a
// mailed link that comes back verifies the address alerts go to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam } from '../../src/teams/teams.js';
import { emailVerified } from '../../src/users/users.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { addUser, anonymous, FIXTURE_PASSWORD, get, post, signedIn, uniqueEmail } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ EMAIL_HOST: '127.0.0.1', EMAIL_PORT: '2525', USER_REGISTRATION: 'invite' });
});
afterAll(async () => t?.close());

const outbox = (to: string) =>
  t.main.sqlite.prepare('SELECT kind, payload FROM mail_outbox WHERE to_email = ? ORDER BY id').all(to) as Array<{ kind: string; payload: string }>;
const linkIn = (row: { payload: string }) => new URL((JSON.parse(row.payload) as { url: string }).url).pathname;

describe('forgot password', () => {
  it('mails a set-password link to an existing account, once per few minutes, and redeeming it verifies the address', async () => {
    const user = await addUser(t);
    const page1 = await post(t, '/forgot-password', anonymous(), { email: user.email.toUpperCase() });
    expect(page1.statusCode).toBe(200);
    expect(page1.body).toContain('a link to set a new password is on its way');
    await post(t, '/forgot-password', anonymous(), { email: user.email });
    const mails = outbox(user.email);
    expect(mails.map((m) => m.kind)).toEqual(['password_reset']);
    expect(emailVerified(t.main, user.id)).toBe(false);
    const link = linkIn(mails[0]!);
    expect(link).toMatch(/^\/set-password\/[\w-]+$/);
    const set = await post(t, link, anonymous(), { password: FIXTURE_PASSWORD, confirm: FIXTURE_PASSWORD });
    expect(set.statusCode).toBe(303);
    expect(emailVerified(t.main, user.id)).toBe(true);
  });

  it('answers an unknown address the same way and mails nothing', async () => {
    const email = uniqueEmail('nobody');
    const res = await post(t, '/forgot-password', anonymous(), { email });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('a link to set a new password is on its way');
    expect(outbox(email)).toEqual([]);
  });

  it('refuses a malformed address with a clear message', async () => {
    const res = await post(t, '/forgot-password', anonymous(), { email: 'not an address' });
    expect(res.statusCode).toBe(400);
  });
});

describe('verifying an address', () => {
  it('mails a verification link from the account page; following it verifies', async () => {
    const user = await addUser(t);
    const me = signedIn(t, user.id);
    expect((await get(t, '/account', me)).body).toContain('not verified');
    expect((await post(t, '/account/verify', me)).headers.location).toBe('/account?notice=verification-sent');
    expect((await post(t, '/account/verify', me)).headers.location).toBe('/account?notice=verification-recent');
    const mails = outbox(user.email);
    expect(mails.map((m) => m.kind)).toEqual(['verify_email']);
    const res = await get(t, linkIn(mails[0]!), me);
    expect(res.statusCode).toBe(303);
    expect(emailVerified(t.main, user.id)).toBe(true);
    expect((await get(t, linkIn(mails[0]!), me)).statusCode).toBe(404);
  });
});

describe('invitations for an address', () => {
  it('mails the invitation; signing up through it verifies the address', async () => {
    const admin = await addUser(t);
    const team = createTeam(t.main, 'Mailers', admin.id);
    const email = uniqueEmail('invitee');
    const res = await post(t, `/teams/${team.slug}/invitations`, signedIn(t, admin.id), { role: 'member', email });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`It is also mailed to ${email}`);
    const [mail] = outbox(email);
    expect(mail?.kind).toBe('invitation');
    const signup = await post(t, linkIn(mail!), anonymous(), { password: FIXTURE_PASSWORD, confirm: FIXTURE_PASSWORD });
    expect(signup.statusCode).toBe(303);
    const id = t.main.sqlite.prepare('SELECT id FROM users WHERE email = ?').pluck().get(email) as number;
    expect(emailVerified(t.main, id)).toBe(true);
  });
});
