/**
 * The gate in front of every web page and form:
 * 1. onRequest: the session cookie becomes `req.viewer` (one indexed read; a
 *    write only when the sliding expiry is due to move).
 * 2. preHandler: a route that is not public sends an anonymous visitor to the
 *    sign-in page; superuser routes refuse others (403); every POST must carry
 *    a valid CSRF token.
 * A route registered without declaring its access fails at startup.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { looksLikeToken } from '../auth/tokens.js';
import { ForbiddenError } from '../errors.js';
import { dueForTouch, sessionByToken, touchSession } from '../sessions/sessions.js';
import { clearCookie, cookieNames, setCookie } from './cookies.js';
import { verifyCsrf } from './csrf.js';
import type { WebContext } from './page.js';

export function signInLocation(req: FastifyRequest): string {
  // After a GET the visitor comes back to it; a POST cannot be replayed, so back to the start.
  return req.method === 'GET' ? `/signin?next=${encodeURIComponent(req.url)}` : '/signin';
}

export function installSessionGate(app: FastifyInstance, ctx: WebContext): void {
  const names = cookieNames(ctx.config);
  const lifetime = ctx.config.accounts.sessionLifetimeMs;

  app.decorateRequest('viewer', null);
  app.decorateRequest('userSession', null);

  app.addHook('onRoute', (route) => {
    if (!route.config?.access) throw new Error(`web route ${route.method} ${route.url} declares no access level`);
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const token = req.cookies[names.session];
    if (token === undefined) return;
    const session = looksLikeToken(token) ? sessionByToken(ctx.main, token) : undefined;
    if (!session) {
      // Expired or revoked: drop the cookie so the browser stops presenting it.
      clearCookie(ctx.config, reply, names.session);
      return;
    }
    req.userSession = session;
    req.viewer = session.user;
    if (dueForTouch(session)) {
      const expiresAt = touchSession(ctx.main, session.id, lifetime);
      setCookie(ctx.config, reply, names.session, token, expiresAt - Date.now());
    }
  });

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const access = req.routeOptions.config.access;
    if (access !== 'public' && !req.viewer) return reply.redirect(signInLocation(req), 303);
    if (access === 'superuser' && !req.viewer?.isSuperuser) throw new ForbiddenError('only a superuser can do this');
    if (req.method === 'POST') verifyCsrf(ctx.config, req);
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    // Pages show private data: no shared cache keeps them, and Back after sign-out does not show them again.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
