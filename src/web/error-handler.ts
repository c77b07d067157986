/**
 * The one error handler: domain errors keep their status and message; anything
 * else is a bug, logged in full and answered with a bare 500 that leaks nothing.
 * SDK and health endpoints get JSON; everything else is a browser page and gets
 * an HTML error page (escaped message, no stack, no internals).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { corsHeaders } from '../ingest/cors.js';
import { fallbackSecurityHeaders } from './security-headers.js';
import { renderView } from './views.js';

const INTERNAL = 'internal error';

function isMachineRoute(req: FastifyRequest): boolean {
  const path = req.url.split('?')[0] ?? '';
  return path.startsWith('/api/') || path === '/health';
}

const TITLES: Record<number, string> = {
  400: 'That did not work',
  403: 'Not allowed',
  404: 'Not found',
  413: 'Too large',
  415: 'Unsupported content',
  429: 'Slow down',
};

function htmlPage(req: FastifyRequest, status: number, detail: string): string {
  const message =
    status >= 500
      ? 'Something went wrong on our side. It has been logged; please try again in a moment.'
      : status === 404 && detail.startsWith('no route for')
        ? 'There is no page at this address.'
        : detail;
  try {
    return renderView('error', {
      viewer: req.viewer ?? null,
      csrf: req.userSession?.csrfToken,
      path: '',
      status,
      title: TITLES[status] ?? (status >= 500 ? 'Server error' : 'Error'),
      message: message.charAt(0).toUpperCase() + message.slice(1),
    });
  } catch (err) {
    req.log.error({ err }, 'could not render the error page');
    return `<!doctype html><title>Error ${status}</title><p>Error ${status}.</p>`;
  }
}

function answer(req: FastifyRequest, reply: FastifyReply, status: number, detail: string, headers: Record<string, string> = {}) {
  if (req.url.startsWith('/api/')) {
    corsHeaders(reply);
    // SDKs log this header when they drop an event (develop.sentry.dev, "Transport").
    reply.header('x-sentry-error', detail.replace(/[^\x20-\x7e]/g, '?').slice(0, 200));
  }
  // A body we stopped reading (413, bad auth) must not be parsed as the next request.
  if (!req.raw.complete) reply.header('connection', 'close');
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  if (isMachineRoute(req)) return reply.code(status).send({ detail });
  fallbackSecurityHeaders(reply);
  return reply.code(status).type('text/html; charset=utf-8').send(htmlPage(req, status, detail));
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (err instanceof HttpError) return answer(req, reply, err.statusCode, err.message, err.headers);
    const status = (err as FastifyError).statusCode;
    // Fastify's own client errors (bad URL encoding, oversize headers, …).
    if (typeof status === 'number' && status >= 400 && status < 500) return answer(req, reply, status, err.message);
    req.log.error({ err }, 'unhandled error');
    return answer(req, reply, 500, INTERNAL);
  });
  app.setNotFoundHandler((req, reply) => answer(req, reply, 404, `no route for ${req.method} ${req.url.split('?')[0]}`));
}
