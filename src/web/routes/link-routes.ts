/** Pages behind one-time links: invitations to a team, and set-password links. */
import type { FastifyInstance } from 'fastify';
import { BadRequestError, ForbiddenError, NotFoundError } from '../../errors.js';
import { acceptInvitation, invitationByToken, registerWithInvitation } from '../../teams/invitations.js';
import { hashPassword, passwordProblem } from '../../users/passwords.js';
import { passwordTokenUser, redeemPasswordToken } from '../../users/password-tokens.js';
import { page, seeOther, type WebContext } from '../page.js';
import { field, param } from '../request-context.js';
import { formError, signIn } from './sign-in-routes.js';

const DEAD_INVITATION = 'This invitation link is not valid: it was used already, revoked, or it expired. Ask a team admin for a new one.';
const DEAD_PASSWORD_LINK = 'This set-password link is not valid: it was used already, replaced by a newer one, or it expired.';

function newPassword(password: string, confirm: string): string {
  const problem = passwordProblem(password) ?? (password !== confirm ? 'the two passwords differ' : undefined);
  if (problem) throw new BadRequestError(problem);
  return password;
}

export async function linkRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { config, main } = ctx;

  app.get('/invite/:token', { config: { access: 'public' } }, async (req, reply) => {
    const token = param(req, 'token');
    const found = invitationByToken(main, token);
    if (!found) throw new NotFoundError(DEAD_INVITATION);
    return page(ctx, req, reply, 'invite', { ...found, token, registration: config.accounts.registration, email: found.invitation.email ?? '' });
  });

  app.post('/invite/:token', { config: { access: 'public' } }, async (req, reply) => {
    const token = param(req, 'token');
    const found = invitationByToken(main, token);
    if (!found) throw new NotFoundError(DEAD_INVITATION);
    if (req.viewer) {
      const team = acceptInvitation(main, token, req.viewer);
      return seeOther(reply, `/teams/${team.slug}`, 'team-joined');
    }
    if (config.accounts.registration === 'closed') {
      throw new ForbiddenError('This server does not take new accounts: sign in with an existing account to accept.');
    }
    // An invitation for one address creates that account, whatever the form says.
    const email = found.invitation.email ?? field(req, 'email').trim();
    try {
      const password = newPassword(field(req, 'password'), field(req, 'confirm'));
      const { user, team } = registerWithInvitation(main, token, { email, passwordHash: await hashPassword(password) });
      signIn(ctx, req, reply, user);
      return seeOther(reply, `/teams/${team.slug}`, 'team-joined');
    } catch (err) {
      const error = formError(err);
      return page(ctx, req, reply, 'invite', { ...found, token, registration: config.accounts.registration, email, error }, 400);
    }
  });

  app.get('/set-password/:token', { config: { access: 'public' } }, async (req, reply) => {
    const token = param(req, 'token');
    const user = passwordTokenUser(main, token);
    if (!user) throw new NotFoundError(DEAD_PASSWORD_LINK);
    return page(ctx, req, reply, 'set-password', { token, user });
  });

  app.post('/set-password/:token', { config: { access: 'public' } }, async (req, reply) => {
    const token = param(req, 'token');
    const user = passwordTokenUser(main, token);
    if (!user) throw new NotFoundError(DEAD_PASSWORD_LINK);
    try {
      const password = newPassword(field(req, 'password'), field(req, 'confirm'));
      const done = redeemPasswordToken(main, token, await hashPassword(password));
      if (!done) throw new NotFoundError(DEAD_PASSWORD_LINK);
      signIn(ctx, req, reply, done);
      return seeOther(reply, '/projects', 'password-set');
    } catch (err) {
      return page(ctx, req, reply, 'set-password', { token, user, error: formError(err) }, 400);
    }
  });
}
