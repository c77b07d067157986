/** The SDK-facing endpoints. Ingest only: auth, limits, decode, enqueue, answer. */
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import { acceptEnvelope, type IngestContext } from './accept-envelope.js';
import { acceptStore } from './accept-store.js';
import { corsHeaders, preflight } from './cors.js';

function projectIdOf(params: unknown): number {
  const raw = (params as { projectId?: string }).projectId ?? '';
  if (!/^\d{1,15}$/.test(raw)) throw new BadRequestError(`project id must be a number, not ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw);
}

export async function ingestRoutes(app: FastifyInstance, ctx: IngestContext): Promise<void> {
  // SDKs send envelopes with no content type (Node), text/plain (browsers, to dodge
  // a preflight) or application/x-sentry-envelope: take any, and read the raw
  // stream ourselves so limits apply while it is still compressed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  app.options('/api/:projectId/envelope/', (_req, reply) => preflight(reply));
  app.options('/api/:projectId/store/', (_req, reply) => preflight(reply));

  app.post('/api/:projectId/envelope/', async (req, reply) => {
    corsHeaders(reply);
    return acceptEnvelope(ctx, req, projectIdOf(req.params));
  });
  app.post('/api/:projectId/store/', async (req, reply) => {
    corsHeaders(reply);
    return acceptStore(ctx, req, projectIdOf(req.params));
  });
}
