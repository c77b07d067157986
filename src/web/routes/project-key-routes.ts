/** A project's SDK keys: add, disable, enable, rotate (team admins). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { projectAccess, requireAdmin } from '../../auth/access.js';
import { addKey, rotateKey, setProjectKeyActive } from '../../projects/project-keys.js';
import { seeOther, type WebContext } from '../page.js';
import { field, idParam, viewerOf } from '../request-context.js';

export async function projectKeyRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { main } = ctx;
  const adminProject = (req: FastifyRequest) => {
    const a = projectAccess(main, viewerOf(req), idParam(req, 'project'));
    requireAdmin(a, 'manage keys');
    return a.project;
  };
  const back = (id: number) => `/projects/${id}/settings#keys`;

  app.post('/projects/:project/keys', { config: { access: 'user' } }, async (req, reply) => {
    const project = adminProject(req);
    addKey(main, project.id, field(req, 'label'));
    return seeOther(reply, back(project.id), 'key-added');
  });

  for (const [action, active] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    app.post(`/projects/:project/keys/:key/${action}`, { config: { access: 'user' } }, async (req, reply) => {
      const project = adminProject(req);
      setProjectKeyActive(main, project.id, idParam(req, 'key'), active);
      return seeOther(reply, back(project.id), `key-${action}d`);
    });
  }

  app.post('/projects/:project/keys/:key/rotate', { config: { access: 'user' } }, async (req, reply) => {
    const project = adminProject(req);
    rotateKey(main, project.id, idParam(req, 'key'));
    return seeOther(reply, back(project.id), 'key-rotated');
  });
}
