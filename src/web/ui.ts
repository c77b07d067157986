/**
 * The web UI: static assets in one scope, pages and forms in another with their
 * own body parser, cookies, security headers and session gate. Both are
 * siblings of the ingest scope, whose requests never see any of it.
 */
import path from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { WebContext } from './page.js';
import { accountRoutes } from './routes/account-routes.js';
import { adminRoutes } from './routes/admin-routes.js';
import { issueListRoutes } from './routes/issue-list-routes.js';
import { issueRoutes } from './routes/issue-routes.js';
import { linkRoutes } from './routes/link-routes.js';
import { mailLinkRoutes } from './routes/mail-link-routes.js';
import { opsRoutes } from './routes/ops-routes.js';
import { projectKeyRoutes } from './routes/project-key-routes.js';
import { projectRoutes } from './routes/project-routes.js';
import { releaseRoutes } from './routes/release-routes.js';
import { signInRoutes } from './routes/sign-in-routes.js';
import { teamRoutes } from './routes/team-routes.js';
import { helmetOptions } from './security-headers.js';
import { installSessionGate } from './session-gate.js';
import { VIEWS_DIR } from './views.js';

/** Forms carry a few fields; nothing legitimate comes near this. */
const FORM_BODY_LIMIT = 64 * 1024;

async function assetRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: path.join(VIEWS_DIR, 'assets'),
    prefix: '/assets/',
    // An hour: CSS changes reach browsers soon after an upgrade, without a build step to fingerprint names.
    maxAge: 3_600_000,
    setHeaders: (reply) => reply.header('x-content-type-options', 'nosniff'),
  });
}

async function pageRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.removeAllContentTypeParsers();
  await app.register(formbody, { bodyLimit: FORM_BODY_LIMIT });
  await app.register(cookie);
  await app.register(helmet, helmetOptions(ctx.config));
  installSessionGate(app, ctx);
  for (const routes of [
    signInRoutes,
    linkRoutes,
    mailLinkRoutes,
    accountRoutes,
    teamRoutes,
    projectRoutes,
    projectKeyRoutes,
    adminRoutes,
    issueListRoutes,
    issueRoutes,
    releaseRoutes,
    opsRoutes,
  ]) {
    await app.register(routes, ctx);
  }
}

export async function webUi(app: FastifyInstance, ctx: WebContext): Promise<void> {
  await app.register(assetRoutes);
  await app.register(pageRoutes, ctx);
}
