/**
 * POST /api/:projectId/envelope/ — authenticate, bound and decode the body, read
 * the envelope just enough to find its event item, enqueue it, answer after commit.
 * Everything else about the event is the foreman's business.
 * https://develop.sentry.dev/sdk/data-model/envelopes/
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { normalizeEventId } from '../digest/normalize.js';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';
import type { Enqueuer } from '../queue/enqueue.js';
import { requestAuth } from './auth.js';
import { checkEnvelopeDsn, checkKey } from './authenticate.js';
import { decodeBody } from './decode-body.js';
import { EnvelopeReader } from './envelope-reader.js';
import { checkEventJson } from './event-json.js';
import type { KeyCache } from './key-cache.js';

export interface IngestContext {
  readonly config: Config;
  readonly keys: KeyCache;
  readonly enqueuer: Enqueuer;
}

export interface IngestAnswer {
  id?: string;
}

// Only errors become issues; every other item type is acknowledged and dropped
// (transactions, sessions, attachments, replays, logs, … are not Sluice's job).
const keepEvents = (type: string): boolean => type === 'event';

export function authenticateRequest(ctx: IngestContext, req: FastifyRequest, projectId: number): string | null {
  // Node keeps only the first of repeated Authorization headers (a repeated X-Sentry-Auth it
  // joins with ", ", which requestAuth reads): all of them, to refuse a conflict. Looked up
  // only when there is one, as headersDistinct costs microseconds per request.
  const authorization = req.headers.authorization === undefined ? undefined : (req.raw.headersDistinct?.authorization ?? req.headers.authorization);
  const auth = requestAuth({
    xSentryAuth: req.headers['x-sentry-auth'],
    authorization,
    query: req.query as Record<string, unknown>,
  });
  if (auth) checkKey(ctx.keys, auth.publicKey, projectId);
  return auth?.publicKey ?? null;
}

/** Refuses a declared oversize body before reading a byte of it. */
export function checkDeclaredLength(req: FastifyRequest, max: number): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    throw new PayloadTooLargeError(`request body of ${declared} bytes is over the limit of ${max} bytes`);
  }
}

export async function acceptEnvelope(ctx: IngestContext, req: FastifyRequest, projectId: number): Promise<IngestAnswer> {
  const receivedAt = Date.now();
  const { limits } = ctx.config;
  const requestKey = authenticateRequest(ctx, req, projectId);
  checkDeclaredLength(req, limits.maxRequestBytes);

  // Checked as soon as the header line is read, so that a request with no auth at all is
  // refused before the rest of its body is inflated (up to MAX_ENVELOPE_BYTES of work).
  let dsnChecked = false;
  const checkDsn = (headers: Record<string, unknown>) => {
    dsnChecked = true;
    checkEnvelopeDsn(ctx.keys, headers.dsn, requestKey, projectId);
  };
  const reader = new EnvelopeReader({ keep: keepEvents, maxItemBytes: limits.maxEventBytes, onHeaders: checkDsn });
  await decodeBody(
    req.raw,
    req.headers['content-encoding'],
    { maxCompressedBytes: limits.maxRequestBytes, maxDecompressedBytes: limits.maxEnvelopeBytes },
    (chunk) => reader.push(chunk),
  );
  const envelope = reader.end();
  if (!dsnChecked) checkDsn(envelope.headers); // an empty body has no header line

  // "Envelopes may contain at most one event item" (develop.sentry.dev, Envelope Items).
  if (envelope.items.length > 1) throw new BadRequestError('envelope has more than one event item');
  const item = envelope.items[0];
  const rawId = envelope.headers.event_id;
  const headerId = rawId === undefined || rawId === null ? null : normalizeEventId(rawId);
  // Only the kept event needs a valid id; envelopes of dropped items (e.g. a cocoa
  // transaction with a made-up id) are acknowledged like any other.
  if (!item) return headerId ? { id: headerId } : {};
  if (rawId !== undefined && rawId !== null && headerId === null) {
    throw new BadRequestError('envelope header "event_id" must be 32 hex characters or a UUID');
  }

  // The foreman must be able to digest what is acknowledged: a payload it cannot parse (or
  // would overflow its stack on) is the SDK's 400 now, not a dead letter later.
  const payloadId = checkEventJson(item.payload, 'event item', headerId === null);
  const eventId = headerId ?? normalizeEventId(payloadId) ?? randomUUID().replaceAll('-', '');
  await ctx.enqueuer.enqueue({
    projectId,
    eventId,
    receivedAt,
    source: 'envelope',
    headers: envelope.headerText,
    payload: item.payload,
  });
  return { id: eventId };
}
