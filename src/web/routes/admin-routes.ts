/**
 * Site administration (superusers): accounts. With registration closed this is
 * how people get in: a superuser creates the account and gets its set-password
 * link, shown once and, when SMTP is set up and they ask, mailed to the account
 * through the outbox too.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { createPasswordToken, setPasswordUrl } from '../../users/password-tokens.js';
import { createUser, deleteUser, getUser, listUsers, setSuperuser } from '../../users/users.js';
import { page, seeOther, type WebContext } from '../page.js';
import { field, idParam, viewerOf } from '../request-context.js';

export async function adminRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { config, main } = ctx;
  const superuser = { config: { access: 'superuser' as const } };

  const target = (req: FastifyRequest) => {
    const user = getUser(main, idParam(req, 'user'));
    if (!user) throw new NotFoundError('no such user');
    return user;
  };
  const notSelf = (req: FastifyRequest, userId: number, action: string) => {
    if (viewerOf(req).id === userId) throw new BadRequestError(`you cannot ${action} yourself; ask another superuser`);
  };
  const linkPage = (req: FastifyRequest, reply: FastifyReply, email: string, userId: number) => {
    // Mailed only on request, and only with SMTP set up: otherwise it would wait in the outbox, unsent.
    const mail = field(req, 'mail') === 'on' && config.email.smtp ? { baseUrl: config.baseUrl, by: viewerOf(req).email } : undefined;
    const how = mail
      ? `It is also mailed to ${email}; opening it from there confirms that address for alert mails.`
      : config.email.smtp
        ? 'Send it yourself over a channel you trust, or ask for a new one to be mailed.'
        : 'No SMTP server is configured, so Sluice cannot mail it: send it yourself, over a channel you trust.';
    return page(ctx, req, reply, 'link-created', {
      title: `Set-password link for ${email}`,
      heading: `Set-password link for ${email}`,
      explanation: `Whoever opens this link can set the password of ${email} and is signed in as them. It works once and expires in 3 days; a newer link replaces it. ${how}`,
      link: setPasswordUrl(config.baseUrl, createPasswordToken(main, userId, Date.now(), mail)),
      back: '/admin/users',
      backLabel: 'Back to users',
    });
  };

  app.get('/admin/users', superuser, async (req, reply) => page(ctx, req, reply, 'admin-users', { users: listUsers(main), smtp: !!config.email.smtp }));

  app.post('/admin/users', superuser, async (req, reply) => {
    const user = createUser(main, { email: field(req, 'email'), passwordHash: null, isSuperuser: field(req, 'superuser') === 'on' });
    return linkPage(req, reply, user.email, user.id);
  });

  app.post('/admin/users/:user/password-link', superuser, async (req, reply) => {
    const user = target(req);
    return linkPage(req, reply, user.email, user.id);
  });

  app.post('/admin/users/:user/superuser', superuser, async (req, reply) => {
    const user = target(req);
    notSelf(req, user.id, 'change the superuser status of');
    setSuperuser(main, user.id, field(req, 'value') === '1');
    return seeOther(reply, '/admin/users', 'user-updated');
  });

  app.get('/admin/users/:user/delete', superuser, async (req, reply) => {
    const user = target(req);
    notSelf(req, user.id, 'delete');
    return page(ctx, req, reply, 'confirm-delete', {
      title: `Delete user ${user.email}`,
      what: `the account ${user.email}`,
      consequence: 'Its sessions end and it leaves every team. Projects and their events stay with their teams.',
      confirmWord: user.email,
      action: `/admin/users/${user.id}/delete`,
      cancel: '/admin/users',
    });
  });

  app.post('/admin/users/:user/delete', superuser, async (req, reply) => {
    const user = target(req);
    notSelf(req, user.id, 'delete');
    if (field(req, 'confirm').trim().toLowerCase() !== user.email) throw new BadRequestError(`type the email (${user.email}) to confirm`);
    deleteUser(main, user.id);
    return seeOther(reply, '/admin/users', 'user-deleted');
  });
}
