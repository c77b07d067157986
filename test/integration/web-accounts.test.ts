// Accounts end to end in process: signing in and out, sessions, throttling,
// registration modes, invitations, set-password links, password changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { recordFailure } from '../../src/auth/sign-in-throttle.js';
import { createSession } from '../../src/sessions/sessions.js';
import { createInvitation } from '../../src/teams/invitations.js';
import { createTeam } from '../../src/teams/teams.js';
import { createPasswordToken } from '../../src/users/password-tokens.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { addUser, anonymous, FIXTURE_PASSWORD, get, post, setCookie, signedIn, uniqueEmail, type Browser } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ USER_REGISTRATION: 'invite' });
});
afterAll(async () => t?.close());

/** Signs in through the form; returns the response and, on success, the browser state. */
async function signInForm(email: string, password: string, ip = '10.0.0.1') {
  const visitor = anonymous();
  const res = await t.app.inject({
    method: 'POST',
    url: '/signin',
    remoteAddress: ip,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: visitor.cookie },
    payload: new URLSearchParams({ email, password, _csrf: visitor.csrf, next: '/teams' }).toString(),
  });
  const token = setCookie(res, 'sluice_session');
  return { res, token };
}

const sessionCount = (userId: number) =>
  (t.main.sqlite.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?').get(userId) as { n: number }).n;

describe('sign-in', () => {
  it('signs in with the right password, sets a safe cookie, and signs out for good', async () => {
    const user = await addUser(t);
    const { res, token } = await signInForm(user.email.toUpperCase(), FIXTURE_PASSWORD);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/teams');
    const cookie = res.cookies.find((c) => c.name === 'sluice_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie.secure).toBeFalsy(); // BASE_URL is http here
    // The database holds a hash, never the token.
    const stored = t.main.sqlite.prepare('SELECT token_hash FROM sessions WHERE user_id = ?').get(user.id) as { token_hash: string };
    expect(stored.token_hash).not.toContain(token!);

    const csrf = /name="_csrf" value="([^"]+)"/.exec((await get(t, '/teams', { cookie: `sluice_session=${token}`, csrf: '' })).body)![1]!;
    const as: Browser = { cookie: `sluice_session=${token}`, csrf };
    expect((await get(t, '/account', as)).statusCode).toBe(200);
    expect((await post(t, '/signout', as)).statusCode).toBe(303);
    const after = await get(t, '/account', as);
    expect(after.statusCode).toBe(303);
    expect(after.headers.location).toBe('/signin?next=%2Faccount');
  });

  it('says so when the password is wrong, without telling whether the account exists', async () => {
    const user = await addUser(t);
    const wrong = await signInForm(user.email, 'not-the-password');
    const unknown = await signInForm(uniqueEmail('ghost'), 'not-the-password');
    for (const r of [wrong, unknown]) {
      expect(r.res.statusCode).toBe(401);
      expect(r.res.body).toContain('That email and password do not match an account.');
      expect(r.token).toBeUndefined();
    }
  });

  it('refuses to redirect anywhere but this site after sign-in', async () => {
    const user = await addUser(t);
    const visitor = anonymous();
    const res = await post(t, '/signin', visitor, { email: user.email, password: FIXTURE_PASSWORD, next: '//evil.example/x' });
    expect(res.headers.location).toBe('/projects');
  });

  it('throttles an email after 5 failures, with 429 and a message on the page, across worker processes', async () => {
    const user = await addUser(t);
    for (let i = 0; i < 5; i++) expect((await signInForm(user.email, 'guess-' + i, `10.1.0.${i}`)).res.statusCode).toBe(401);
    const locked = await signInForm(user.email, FIXTURE_PASSWORD, '10.1.0.99');
    expect(locked.res.statusCode).toBe(429);
    expect(locked.res.body).toMatch(/Too many failed sign-ins\. Try again in 15 minutes\./);
    expect(Number(locked.res.headers['retry-after'])).toBeGreaterThan(800);
    expect(locked.token).toBeUndefined();

    // A second worker (another app on the same data directory) sees the same lock.
    const other = await buildApp(t.config, pino({ level: 'silent' }));
    try {
      const visitor = anonymous();
      const res = await other.inject({
        method: 'POST',
        url: '/signin',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: visitor.cookie },
        payload: new URLSearchParams({ email: user.email, password: FIXTURE_PASSWORD, _csrf: visitor.csrf }).toString(),
      });
      expect(res.statusCode).toBe(429);
    } finally {
      await other.close();
    }
    // Other accounts from those addresses are not affected.
    const bystander = await addUser(t);
    expect((await signInForm(bystander.email, FIXTURE_PASSWORD, '10.1.0.1')).res.statusCode).toBe(303);
  });

  it('throttles an address after 20 failures, whatever the emails', async () => {
    const ip = '10.2.0.1';
    // The failures as the sign-in form records them (20 real attempts would spend 20 scrypts).
    for (let i = 0; i < 19; i++) recordFailure(t.main, { email: `spray-${i}@example.com`, ip });
    expect((await signInForm('spray-last@example.com', 'password123', ip)).res.statusCode).toBe(401);
    const user = await addUser(t);
    expect((await signInForm(user.email, FIXTURE_PASSWORD, ip)).res.statusCode).toBe(429);
    expect((await signInForm(user.email, FIXTURE_PASSWORD, '10.2.0.2')).res.statusCode).toBe(303);
  });

  it('ends an expired session and drops its cookie', async () => {
    const user = await addUser(t);
    const old = createSession(t.main, user.id, 1000, Date.now() - 10_000);
    const res = await get(t, '/projects', { cookie: `sluice_session=${old.token}`, csrf: '' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/signin/);
    expect(res.cookies.find((c) => c.name === 'sluice_session')?.value).toBe('');
  });

  it('moves the expiry of a session in use forward (sliding), at most every few minutes', async () => {
    const user = await addUser(t);
    const s = createSession(t.main, user.id, t.config.accounts.sessionLifetimeMs, Date.now() - 3_600_000);
    const before = t.main.sqlite.prepare('SELECT expires_at FROM sessions WHERE id = ?').get(s.id) as { expires_at: number };
    const res = await get(t, '/projects', { cookie: `sluice_session=${s.token}`, csrf: '' });
    expect(res.statusCode).toBe(200);
    const after = t.main.sqlite.prepare('SELECT expires_at FROM sessions WHERE id = ?').get(s.id) as { expires_at: number };
    expect(after.expires_at - before.expires_at).toBeGreaterThan(3_500_000);
    expect(setCookie(res, 'sluice_session')).toBe(s.token);
  });
});

describe('registration', () => {
  it('is closed to strangers in invite mode', async () => {
    expect((await get(t, '/register')).statusCode).toBe(404);
    expect((await post(t, '/register', anonymous(), { email: uniqueEmail(), password: 'longenough', confirm: 'longenough' })).statusCode).toBe(404);
  });

  it('lets an invitation create an account and join the team, once', async () => {
    const admin = await addUser(t);
    const team = createTeam(t.main, 'Invitees', admin.id);
    const { token } = createInvitation(t.main, team.id, { role: 'member', createdBy: admin.id });
    const page = await get(t, `/invite/${token}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Join Invitees');

    const email = uniqueEmail('newcomer');
    const res = await post(t, `/invite/${token}`, anonymous(), { email, password: 'a-good-password', confirm: 'a-good-password' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/teams/${team.slug}?notice=team-joined`);
    const session = setCookie(res, 'sluice_session')!;
    const teamPage = await get(t, `/teams/${team.slug}`, { cookie: `sluice_session=${session}`, csrf: '' });
    expect(teamPage.body).toContain(email);

    expect((await get(t, `/invite/${token}`)).statusCode).toBe(404);
    const again = await post(t, `/invite/${token}`, anonymous(), { email: uniqueEmail(), password: 'a-good-password', confirm: 'a-good-password' });
    expect(again.statusCode).toBe(404);
  });

  it('binds an invitation with an email to that account', async () => {
    const admin = await addUser(t);
    const team = createTeam(t.main, 'Bound', admin.id);
    const invited = await addUser(t);
    const someoneElse = await addUser(t);
    const { token } = createInvitation(t.main, team.id, { role: 'admin', email: invited.email, createdBy: admin.id });
    expect((await post(t, `/invite/${token}`, signedIn(t, someoneElse.id))).statusCode).toBe(403);
    const ok = await post(t, `/invite/${token}`, signedIn(t, invited.id));
    expect(ok.statusCode).toBe(303);
    const page = await get(t, `/teams/${team.slug}`, signedIn(t, invited.id));
    expect(page.body).toContain('You are <span class="badge badge-admin">admin</span>');
  });

  it('is open to anyone with USER_REGISTRATION=open', async () => {
    const open = await testApp({ USER_REGISTRATION: 'open' });
    try {
      expect((await open.app.inject({ url: '/register' })).statusCode).toBe(200);
      const visitor = anonymous();
      const res = await open.app.inject({
        method: 'POST',
        url: '/register',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: visitor.cookie },
        payload: new URLSearchParams({ email: 'Fresh@Example.com', password: 'a-good-password', confirm: 'a-good-password', _csrf: visitor.csrf }).toString(),
      });
      expect(res.statusCode).toBe(303);
      const row = open.main.sqlite.prepare('SELECT email, is_superuser FROM users').get() as { email: string; is_superuser: number };
      expect(row).toEqual({ email: 'fresh@example.com', is_superuser: 0 });
    } finally {
      await open.close();
    }
  });
});

describe('passwords', () => {
  it('sets a password through a one-time link, which ends every old session', async () => {
    const user = await addUser(t);
    signedIn(t, user.id);
    const token = createPasswordToken(t.main, user.id);
    const page = await get(t, `/set-password/${token}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(user.email);
    const short = await post(t, `/set-password/${token}`, anonymous(), { password: 'short', confirm: 'short' });
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain('at least 8 characters');
    const res = await post(t, `/set-password/${token}`, anonymous(), { password: 'brand-new-secret', confirm: 'brand-new-secret' });
    expect(res.statusCode).toBe(303);
    expect(sessionCount(user.id)).toBe(1); // only the one just started
    expect((await signInForm(user.email, 'brand-new-secret')).res.statusCode).toBe(303);
    expect((await get(t, `/set-password/${token}`)).statusCode).toBe(404);
  });

  it('changes the password only with the current one, and signs out the other sessions', async () => {
    const user = await addUser(t);
    const here = signedIn(t, user.id);
    signedIn(t, user.id);
    const wrong = await post(t, '/account/password', here, { current: 'nope-nope', password: 'another-secret', confirm: 'another-secret' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('current password is not right');
    const ok = await post(t, '/account/password', here, { current: FIXTURE_PASSWORD, password: 'another-secret', confirm: 'another-secret' });
    expect(ok.statusCode).toBe(303);
    expect(sessionCount(user.id)).toBe(1);
    expect((await get(t, '/account', here)).statusCode).toBe(200);
  });
});

describe('security headers', () => {
  it('sends a CSP without inline scripts on pages, and no cookies or CSP on ingest', async () => {
    const page = await get(t, '/signin');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)/); // every script is a file
    expect(page.body).not.toMatch(/\sstyle="/);

    const ingest = await t.app.inject({ method: 'POST', url: `/api/${t.project.id}/envelope/?sentry_key=${t.project.key}`, payload: '{}' });
    expect(ingest.statusCode).toBe(200);
    expect(ingest.headers['set-cookie']).toBeUndefined();
    expect(ingest.headers['content-security-policy']).toBeUndefined();
  });

  it('marks cookies Secure with the __Host- prefix when BASE_URL is https', async () => {
    const https = await testApp({ BASE_URL: 'https://sluice.example.com' });
    try {
      const res = await https.app.inject({ url: '/signin' });
      const cookie = res.cookies.find((c) => c.name === '__Host-sluice_csrf');
      expect(cookie).toMatchObject({ secure: true, httpOnly: true, path: '/' });
      expect(String(res.headers['strict-transport-security'])).toContain('max-age=');
    } finally {
      await https.close();
    }
  });

  it('escapes what users typed everywhere it is shown', async () => {
    const admin = await addUser(t);
    const team = createTeam(t.main, '<script>alert(1)</script> & "friends"', admin.id);
    const page = (await get(t, `/teams/${team.slug}`, signedIn(t, admin.id))).body;
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;');
  });

  it('answers browsers with an HTML error page and SDKs with JSON', async () => {
    const html = await get(t, '/no/such/page');
    expect(html.statusCode).toBe(404);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toContain('There is no page at this address.');
    expect(html.headers['content-security-policy']).toBeDefined();
    const api = await t.app.inject({ method: 'GET', url: '/api/1/nothing/' });
    expect(api.headers['content-type']).toMatch(/^application\/json/);
  });
});
