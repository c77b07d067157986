/** Signing in and out, and open registration. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { attemptSucceeded, beginAttempt } from '../../auth/sign-in-throttle.js';
import { BadRequestError, NotFoundError, TooManyRequestsError } from '../../errors.js';
import { createSession, endSession } from '../../sessions/sessions.js';
import { hashPassword, passwordProblem, verifyPassword } from '../../users/passwords.js';
import { createUser, userForSignIn, type User } from '../../users/users.js';
import { clearCookie, cookieNames, setCookie } from '../cookies.js';
import { page, seeOther, type WebContext } from '../page.js';
import { field, queryValue, safeNext } from '../request-context.js';

/** Starts a fresh session (a new token: nothing planted before sign-in carries over) and sets its cookie. */
export function signIn(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, user: Pick<User, 'id'>): void {
  if (req.userSession) endSession(ctx.main, req.userSession.id);
  const names = cookieNames(ctx.config);
  const lifetime = ctx.config.accounts.sessionLifetimeMs;
  const session = createSession(ctx.main, user.id, lifetime);
  setCookie(ctx.config, reply, names.session, session.token, lifetime);
  clearCookie(ctx.config, reply, names.csrf);
}

/** Registration form errors are shown on the form; anything else goes to the error page. */
export function formError(err: unknown): string {
  if (err instanceof BadRequestError) return err.message;
  throw err;
}

export async function signInRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { config, main } = ctx;
  const registrationOpen = () => config.accounts.registration === 'open';

  app.get('/', { config: { access: 'user' } }, async (_req, reply) => seeOther(reply, '/projects'));

  app.get('/signin', { config: { access: 'public' } }, async (req, reply) => {
    const next = safeNext(queryValue(req, 'next'));
    if (req.viewer) return seeOther(reply, next);
    return page(ctx, req, reply, 'signin', { next, email: '', registrationOpen: registrationOpen() });
  });

  app.post('/signin', { config: { access: 'public' } }, async (req, reply) => {
    const email = field(req, 'email').trim();
    const password = field(req, 'password');
    const next = safeNext(field(req, 'next'));
    const again = (error: string, status: number) =>
      page(ctx, req, reply, 'signin', { next, email, error, registrationOpen: registrationOpen() }, status);
    const subjects = { email, ip: req.ip };
    try {
      // Counted before the password is checked, so parallel guesses cannot all pass the check.
      beginAttempt(main, subjects);
    } catch (err) {
      if (!(err instanceof TooManyRequestsError)) throw err;
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return again(err.message, 429);
    }
    const found = email ? userForSignIn(main, email) : undefined;
    // Runs scrypt even for an unknown email, so the answer's timing does not reveal accounts.
    const ok = await verifyPassword(password, found?.passwordHash ?? null);
    if (!found || !ok) return again('That email and password do not match an account.', 401);
    attemptSucceeded(main, subjects);
    signIn(ctx, req, reply, found.user);
    return seeOther(reply, next);
  });

  app.post('/signout', { config: { access: 'user' } }, async (req, reply) => {
    if (req.userSession) endSession(main, req.userSession.id);
    clearCookie(config, reply, cookieNames(config).session);
    return seeOther(reply, '/signin', 'signed-out');
  });

  app.get('/register', { config: { access: 'public' } }, async (req, reply) => {
    if (!registrationOpen()) throw new NotFoundError('registration is closed on this server; ask an admin for an invitation');
    if (req.viewer) return seeOther(reply, '/projects');
    return page(ctx, req, reply, 'register', { email: '' });
  });

  app.post('/register', { config: { access: 'public' } }, async (req, reply) => {
    if (!registrationOpen()) throw new NotFoundError('registration is closed on this server; ask an admin for an invitation');
    const email = field(req, 'email').trim();
    const password = field(req, 'password');
    const problem = passwordProblem(password) ?? (password !== field(req, 'confirm') ? 'the two passwords differ' : undefined);
    try {
      if (problem) throw new BadRequestError(problem);
      const user = createUser(main, { email, passwordHash: await hashPassword(password) });
      signIn(ctx, req, reply, user);
      return seeOther(reply, '/teams', 'welcome');
    } catch (err) {
      return page(ctx, req, reply, 'register', { email, error: formError(err) }, 400);
    }
  });
}
