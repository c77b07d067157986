// Sign-in hardening in process (app.inject): redirect targets stay on this site, a forged
// X-Forwarded-For does not move a client out of its IP lock unless its peer is a trusted
// proxy, and parallel password guesses cannot outrun the throttle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFailure } from '../../src/auth/sign-in-throttle.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { addUser, anonymous, FIXTURE_PASSWORD, get, post, signedIn } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t?.close());

function signInForm(app: TestApp, fields: { email: string; password: string; next?: string }, remoteAddress: string, headers: Record<string, string> = {}) {
  const visitor = anonymous();
  return app.app.inject({
    method: 'POST',
    url: '/signin',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: visitor.cookie, ...headers },
    payload: new URLSearchParams({ ...fields, _csrf: visitor.csrf }).toString(),
  });
}

/** 20 failures from `ip`: the address is locked. */
const lockAddress = (app: TestApp, ip: string) => {
  for (let i = 0; i < 20; i++) recordFailure(app.main, { email: `spray-${ip}-${i}@example.com`, ip });
};

describe('redirect targets', () => {
  it('a signed-in visitor sent to /signin with a hostile next stays on this site', async () => {
    const user = await addUser(t);
    for (const next of ['/%09/evil.example', '/%0a/evil.example', '/%5Cevil.example', '//evil.example', 'https://evil.example']) {
      const res = await get(t, `/signin?next=${next}`, signedIn(t, user.id));
      expect(res.statusCode, next).toBe(303);
      expect(res.headers.location, next).toBe('/projects');
    }
    const ok = await get(t, '/signin?next=%2Fteams', signedIn(t, user.id));
    expect(ok.headers.location).toBe('/teams');
  });

  it('the sign-in form refuses a tab in next as well', async () => {
    const user = await addUser(t);
    const res = await signInForm(t, { email: user.email, password: FIXTURE_PASSWORD, next: '/\t/evil.example' }, '10.5.0.1');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/projects');
  });

  it('the bulk issue form refuses a hostile back', async () => {
    const user = await addUser(t, undefined, { superuser: true });
    const res = await post(t, '/issues/bulk', signedIn(t, user.id), { action: 'resolve', issue: '999999', back: '/\t/evil.example' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/projects(\?|$)/);
  });
});

describe('client address behind proxies', () => {
  it('by default ignores X-Forwarded-For: a locked address stays locked whatever it claims', async () => {
    const ip = '10.6.0.1';
    lockAddress(t, ip);
    const user = await addUser(t);
    const res = await signInForm(t, { email: user.email, password: FIXTURE_PASSWORD }, ip, { 'x-forwarded-for': '203.0.113.7' });
    expect(res.statusCode).toBe(429);
    // …and a forged header cannot pin someone else's address into a lock either.
    lockAddress(t, '203.0.113.8');
    const other = await signInForm(t, { email: user.email, password: FIXTURE_PASSWORD }, '10.6.0.2', { 'x-forwarded-for': '203.0.113.8' });
    expect(other.statusCode).toBe(303);
  });

  it('with TRUST_PROXY naming the proxy, the forwarded client address is the one throttled', async () => {
    const behind = await testApp({ TRUST_PROXY: '10.7.0.0/16' });
    try {
      const user = await addUser(behind);
      lockAddress(behind, '203.0.113.9');
      const proxy = '10.7.0.1';
      const locked = await signInForm(behind, { email: user.email, password: FIXTURE_PASSWORD }, proxy, { 'x-forwarded-for': '203.0.113.9' });
      expect(locked.statusCode).toBe(429);
      const free = await signInForm(behind, { email: user.email, password: FIXTURE_PASSWORD }, proxy, { 'x-forwarded-for': '203.0.113.10' });
      expect(free.statusCode).toBe(303);
      // A peer that is not the proxy is its own address, whatever it forwards.
      lockAddress(behind, '10.8.0.1');
      const direct = await signInForm(behind, { email: user.email, password: FIXTURE_PASSWORD }, '10.8.0.1', { 'x-forwarded-for': '203.0.113.10' });
      expect(direct.statusCode).toBe(429);
    } finally {
      await behind.close();
    }
  });
});

describe('parallel guesses', () => {
  it('40 wrong passwords at once for one email: at most 5 are checked, the rest get 429', async () => {
    const user = await addUser(t);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => signInForm(t, { email: user.email, password: `guess-${i}` }, `10.9.0.${i + 1}`)),
    );
    const statuses = answers.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
    // The right password is locked out too now.
    expect((await signInForm(t, { email: user.email, password: FIXTURE_PASSWORD }, '10.9.1.1')).statusCode).toBe(429);
  });

  it('40 wrong current passwords at once on the password form: at most 5 are checked', async () => {
    const user = await addUser(t);
    const as = signedIn(t, user.id);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post(t, '/account/password', as, { current: `guess-${i}`, password: 'new-password-1', confirm: 'new-password-1' })),
    );
    const statuses = answers.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 400)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
  });

  it('a successful sign-in gives its address back the count it took', async () => {
    const user = await addUser(t);
    const ip = '10.10.0.1';
    // 19 failures: each further attempt is the 20th, which locks the address unless it succeeds.
    for (let i = 0; i < 19; i++) recordFailure(t.main, { email: `other-${i}@example.com`, ip });
    expect((await signInForm(t, { email: user.email, password: FIXTURE_PASSWORD }, ip)).statusCode).toBe(303);
    expect((await signInForm(t, { email: user.email, password: FIXTURE_PASSWORD }, ip)).statusCode).toBe(303);
  });

  it('a successful sign-in clears its email', async () => {
    const user = await addUser(t);
    const fail4 = (ip: string) => {
      for (let i = 0; i < 4; i++) recordFailure(t.main, { email: user.email, ip });
    };
    fail4('10.11.0.1');
    expect((await signInForm(t, { email: user.email, password: FIXTURE_PASSWORD }, '10.11.0.2')).statusCode).toBe(303);
    fail4('10.11.0.3');
    expect((await signInForm(t, { email: user.email, password: FIXTURE_PASSWORD }, '10.11.0.4')).statusCode).toBe(303);
  });
});
