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

// Any origin will do: a value is kept only if it resolves to the same one, whichever it is.
const ORIGIN = 'http://sluice.invalid';

/**
 * Only paths on this site, for `Location` after a form. Browsers are more lenient than the
 * text looks: they drop tabs and newlines inside a URL (`/\t/evil.example` is `//evil.example`)
 * and read `\` as `/`, so a value with a control character or a backslash is refused outright
 * rather than cleaned. What is left must be one leading `/` and resolve to this origin; it comes
 * back as the URL parser serialized it (percent-encoded ASCII: a raw non-ASCII character in a
 * header would be a 500), unless dot segments made that serialization start with `//`.
 */
export function safeNext(value: string): string {
  const fallback = '/projects';
  if (!value.startsWith('/') || value.startsWith('//') || /[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, ORIGIN);
  } catch {
    return fallback;
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  return url.origin === ORIGIN && !path.startsWith('//') ? path : fallback;
}
