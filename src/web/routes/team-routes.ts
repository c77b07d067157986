/** Teams: list, create, the team page, membership, invitations, rename, delete. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireAdmin, teamAccess } from '../../auth/access.js';
import { BadRequestError } from '../../errors.js';
import { countsFor } from '../../projects/project-stats.js';
import { projectsOfTeam } from '../../projects/projects.js';
import { createInvitation, invitationUrl, openInvitations, revokeInvitation } from '../../teams/invitations.js';
import { isRole, listMembers, removeMember, setRole } from '../../teams/members.js';
import { createTeam, deleteTeam, renameTeam, teamsFor } from '../../teams/teams.js';
import { page, seeOther, type WebContext } from '../page.js';
import { field, idParam, param, viewerOf } from '../request-context.js';

export async function teamRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { config, main } = ctx;
  const access = (req: FastifyRequest) => teamAccess(main, viewerOf(req), param(req, 'team'));
  const adminAccess = (req: FastifyRequest, action: string) => {
    const a = access(req);
    requireAdmin(a, action);
    return a;
  };
  const roleField = (req: FastifyRequest) => {
    const role = field(req, 'role');
    if (!isRole(role)) throw new BadRequestError('the role is admin or member');
    return role;
  };

  app.get('/teams', { config: { access: 'user' } }, async (req, reply) => {
    const viewer = viewerOf(req);
    return page(ctx, req, reply, 'teams', { teams: teamsFor(main, viewer.id, viewer.isSuperuser) });
  });

  app.post('/teams', { config: { access: 'user' } }, async (req, reply) => {
    const team = createTeam(main, field(req, 'name'), viewerOf(req).id);
    return seeOther(reply, `/teams/${team.slug}`, 'team-created');
  });

  app.get('/teams/:team', { config: { access: 'user' } }, async (req, reply) => {
    const a = access(req);
    const projects = projectsOfTeam(main, a.team.id);
    return page(ctx, req, reply, 'team', {
      ...a,
      members: listMembers(main, a.team.id),
      projects,
      counts: countsFor(main, projects.map((p) => p.id)),
      invitations: a.role === 'admin' ? openInvitations(main, a.team.id) : [],
    });
  });

  app.post('/teams/:team/rename', { config: { access: 'user' } }, async (req, reply) => {
    const { team } = adminAccess(req, 'rename the team');
    renameTeam(main, team.id, field(req, 'name'));
    return seeOther(reply, `/teams/${team.slug}`, 'team-renamed');
  });

  app.get('/teams/:team/delete', { config: { access: 'user' } }, async (req, reply) => {
    const { team } = adminAccess(req, 'delete the team');
    return page(ctx, req, reply, 'confirm-delete', {
      title: `Delete team ${team.name}`,
      what: `the team “${team.name}”`,
      consequence: 'Its members lose access through it. A team that still has projects cannot be deleted.',
      confirmWord: team.slug,
      action: `/teams/${team.slug}/delete`,
      cancel: `/teams/${team.slug}`,
    });
  });

  app.post('/teams/:team/delete', { config: { access: 'user' } }, async (req, reply) => {
    const { team } = adminAccess(req, 'delete the team');
    if (field(req, 'confirm') !== team.slug) throw new BadRequestError(`type the team's slug (${team.slug}) to confirm`);
    deleteTeam(main, team.id);
    return seeOther(reply, '/teams', 'team-deleted');
  });

  app.post('/teams/:team/leave', { config: { access: 'user' } }, async (req, reply) => {
    const { team, membership } = access(req);
    if (!membership) throw new BadRequestError('you are not a member of this team');
    removeMember(main, team.id, viewerOf(req).id);
    return seeOther(reply, '/teams', 'team-left');
  });

  app.post('/teams/:team/members/:user/role', { config: { access: 'user' } }, async (req, reply) => {
    const { team } = adminAccess(req, 'change roles');
    setRole(main, team.id, idParam(req, 'user'), roleField(req));
    return seeOther(reply, `/teams/${team.slug}`, 'role-changed');
  });

  app.post('/teams/:team/members/:user/remove', { config: { access: 'user' } }, async (req, reply) => {
    const { team } = adminAccess(req, 'remove members');
    removeMember(main, team.id, idParam(req, 'user'));
    return seeOther(reply, `/teams/${team.slug}`, 'member-removed');
  });

  app.post('/teams/:team/invitations', { config: { access: 'user' } }, async (req, reply) => {
    const { team } = adminAccess(req, 'invite people');
    const role = roleField(req);
    const email = field(req, 'email').trim() || undefined;
    // With SMTP set up, an invitation for an address is also mailed there (in the same transaction).
    const mail = email && config.email.smtp ? { baseUrl: config.baseUrl, teamName: team.name, invitedBy: viewerOf(req).email } : undefined;
    const { token, invitation } = createInvitation(main, team.id, { role, email, createdBy: viewerOf(req).id, mail });
    // Only the hash is stored: this page is the one chance to see the link.
    return page(ctx, req, reply, 'link-created', {
      title: `Invitation to ${team.name}`,
      heading: `Invitation link for ${team.name}`,
      explanation: `Whoever opens this link${invitation.email ? ` and signs in as ${invitation.email}` : ''} joins ${team.name} as ${invitation.role}. It works once and expires in 7 days. ${mail ? `It is also mailed to ${invitation.email}.` : 'Send it yourself (give an address and set up SMTP to have it mailed).'}`,
      link: invitationUrl(config.baseUrl, token),
      back: `/teams/${team.slug}`,
      backLabel: `Back to ${team.name}`,
    });
  });

  app.post('/teams/:team/invitations/:invitation/revoke', { config: { access: 'user' } }, async (req, reply) => {
    const { team } = adminAccess(req, 'revoke invitations');
    revokeInvitation(main, team.id, idParam(req, 'invitation'));
    return seeOther(reply, `/teams/${team.slug}`, 'invitation-revoked');
  });
}
