/**
 * The one error handler: domain errors keep their status and message; anything
 * else is a bug, logged in full and answered with a bare 500 that leaks nothing.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { corsHeaders } from '../ingest/cors.js';

function answer(req: FastifyRequest, reply: FastifyReply, status: number, detail: string, headers: Record<string, string> = {}) {
  if (req.url.startsWith('/api/')) {
    corsHeaders(reply);
    // SDKs log this header when they drop an event (develop.sentry.dev, "Transport").
    reply.header('x-sentry-error', detail.replace(/[^\x20-\x7e]/g, '?').slice(0, 200));
  }
  // A body we stopped reading (413, bad auth) must not be parsed as the next request.
  if (!req.raw.complete) reply.header('connection', 'close');
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(status).send({ detail });
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (err instanceof HttpError) return answer(req, reply, err.statusCode, err.message, err.headers);
    const status = (err as FastifyError).statusCode;
    // Fastify's own client errors (bad URL encoding, oversize headers, …).
    if (typeof status === 'number' && status >= 400 && status < 500) return answer(req, reply, status, err.message);
    req.log.error({ err }, 'unhandled error');
    return answer(req, reply, 500, 'internal error');
  });
  app.setNotFoundHandler((req, reply) => answer(req, reply, 404, `no route for ${req.method} ${req.url.split('?')[0]}`));
}
