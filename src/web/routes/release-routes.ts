/** A project's releases, and its alert settings (switches for admins, an opt-out for everyone). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { alertSettings, optedOut, setAlertSettings, setOptOut } from '../../alerts/alert-settings.js';
import { alertRecipients } from '../../alerts/queue-mail.js';
import { projectAccess, requireAdmin } from '../../auth/access.js';
import { tagSearchUrl } from '../../issues/search-query.js';
import { projectReleases } from '../../releases/releases.js';
import { page, seeOther, type WebContext } from '../page.js';
import { field, idParam, viewerOf } from '../request-context.js';

export async function releaseRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { main } = ctx;
  const access = (req: FastifyRequest) => projectAccess(main, viewerOf(req), idParam(req, 'project'));

  app.get('/projects/:project/releases', { config: { access: 'user' } }, async (req, reply) => {
    const a = access(req);
    return page(ctx, req, reply, 'releases', {
      ...a,
      releases: projectReleases(main, a.project.id).map((r) => ({ ...r, search: tagSearchUrl(a.project.id, 'release', r.version) })),
    });
  });

  app.get('/projects/:project/alerts', { config: { access: 'user' } }, async (req, reply) => {
    const a = access(req);
    return page(ctx, req, reply, 'project-alerts', {
      ...a,
      settings: alertSettings(main, a.project.id),
      optedOut: optedOut(main, a.project.id, viewerOf(req).id),
      recipients: alertRecipients(main, a.project.id),
      smtpConfigured: !!ctx.config.email.smtp,
    });
  });

  app.post('/projects/:project/alerts', { config: { access: 'user' } }, async (req, reply) => {
    const a = access(req);
    requireAdmin(a, 'change the alert settings');
    // An unchecked checkbox sends nothing: absent means off.
    setAlertSettings(main, a.project.id, {
      onNewIssue: field(req, 'on_new_issue') === 'on',
      onRegression: field(req, 'on_regression') === 'on',
      onUnmute: field(req, 'on_unmute') === 'on',
    });
    return seeOther(reply, `/projects/${a.project.id}/alerts`, 'alerts-saved');
  });

  app.post('/projects/:project/alerts/me', { config: { access: 'user' } }, async (req, reply) => {
    const a = access(req);
    setOptOut(main, a.project.id, viewerOf(req).id, field(req, 'receive') !== 'on');
    return seeOther(reply, `/projects/${a.project.id}/alerts`, 'alerts-saved');
  });
}
