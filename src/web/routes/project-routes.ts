/** Projects: list, create, overview, settings, rename, move, delete. Keys: project-key-routes.ts. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { projectAccess, requireAdmin, teamAccess } from '../../auth/access.js';
import { BadRequestError } from '../../errors.js';
import { deleteProject } from '../../projects/delete-project.js';
import { keysOfProject } from '../../projects/project-keys.js';
import { countsFor, projectCounts } from '../../projects/project-stats.js';
import { createProject, dsnFor, projectsFor, renameProject, setProjectTeam } from '../../projects/projects.js';
import { sdkSnippets } from '../../projects/snippets.js';
import { teamsFor } from '../../teams/teams.js';
import { page, seeOther, type WebContext } from '../page.js';
import { field, idParam, queryValue, viewerOf } from '../request-context.js';

export async function projectRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { config, main } = ctx;
  const access = (req: FastifyRequest) => projectAccess(main, viewerOf(req), idParam(req, 'project'));
  const adminAccess = (req: FastifyRequest, action: string) => {
    const a = access(req);
    requireAdmin(a, action);
    return a;
  };
  /** Teams where the viewer may create or receive projects. */
  const adminTeams = (req: FastifyRequest) => {
    const viewer = viewerOf(req);
    return teamsFor(main, viewer.id, viewer.isSuperuser).filter((t) => viewer.isSuperuser || t.role === 'admin');
  };
  const keysWithDsn = (projectId: number) =>
    keysOfProject(main, projectId).map((k) => ({ ...k, dsn: dsnFor(config.baseUrl, k.publicKey, projectId) }));

  app.get('/projects', { config: { access: 'user' } }, async (req, reply) => {
    const viewer = viewerOf(req);
    const projects = projectsFor(main, viewer.id, viewer.isSuperuser);
    const teams = teamsFor(main, viewer.id, viewer.isSuperuser);
    return page(ctx, req, reply, 'projects', {
      teams,
      projects,
      counts: countsFor(main, projects.map((p) => p.id)),
      canCreate: viewer.isSuperuser || teams.some((t) => t.role === 'admin'),
    });
  });

  app.get('/projects/new', { config: { access: 'user' } }, async (req, reply) =>
    page(ctx, req, reply, 'project-new', { teams: adminTeams(req), selected: queryValue(req, 'team'), name: '' }),
  );

  app.post('/projects', { config: { access: 'user' } }, async (req, reply) => {
    const team = teamAccess(main, viewerOf(req), field(req, 'team'));
    requireAdmin(team, 'create projects in this team');
    const { project } = createProject(main, field(req, 'name'), Date.now(), team.team.id);
    return seeOther(reply, `/projects/${project.id}/settings`, 'project-created');
  });

  app.get('/projects/:project', { config: { access: 'user' } }, async (req, reply) => {
    const a = access(req);
    const primary = keysWithDsn(a.project.id).find((k) => k.isActive);
    return page(ctx, req, reply, 'project', { ...a, counts: projectCounts(main, a.project.id), dsn: primary?.dsn });
  });

  app.get('/projects/:project/settings', { config: { access: 'user' } }, async (req, reply) => {
    const a = access(req);
    const keys = keysWithDsn(a.project.id);
    const primary = keys.find((k) => k.isActive);
    return page(ctx, req, reply, 'project-settings', {
      ...a,
      keys,
      dsn: primary?.dsn,
      snippets: primary ? sdkSnippets(primary.dsn) : [],
      moveTargets: a.role === 'admin' ? adminTeams(req).filter((t) => t.id !== a.project.teamId) : [],
    });
  });

  app.post('/projects/:project/rename', { config: { access: 'user' } }, async (req, reply) => {
    const { project } = adminAccess(req, 'rename the project');
    renameProject(main, project.id, field(req, 'name'));
    return seeOther(reply, `/projects/${project.id}/settings`, 'project-renamed');
  });

  app.post('/projects/:project/team', { config: { access: 'user' } }, async (req, reply) => {
    const { project } = adminAccess(req, 'move the project');
    // The target team must be one where the viewer is admin too: moving is giving it to them.
    const target = teamAccess(main, viewerOf(req), field(req, 'team'));
    requireAdmin(target, 'move projects into that team');
    setProjectTeam(main, project.id, target.team.id);
    return seeOther(reply, `/projects/${project.id}/settings`, 'project-moved');
  });

  app.get('/projects/:project/delete', { config: { access: 'user' } }, async (req, reply) => {
    const { project } = adminAccess(req, 'delete the project');
    const counts = projectCounts(main, project.id);
    return page(ctx, req, reply, 'confirm-delete', {
      title: `Delete project ${project.name}`,
      what: `the project “${project.name}”`,
      consequence: `Its ${counts.issues} issues and ${counts.events} events are deleted with it, and its DSNs stop working. This cannot be undone.`,
      confirmWord: project.slug,
      action: `/projects/${project.id}/delete`,
      cancel: `/projects/${project.id}/settings`,
    });
  });

  app.post('/projects/:project/delete', { config: { access: 'user' } }, async (req, reply) => {
    const { project } = adminAccess(req, 'delete the project');
    if (field(req, 'confirm') !== project.slug) throw new BadRequestError(`type the project's slug (${project.slug}) to confirm`);
    await deleteProject(main, project.id);
    return seeOther(reply, '/projects', 'project-deleted');
  });
}
