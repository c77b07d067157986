/** The SDK-facing endpoints. Ingest only: auth, limits, decode, enqueue, answer. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { BadRequestError } from '../errors.js';
import { acceptEnvelope, type IngestAnswer, type IngestContext } from './accept-envelope.js';
import { acceptStore } from './accept-store.js';
import { corsHeaders, preflight } from './cors.js';

function projectIdOf(params: unknown): number {
  const raw = (params as { projectId?: string }).projectId ?? '';
  if (!/^\d{1,15}$/.test(raw)) throw new BadRequestError(`project id must be a number, not ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw);
}

/** The answer as JSON text: an id is 32 hex characters (normalized), nothing to escape. */
function answerJson(answer: IngestAnswer): string {
  return answer.id === undefined ? '{}' : `{"id":"${answer.id}"}`;
}

/** Sends the answer when it comes; a rejection goes to the error handler, as a throw would. */
function answerWhenDone(reply: FastifyReply, answer: Promise<IngestAnswer>): void {
  answer.then(
    (a) => void reply.type('application/json; charset=utf-8').send(answerJson(a)),
    (err: unknown) => void reply.send(err),
  );
}

export async function ingestRoutes(app: FastifyInstance, ctx: IngestContext): Promise<void> {
  // SDKs send envelopes with no content type (Node), text/plain (browsers, to dodge
  // a preflight) or application/x-sentry-envelope: take any, and read the raw
  // stream ourselves so limits apply while it is still compressed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  // Fastify makes a pino child logger per request to bind its id; SDK requests log nothing but
  // a rare 5xx, which the worker's logger itself records well enough (the child was ~1% of the CPU).
  app.setChildLoggerFactory((logger) => logger);

  app.options('/api/:projectId/envelope/', (_req, reply) => preflight(reply));
  app.options('/api/:projectId/store/', (_req, reply) => preflight(reply));

  // Not async handlers: the answer is sent from the enqueue's settlement, one promise fewer
  // per request; a throw before that (a bad project id) reaches the error handler all the same.
  app.post('/api/:projectId/envelope/', (req, reply) => {
    corsHeaders(reply);
    answerWhenDone(reply, acceptEnvelope(ctx, req, projectIdOf(req.params)));
  });
  app.post('/api/:projectId/store/', (req, reply) => {
    corsHeaders(reply);
    answerWhenDone(reply, acceptStore(ctx, req, projectIdOf(req.params)));
  });
}
