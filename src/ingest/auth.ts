/**
 * SDK authentication: which project key a request speaks for (docs/sentry-protocol.md,
 * "Authentication"). Modelled on Relay's `auth_from_parts`
 * (https://github.com/getsentry/relay/blob/master/relay-server/src/extractors/request_meta.rs)
 * and `Auth::from_str` / `Auth::from_pairs` (relay-common, formerly sentry-types `auth.rs`):
 *   - a header counts only when it starts with "sentry " in any case; items are split on ","
 *     and "=", then trimmed; unknown items (sentry_secret, sentry_timestamp) are ignored;
 *   - `sentry_version` keeps its part before the first "." ("2.0" → 2); above 7 → 400;
 *   - keys are 32 characters (relay-base-schema ProjectKey); we require hex, as DSNs have.
 * Where Sluice is more lenient, it is so only when the meaning is still unambiguous.
 */
import { BadRequestError, UnauthorizedError } from '../errors.js';

export interface SentryAuth {
  publicKey: string;
  sentryVersion: string | null;
  client: string | null;
}

/** Highest protocol version there is (Relay: PROTOCOL_VERSION); newer ones we cannot read. */
const MAX_PROTOCOL_VERSION = 7;

const PUBLIC_KEY = /^[0-9a-f]{32}$/i;

export function isValidPublicKey(key: string): boolean {
  return PUBLIC_KEY.test(key);
}

function checkKey(key: string, where: string, field = 'sentry_key'): string {
  if (key === '') throw new UnauthorizedError(`${where} has no ${field}`);
  if (!isValidPublicKey(key)) {
    throw new UnauthorizedError(
      `${where}: ${field} must be 32 hexadecimal characters, got ${JSON.stringify(key.slice(0, 64))}`,
    );
  }
  return key.toLowerCase();
}

function checkVersion(version: string | null, where: string): string | null {
  if (version === null || version === '') return null;
  const m = /^(\d+)(?:\.\d*)?$/.exec(version);
  // Relay answers an unparsable version with "bad x-sentry-auth header", a 401.
  if (!m) {
    throw new UnauthorizedError(`${where}: invalid sentry_version ${JSON.stringify(version.slice(0, 32))}`);
  }
  if (Number(m[1]) > MAX_PROTOCOL_VERSION) {
    throw new BadRequestError(
      `unsupported protocol version ${version}: this server speaks up to sentry_version=${MAX_PROTOCOL_VERSION}`,
    );
  }
  return version;
}

/** Values in double quotes are unquoted (RFC 9110 auth-param syntax allows them; no SDK is known
 * to send them, but a quoted 32-hex key means the same thing). */
function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/**
 * SDKs send the same auth header and DSN on every request, and parsing them (a URL, a few
 * regexps) is a visible share of an ingest request's CPU: successful parses are remembered,
 * for a bounded number of distinct inputs (the whole memo is dropped when it is full, so a flood
 * of made-up keys costs memory for at most MEMO_SIZE of them). Failures are never remembered.
 */
const MEMO_SIZE = 1024;

function memo<T>(fn: (input: string) => T): (input: string) => T {
  let known = new Map<string, T>();
  return (input) => {
    const hit = known.get(input);
    if (hit !== undefined) return hit;
    const value = fn(input);
    if (known.size >= MEMO_SIZE) known = new Map();
    known.set(input, Object.freeze(value));
    return value;
  };
}

const parseSentryHeader = memo((value: string) => parseHeaderUncached(value, ''));

/** A parsed header (from the memo when it was seen before); errors name `where`. */
function parseHeader(value: string, where: string): SentryAuth {
  try {
    return parseSentryHeader(value);
  } catch {
    return parseHeaderUncached(value, where); // throws again, with the right place in the message
  }
}

function parseHeaderUncached(value: string, where: string): SentryAuth {
  // The "Sentry" scheme word is optional here (case-insensitive); requestAuth() decides per
  // header whether a value without it counts at all.
  const items = value.trim().replace(/^sentry\s+/i, '');
  const seen = new Map<string, string>();
  for (const item of items.split(',')) {
    const eq = item.indexOf('=');
    if (eq === -1) continue; // Relay skips items without "="
    // Node joins a repeated X-Sentry-Auth into one value ("Sentry sentry_key=A, Sentry
    // sentry_key=B"): the second header's scheme word is not part of its first item's name,
    // so that a second key is seen (and refused when it differs) instead of ignored.
    const name = item.slice(0, eq).trim().replace(/^sentry\s+/i, '').toLowerCase();
    const val = unquote(item.slice(eq + 1).trim());
    const before = seen.get(name);
    if (name === 'sentry_key' && before !== undefined && before.toLowerCase() !== val.toLowerCase()) {
      throw new UnauthorizedError(`${where} names two different sentry_key values`);
    }
    seen.set(name, val);
  }
  return {
    publicKey: checkKey(seen.get('sentry_key') ?? '', where),
    sentryVersion: checkVersion(seen.get('sentry_version') ?? null, where),
    client: seen.get('sentry_client') || null,
  };
}

/** `Sentry sentry_key=…, sentry_version=7, sentry_client=…`; the "Sentry " prefix is optional. */
export function parseAuthHeader(value: string): SentryAuth {
  return parseHeader(value, 'auth header');
}

/** Relay's test for "is this header Sentry auth": the first 7 characters are "sentry ". */
function isSentryScheme(value: string): boolean {
  return /^\s*sentry\s/i.test(value);
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function queryValue(query: Record<string, unknown>, name: string): string | null {
  const raw = query[name];
  const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
  if (values.length === 0) return null;
  const first = values[0]!.trim();
  if (values.some((v) => v.trim() !== first)) {
    throw new UnauthorizedError(`query string: conflicting ${name} values`);
  }
  return first;
}

/**
 * Request-level auth, in Relay's order: X-Sentry-Auth, `Authorization: Sentry …`, query string.
 * Relay refuses any two sources (even agreeing ones) with "multiple authorization payloads";
 * Sluice accepts sources that name the same key, because proxies and SDK wrappers do duplicate
 * them, and refuses only a real conflict. Returns null when there is no auth at all.
 */
export function requestAuth(input: {
  xSentryAuth?: string | string[];
  authorization?: string | string[];
  query: Record<string, unknown>;
}): SentryAuth | null {
  const found: Array<{ where: string; auth: SentryAuth }> = [];
  // Relay ignores an X-Sentry-Auth without the "Sentry " word; one that starts right away with
  // sentry_… items is unambiguous, so it counts too. Anything else is ignored, as in Relay.
  for (const v of asList(input.xSentryAuth)) {
    if (isSentryScheme(v) || /^\s*sentry_/i.test(v)) {
      found.push({ where: 'X-Sentry-Auth', auth: parseHeader(v, 'X-Sentry-Auth') });
    }
  }
  // Authorization is shared with other schemes (Bearer, Basic from a proxy in front): only ours.
  for (const v of asList(input.authorization)) {
    if (isSentryScheme(v)) found.push({ where: 'Authorization', auth: parseHeader(v, 'Authorization') });
  }
  // The JS SDKs put auth in the query so browsers need no CORS preflight. Without sentry_key
  // the query holds no auth (Relay would 401 on a lone sentry_version; nothing sends that).
  const queryKey = queryValue(input.query, 'sentry_key');
  if (queryKey !== null) {
    found.push({
      where: 'query string',
      auth: {
        publicKey: checkKey(queryKey, 'query string'),
        sentryVersion: checkVersion(queryValue(input.query, 'sentry_version'), 'query string'),
        client: queryValue(input.query, 'sentry_client') || null,
      },
    });
  }
  const first = found[0];
  if (first === undefined) return null;
  const other = found.find((f) => f.auth.publicKey !== first.auth.publicKey);
  if (other !== undefined) {
    throw new UnauthorizedError(`conflicting sentry_key values in ${first.where} and ${other.where}`);
  }
  return {
    publicKey: first.auth.publicKey,
    sentryVersion: found.find((f) => f.auth.sentryVersion !== null)?.auth.sentryVersion ?? null,
    client: found.find((f) => f.auth.client !== null)?.auth.client ?? null,
  };
}

/**
 * The envelope header `dsn` (tunnelled envelopes):
 * `{scheme}://{public_key}[:{secret}]@{host}[:{port}]{path}/{project_id}`. Like Relay's
 * `Dsn::from_str`: http or https only, the project id is the last path segment (surrounding
 * slashes ignored), everything before it is the path prefix.
 */
export const parseDsn: (dsn: string) => { publicKey: string; projectId: string } = memo(parseDsnUncached);

function parseDsnUncached(dsn: string): { publicKey: string; projectId: string } {
  let url: URL;
  try {
    url = new URL(dsn.trim());
  } catch {
    throw new UnauthorizedError('envelope dsn is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnauthorizedError(`envelope dsn scheme must be http or https, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.hostname === '') throw new UnauthorizedError('envelope dsn has no host');
  let user: string;
  try {
    user = decodeURIComponent(url.username);
  } catch {
    throw new UnauthorizedError('envelope dsn has a malformed public key');
  }
  const publicKey = checkKey(user, 'envelope dsn', 'public key');
  const projectId = url.pathname.replace(/^\/+|\/+$/g, '').split('/').pop() ?? '';
  if (!/^\d{1,20}$/.test(projectId) || BigInt(projectId) > 18446744073709551615n) {
    throw new UnauthorizedError(
      projectId === ''
        ? 'envelope dsn has no project id'
        : `envelope dsn project id must be a number below 2^64, got ${JSON.stringify(projectId.slice(0, 32))}`,
    );
  }
  return { publicKey, projectId: BigInt(projectId).toString() };
}
