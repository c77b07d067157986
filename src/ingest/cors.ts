/**
 * CORS as Sentry's Relay answers it, so browser SDKs on any origin can post.
 * https://github.com/getsentry/relay/blob/master/relay-server/src/middlewares/cors.rs
 */
import type { FastifyReply } from 'fastify';

const ALLOW_HEADERS = [
  'x-sentry-auth',
  'x-requested-with',
  'x-forwarded-for',
  'origin',
  'referer',
  'accept',
  'content-type',
  'authentication',
  'authorization',
  'content-encoding',
  'transfer-encoding',
].join(', ');

// The browser SDK reads the last two to back off when rate limited.
const EXPOSE_HEADERS = 'x-sentry-error, x-sentry-rate-limits, retry-after';

export function corsHeaders(reply: FastifyReply): void {
  reply.header('access-control-allow-origin', '*');
  reply.header('access-control-expose-headers', EXPOSE_HEADERS);
}

export function preflight(reply: FastifyReply): void {
  corsHeaders(reply);
  reply.header('access-control-allow-methods', 'POST, OPTIONS');
  reply.header('access-control-allow-headers', ALLOW_HEADERS);
  reply.header('access-control-max-age', '3600');
  reply.code(200).send();
}
