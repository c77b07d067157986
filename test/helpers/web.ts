/**
 * Signing in and submitting forms against an in-process app (app.inject). Users
 * get one shared password hash (scrypt is slow on purpose, and a test needs
 * dozens of users), and sessions are created directly through the sessions
 * module, as the sign-in form would.
 */
import type { LightMyRequestResponse } from 'fastify';
import { newToken } from '../../src/auth/tokens.js';
import { createSession } from '../../src/sessions/sessions.js';
import { hashPassword } from '../../src/users/passwords.js';
import { createUser, type User } from '../../src/users/users.js';
import type { TestApp } from './app.js';

export const FIXTURE_PASSWORD = 'fixture-password';
let hash: Promise<string> | undefined;
export const fixtureHash = () => (hash ??= hashPassword(FIXTURE_PASSWORD));

let seq = 0;
export const uniqueEmail = (prefix = 'user') => `${prefix}-${Date.now().toString(36)}-${++seq}@example.com`;

export async function addUser(t: TestApp, email = uniqueEmail(), opts: { superuser?: boolean } = {}): Promise<User> {
  return createUser(t.main, { email, passwordHash: await fixtureHash(), isSuperuser: opts.superuser ?? false });
}

export interface Browser {
  /** Cookie header value. */
  readonly cookie: string;
  /** The token this visitor's forms carry. */
  readonly csrf: string;
}

/** A fresh signed-in session of the user. */
export function signedIn(t: TestApp, userId: number): Browser {
  const s = createSession(t.main, userId, t.config.accounts.sessionLifetimeMs);
  return { cookie: `sluice_session=${s.token}`, csrf: s.csrfToken };
}

/** A visitor before sign-in, holding the double-submit CSRF cookie. */
export function anonymous(): Browser {
  const token = newToken();
  return { cookie: `sluice_csrf=${token}`, csrf: token };
}

export function get(t: TestApp, url: string, as?: Browser): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'GET', url, headers: as ? { cookie: as.cookie } : {} });
}

/** A form POST; the CSRF token is added unless `csrf` says otherwise (false: none; a string: that one). */
export function post(
  t: TestApp,
  url: string,
  as: Browser | undefined,
  fields: Record<string, string> = {},
  csrf: string | false | undefined = undefined,
): Promise<LightMyRequestResponse> {
  const body = new URLSearchParams(fields);
  const token = csrf === undefined ? as?.csrf : csrf;
  if (token) body.set('_csrf', token);
  return t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(as ? { cookie: as.cookie } : {}) },
    payload: body.toString(),
  });
}

/** The value of the named cookie set by a response, if any. */
export function setCookie(res: LightMyRequestResponse, name: string): string | undefined {
  return res.cookies.find((c) => c.name === name)?.value;
}
