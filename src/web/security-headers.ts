/**
 * Security headers of the web UI (via @fastify/helmet). The CSP allows scripts
 * and styles from our own origin only: no inline script, no inline style, no
 * eval, so markup injected through event data cannot run or restyle anything.
 */
import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyReply } from 'fastify';
import type { Config } from '../config.js';

const DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export function helmetOptions(config: Config): FastifyHelmetOptions {
  const https = config.baseUrl.startsWith('https:');
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      // Over plain http, upgrade-insecure-requests would send the browser to an https port nobody listens on.
      directives: https ? { ...DIRECTIVES, upgradeInsecureRequests: [] } : DIRECTIVES,
    },
    // HSTS only where https is the public URL: on http it would be ignored at best.
    strictTransportSecurity: https ? { maxAge: 180 * 86_400, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'same-origin' },
  };
}

/** For HTML error pages answered outside the web scope (unknown URLs): the same stance, no helmet needed. */
export function fallbackSecurityHeaders(reply: FastifyReply): void {
  if (reply.raw.hasHeader('content-security-policy')) return;
  reply.header('content-security-policy', "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'same-origin');
}
