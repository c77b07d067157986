/** Links that come by mail: asking for a password reset, and verifying one's address. */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import { requestPasswordReset, sendVerification, verifyEmail } from '../../users/email-links.js';
import { emailProblem, normalizeEmail } from '../../users/users.js';
import { page, seeOther, type WebContext } from '../page.js';
import { field, param, viewerOf } from '../request-context.js';

export async function mailLinkRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { config, main } = ctx;
  const canMail = () => !!config.email.smtp;

  app.get('/forgot-password', { config: { access: 'public' } }, async (req, reply) =>
    page(ctx, req, reply, 'forgot-password', { canMail: canMail(), sentTo: undefined, email: '' }),
  );

  app.post('/forgot-password', { config: { access: 'public' } }, async (req, reply) => {
    const email = normalizeEmail(field(req, 'email'));
    const problem = emailProblem(email);
    if (problem) return page(ctx, req, reply, 'forgot-password', { canMail: canMail(), sentTo: undefined, email, error: problem }, 400);
    // The same answer for every address: whether an account exists is nobody's business here.
    requestPasswordReset(main, config.baseUrl, email);
    return page(ctx, req, reply, 'forgot-password', { canMail: canMail(), sentTo: email, email });
  });

  app.post('/account/verify', { config: { access: 'user' } }, async (req, reply) => {
    const sent = sendVerification(main, config.baseUrl, viewerOf(req));
    return seeOther(reply, '/account', sent !== undefined ? 'verification-sent' : 'verification-recent');
  });

  app.get('/verify-email/:token', { config: { access: 'public' } }, async (req, reply) => {
    if (!verifyEmail(main, param(req, 'token'))) throw new NotFoundError('This verification link is not valid any more. Ask for a new one on your account page.');
    return seeOther(reply, req.viewer ? '/account' : '/signin', 'email-verified');
  });
}
