/** Cookie names and attributes of the web UI, in one place. */
import type { FastifyReply } from 'fastify';
import type { Config } from '../config.js';

export interface CookieNames {
  readonly session: string;
  /** Double-submit CSRF secret for forms shown before sign-in. */
  readonly csrf: string;
}

/**
 * Over https the names carry the `__Host-` prefix: the browser then accepts the
 * cookie only with Secure, Path=/ and no Domain, so a sibling subdomain cannot
 * plant one (the weak spot of double-submit CSRF tokens).
 */
export function cookieNames(config: Config): CookieNames {
  const prefix = config.accounts.secureCookies ? '__Host-' : '';
  return { session: `${prefix}sluice_session`, csrf: `${prefix}sluice_csrf` };
}

export function setCookie(config: Config, reply: FastifyReply, name: string, value: string, maxAgeMs?: number): void {
  reply.setCookie(name, value, {
    path: '/',
    httpOnly: true,
    // Lax: sent on top-level navigation from elsewhere (links into Sluice work), never on cross-site POSTs.
    sameSite: 'lax',
    secure: config.accounts.secureCookies,
    ...(maxAgeMs === undefined ? {} : { maxAge: Math.floor(maxAgeMs / 1000) }),
  });
}

export function clearCookie(config: Config, reply: FastifyReply, name: string): void {
  reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.accounts.secureCookies });
}
