/**
 * POST /api/:projectId/store/ — the legacy endpoint of older SDKs: one event per
 * request, as JSON, base64(JSON) or base64(zlib(JSON)).
 * https://develop.sentry.dev/sdk/miscellaneous/store/
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { normalizeEventId } from '../digest/normalize.js';
import { UnauthorizedError } from '../errors.js';
import { authenticateRequest, checkDeclaredLength, type IngestAnswer, type IngestContext } from './accept-envelope.js';
import { readDecodedBody } from './decode-body.js';
import { checkEventJson } from './event-json.js';
import { decodeStoreBody } from './store-body.js';

export async function acceptStore(ctx: IngestContext, req: FastifyRequest, projectId: number): Promise<IngestAnswer> {
  const receivedAt = Date.now();
  const { limits } = ctx.config;
  if (authenticateRequest(ctx, req, projectId) === null) {
    throw new UnauthorizedError('missing authentication: send X-Sentry-Auth or ?sentry_key=');
  }
  checkDeclaredLength(req, limits.maxRequestBytes);
  // base64 makes a body up to 4/3 larger than the JSON it carries.
  const raw = await readDecodedBody(req.raw, req.headers['content-encoding'], {
    maxCompressedBytes: limits.maxRequestBytes,
    maxDecompressedBytes: Math.ceil((limits.maxEventBytes * 4) / 3) + 4,
  });
  const json = decodeStoreBody(raw, limits.maxEventBytes);
  // Checked, not parsed: the foreman parses it once, and must be able to.
  const eventId = normalizeEventId(checkEventJson(json, 'store body', true)) ?? randomUUID().replaceAll('-', '');
  await ctx.enqueuer.enqueue({ projectId, eventId, receivedAt, source: 'store', headers: '{}', payload: json });
  return { id: eventId };
}
