/**
 * CSRF protection for every state-changing form.
 *
 * Signed in: a synchronizer token kept with the server-side session (sessions.csrf_token)
 * and echoed by each form. The attacker's page can neither read it nor make the
 * browser send it. Before sign-in (sign-in, registration, invitation and
 * set-password forms) there is no session yet, so a random double-submit cookie
 * stands in: the form must echo the cookie's value.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { looksLikeToken, newToken, sameSecret } from '../auth/tokens.js';
import type { Config } from '../config.js';
import { ForbiddenError } from '../errors.js';
import { cookieNames, setCookie } from './cookies.js';

export const CSRF_FIELD = '_csrf';

/** The token to put in this page's forms; sets the pre-sign-in cookie when there is none yet. */
export function csrfToken(config: Config, req: FastifyRequest, reply: FastifyReply): string {
  if (req.userSession) return req.userSession.csrfToken;
  const name = cookieNames(config).csrf;
  const existing = req.cookies[name];
  if (looksLikeToken(existing)) return existing;
  const token = newToken();
  setCookie(config, reply, name, token);
  // A second call while rendering the same response must not mint another.
  req.cookies[name] = token;
  return token;
}

export function verifyCsrf(config: Config, req: FastifyRequest): void {
  const sent = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  const expected = req.userSession ? req.userSession.csrfToken : req.cookies[cookieNames(config).csrf];
  if (typeof sent !== 'string' || !looksLikeToken(expected) || !sameSecret(sent, expected)) {
    throw new ForbiddenError('This form has expired or did not come from Sluice (CSRF check failed). Reload the page and try again.');
  }
}
