/** Answering web requests: a rendered page, or a redirect after a form (303 See Other). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { MainDb, QueueDb } from '../db/open.js';
import { csrfToken } from './csrf.js';
import { noticeText } from './notices.js';
import { queryValue } from './request-context.js';
import { renderView } from './views.js';

export interface WebContext {
  readonly config: Config;
  readonly main: MainDb;
  /** For the admin pages about the queue (dead letters); pages never write to it. */
  readonly queue?: QueueDb;
}

export function page(
  ctx: WebContext,
  req: FastifyRequest,
  reply: FastifyReply,
  view: string,
  data: Record<string, unknown>,
  status = 200,
): string {
  reply.code(status).type('text/html; charset=utf-8');
  return renderView(view, {
    viewer: req.viewer,
    csrf: csrfToken(ctx.config, req, reply),
    path: req.url.split('?')[0],
    notice: noticeText(queryValue(req, 'notice')),
    baseUrl: ctx.config.baseUrl,
    error: undefined,
    ...data,
  });
}

export function seeOther(reply: FastifyReply, url: string, notice?: string): FastifyReply {
  if (!notice) return reply.redirect(url, 303);
  const [path = '', hash] = url.split('#');
  const target = `${path}${path.includes('?') ? '&' : '?'}notice=${encodeURIComponent(notice)}${hash ? `#${hash}` : ''}`;
  return reply.redirect(target, 303);
}
