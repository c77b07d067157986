/** What superusers watch over: the mail outbox and the dead letters. */
import type { FastifyInstance } from 'fastify';
import { outboxOverview } from '../../alerts/alert-settings.js';
import { NO_SMTP } from '../../alerts/outbox-sender.js';
import { listDeadLetters } from '../../queue/dead-letters.js';
import { page, type WebContext } from '../page.js';

export async function opsRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get('/admin/mail', { config: { access: 'superuser' } }, async (req, reply) => {
    const { counts, attention } = outboxOverview(ctx.main);
    return page(ctx, req, reply, 'admin-mail', {
      counts,
      mails: attention,
      smtp: ctx.config.email.smtp ? `${ctx.config.email.smtp.host}:${ctx.config.email.smtp.port}` : undefined,
      noSmtp: NO_SMTP,
    });
  });

  app.get('/admin/dead-letters', { config: { access: 'superuser' } }, async (req, reply) => {
    return page(ctx, req, reply, 'admin-dead-letters', { letters: ctx.queue ? listDeadLetters(ctx.queue) : [] });
  });
}
