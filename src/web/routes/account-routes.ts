/** The signed-in person's own account: password and sessions. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { attemptSucceeded, beginAttempt } from '../../auth/sign-in-throttle.js';
import { BadRequestError, TooManyRequestsError } from '../../errors.js';
import { countSessions, endOtherSessions } from '../../sessions/sessions.js';
import { teamsFor } from '../../teams/teams.js';
import { hashPassword, passwordProblem, verifyPassword } from '../../users/passwords.js';
import { emailVerified, passwordHashOf, setPasswordHash } from '../../users/users.js';
import { page, seeOther, type WebContext } from '../page.js';
import { field, viewerOf } from '../request-context.js';

export async function accountRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { main } = ctx;

  const accountPage = (req: FastifyRequest, error?: string) => {
    const viewer = viewerOf(req);
    return {
      verified: emailVerified(main, viewer.id),
      sessions: countSessions(main, viewer.id),
      teams: teamsFor(main, viewer.id, false),
      error,
    };
  };

  app.get('/account', { config: { access: 'user' } }, async (req, reply) => page(ctx, req, reply, 'account', accountPage(req)));

  app.post('/account/password', { config: { access: 'user' } }, async (req, reply) => {
    const viewer = viewerOf(req);
    const subjects = { email: viewer.email, ip: req.ip };
    try {
      // A stolen session must not become a way to guess the password: same throttle as sign-in.
      // Counted before the check, as at sign-in: parallel guesses must not all get through.
      beginAttempt(main, subjects);
      if (!(await verifyPassword(field(req, 'current'), passwordHashOf(main, viewer.id)))) {
        throw new BadRequestError('the current password is not right');
      }
      attemptSucceeded(main, subjects);
      const password = field(req, 'password');
      const problem = passwordProblem(password) ?? (password !== field(req, 'confirm') ? 'the two new passwords differ' : undefined);
      if (problem) throw new BadRequestError(problem);
      setPasswordHash(main, viewer.id, await hashPassword(password), req.userSession?.id);
      return seeOther(reply, '/account', 'password-changed');
    } catch (err) {
      if (!(err instanceof BadRequestError || err instanceof TooManyRequestsError)) throw err;
      return page(ctx, req, reply, 'account', accountPage(req, err.message), err.statusCode);
    }
  });

  app.post('/account/sessions', { config: { access: 'user' } }, async (req, reply) => {
    endOtherSessions(main, viewerOf(req).id, req.userSession!.id);
    return seeOther(reply, '/account', 'sessions-ended');
  });
}
