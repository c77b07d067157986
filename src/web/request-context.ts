/**
 * What the web scope adds to each request: the signed-in viewer (from the
 * session cookie), the route's declared access level, and helpers to read
 * forms and params safely.
 */
import type { FastifyRequest } from 'fastify';
import type { Viewer } from '../auth/access.js';
import { NotFoundError } from '../errors.js';
import type { ActiveSession } from '../sessions/sessions.js';

/**
 * Every web route declares one. Team- and project-level roles are checked in
 * the handler (they depend on the params); this is the gate before it.
 */
export type Access = 'public' | 'user' | 'superuser';

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer | null;
    userSession: ActiveSession | null;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** The signed-in viewer; only called on routes whose access is not `public`. */
export function viewerOf(req: FastifyRequest): Viewer {
  if (!req.viewer) throw new Error('viewerOf on a route without a signed-in user');
  return req.viewer;
}

/** A form field as one string ('' when missing; the first value when repeated). */
export function field(req: FastifyRequest, name: string): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return '';
}

export function param(req: FastifyRequest, name: string): string {
  return String((req.params as Record<string, unknown>)[name] ?? '');
}

/** A numeric id in the path; anything else names nothing that exists. */
export function idParam(req: FastifyRequest, name: string): number {
  const raw = param(req, name);
  if (!/^\d{1,15}$/.test(raw)) throw new NotFoundError();
  return Number(raw);
}

export function queryValue(req: FastifyRequest, name: string): string {
  const v = (req.query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}

/** Only paths on this site: `//evil.example` and `/\evil.example` are other sites to a browser. */
export function safeNext(value: string): string {
  return /^\/(?![/\\])/.test(value) && !/[\r\n]/.test(value) ? value : '/projects';
}
