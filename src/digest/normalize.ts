/**
 * Turns a raw event payload, as any SDK of any age sends it, into one canonical
 * shape for storage and grouping. Sentry's own promise is the model: "for
 * backwards compatibility the server also understands events that are not in
 * the canonical format" (https://develop.sentry.dev/sdk/data-model/event-payloads/),
 * so odd input is coerced or dropped field by field, never rejected as a whole.
 *
 * Canonical forms in `data` (what the rest of Sluice may rely on):
 * - `event_id` 32 lowercase hex; `timestamp` float epoch seconds; `level` one of `Level`;
 *   `platform` a non-empty string; `release` / `environment` strings or absent.
 * - `tags` a list of `[key, value]` string pairs (Relay's stored form; keeps order), absent when none.
 * - `fingerprint` a list of strings, absent when none.
 * - `exception`, `breadcrumbs`, `threads` always `{values: [objects]}`, absent when empty;
 *   every `stacktrace.frames` a list of objects.
 * - `logentry` `{formatted, message?, params?}`; a legacy string `message` is moved into it.
 * - `request.headers` a list of `[name, value]` string pairs; `user.id` a string.
 * - `_meta.timestamp` records a timestamp that was replaced (Relay's `_meta` convention:
 *   `{"": {err: [...], val: original}}`).
 * Everything else is kept as sent. Only the top level is copied; nested objects
 * are copied only where they change, so the caller's input is never mutated.
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject, Level, NormalizedEvent } from './event-types.js';
import { asText, isRecord, truncate, valuesOf } from './event-types.js';

export type { Level, NormalizedEvent } from './event-types.js';

/** The payload cannot be an event at all (e.g. not a JSON object). */
export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** Relay's limit for tag keys and values alike; longer ones are cut, not dropped. */
const MAX_TAG = 200;
/** Relay trims `logentry.formatted` to 8192 characters. */
const MAX_MESSAGE = 8192;
/** Clock skew tolerated before a timestamp counts as "in the future". */
const FUTURE_SLACK = 60;

function setOrDelete(data: JsonObject, key: string, value: unknown): void {
  if (value === undefined || value === null) delete data[key];
  else data[key] = value;
}

/** Copy-on-write: nested objects are copied only when a field of theirs changes. */
function withField(obj: JsonObject, key: string, value: unknown): JsonObject {
  const out = { ...obj };
  setOrDelete(out, key, value);
  return out;
}

const HEX32 = /^[0-9a-f]{32}$/;
const DASHED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The docs ask for "exactly 32 characters. Dashes are not allowed. Has to be lowercase.",
 * but sentry-cli sends dashed UUIDs and Relay parses any UUID spelling, so be lenient.
 */
export function normalizeEventId(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  if (HEX32.test(v)) return v;
  if (DASHED_UUID.test(v)) return v.replace(/-/g, '');
  return null;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * The docs allow an RFC 3339 string or a number (integer or float) of seconds
 * since the Unix epoch; old SDKs sent the number as a string. A string without a
 * zone is UTC ("The Sentry server assumes the time is in UTC", older docs);
 * `Date.parse` would read it as local time.
 */
export function parseTimestamp(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s);
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? 0)) as [
    number, number, number, number, number, number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return undefined;
  let t = Date.UTC(y, mo - 1, d, h, mi, sec) / 1000 + (m[7] ? Number(m[7]) : 0);
  const zone = m[8];
  if (zone && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const offset = Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2) || 0) * 60;
    t -= zone[0] === '-' ? -offset : offset;
  }
  return t;
}

const LEVEL_NAMES = new Map<string, Level>([
  ['fatal', 'fatal'], ['critical', 'fatal'],
  ['error', 'error'], ['err', 'error'],
  ['warning', 'warning'], ['warn', 'warning'],
  ['info', 'info'], ['log', 'info'],
  ['debug', 'debug'],
]);
/** Python's `logging` levels, which old Python SDKs sent as they were. */
const PYTHON_LEVELS = new Map<number, Level>([
  [10, 'debug'], [20, 'info'], [30, 'warning'], [40, 'error'], [50, 'fatal'],
]);

/** Unknown levels become `error`, Sentry's default level for events. */
export function normalizeLevel(v: unknown): Level {
  if (typeof v === 'number') return PYTHON_LEVELS.get(v) ?? 'error';
  if (typeof v !== 'string') return 'error';
  const s = v.trim().toLowerCase();
  return LEVEL_NAMES.get(s) ?? (/^\d+$/.test(s) ? PYTHON_LEVELS.get(Number(s)) : undefined) ?? 'error';
}

/** A tag key or value as text: primitives stringified, structures as JSON, blanks dropped. */
function tagText(v: unknown): string | undefined {
  const t = isRecord(v) || Array.isArray(v) ? JSON.stringify(v) : asText(v)?.trim();
  return t ? t.slice(0, MAX_TAG) : undefined;
}

/** `tags`: "a dictionary … or a list of [key, value] tuples"; later duplicates replace earlier ones. */
export function normalizeTags(v: unknown): Array<[string, string]> {
  const out = new Map<string, string>();
  const add = (key: unknown, value: unknown): void => {
    const k = tagText(key);
    const val = value === null || value === undefined ? undefined : tagText(value);
    if (k !== undefined && val !== undefined) out.set(k, val);
  };
  if (Array.isArray(v)) {
    for (const e of v) {
      if (Array.isArray(e)) add(e[0], e[1]);
      else if (typeof e === 'string' && e.indexOf(':') > 0) add(e.slice(0, e.indexOf(':')), e.slice(e.indexOf(':') + 1));
    }
  } else if (isRecord(v)) {
    for (const k of Object.keys(v)) add(k, v[k]);
  }
  return [...out];
}

/** "A list of strings used to dictate the deduplication of this event"; SDKs also send numbers. */
export function normalizeFingerprint(v: unknown): string[] | null {
  const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  const out: string[] = [];
  for (const e of list) {
    if (typeof e === 'string') out.push(e);
    else if ((typeof e === 'number' && Number.isFinite(e)) || typeof e === 'boolean') out.push(String(e));
  }
  return out.length > 0 ? out : null;
}

/** Fills `%s`-style (Python logging) or `{0}`-style params into a template, leaving unknown ones. */
function formatParams(template: string, params: unknown): string {
  if (Array.isArray(params)) {
    let i = 0;
    return template
      .replace(/%%|%[-#0 +]*\d*(?:\.\d+)?[sdifrexXgGc]/g, (m) => (m === '%%' ? '%' : i < params.length ? paramText(params[i++]) : m))
      .replace(/\{(\d+)\}/g, (m, n: string) => (Number(n) < params.length ? paramText(params[Number(n)]) : m));
  }
  if (isRecord(params)) {
    return template.replace(/%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifrexXgGc]/g, (m, k: string) =>
      Object.hasOwn(params, k) ? paramText(params[k]) : m,
    );
  }
  return template;
}

function paramText(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v) ?? String(v);
}

/** `logentry` ("message" interface): an object, or a bare string in older SDKs. */
function toLogentry(v: unknown): JsonObject | undefined {
  if (typeof v === 'string') return v.trim() ? { formatted: truncate(v, MAX_MESSAGE) } : undefined;
  if (!isRecord(v)) return undefined;
  const message = asText(v.message);
  const formatted = asText(v.formatted) ?? (message !== undefined ? formatParams(message, v.params) : undefined);
  if (formatted === undefined) return undefined;
  return withField({ ...v, formatted: truncate(formatted, MAX_MESSAGE) }, 'message', message);
}

function normalizeStacktrace(v: unknown): JsonObject | undefined {
  // A bare list of frames is not in the protocol, but costs nothing to accept.
  const st = Array.isArray(v) ? { frames: v } : v;
  if (!isRecord(st)) return undefined;
  const frames = Array.isArray(st.frames) ? st.frames : [];
  if (Array.isArray(st.frames) && frames.every(isRecord)) return st;
  return { ...st, frames: frames.filter(isRecord) };
}

/** For list interfaces whose entries carry a `stacktrace` (exceptions, threads). */
function withStacktrace(e: JsonObject): JsonObject {
  return withField(e, 'stacktrace', normalizeStacktrace(e.stacktrace));
}

function normalizeExceptionValue(e: JsonObject): JsonObject {
  const out = withStacktrace(e);
  setOrDelete(out, 'type', asText(e.type));
  // "value: The value of the exception" is a string; Python and PHP have sent numbers and dicts.
  if (typeof e.value !== 'string') {
    setOrDelete(out, 'value', isRecord(e.value) || Array.isArray(e.value) ? JSON.stringify(e.value) : asText(e.value));
  }
  if (!isRecord(e.mechanism)) delete out.mechanism;
  return out;
}

/** `exception`: `{values: [...]}`, a bare list, or (legacy) a single exception object. */
function normalizeException(v: unknown): JsonObject | undefined {
  let list = valuesOf(v);
  if (!list && isRecord(v) && ('type' in v || 'value' in v || 'stacktrace' in v)) list = [v];
  const values = (list ?? []).filter(isRecord).map(normalizeExceptionValue);
  if (values.length === 0) return undefined;
  return isRecord(v) && Array.isArray(v.values) ? { ...v, values } : { values };
}

function normalizeThreads(v: unknown): JsonObject | undefined {
  const values = (valuesOf(v) ?? []).filter(isRecord).map(withStacktrace);
  return values.length > 0 ? { values } : undefined;
}

/** Breadcrumb timestamps come in the same two forms as the event's; keep them numeric. */
function normalizeBreadcrumbs(v: unknown): JsonObject | undefined {
  const values: JsonObject[] = [];
  for (const b of valuesOf(v) ?? []) {
    if (!isRecord(b)) continue;
    const keep = b.timestamp === undefined || typeof b.timestamp === 'number';
    values.push(keep ? b : withField(b, 'timestamp', parseTimestamp(b.timestamp)));
  }
  return values.length > 0 ? { values } : undefined;
}

/**
 * `request.headers` may be "declared as string, object, or list of tuples"
 * (https://develop.sentry.dev/sdk/data-model/event-payloads/request/);
 * tuples are the form that keeps repeated headers and their order, so that is what is stored.
 */
export function normalizeHeaders(v: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const add = (name: unknown, value: unknown): void => {
    const n = asText(name)?.trim();
    if (!n) return;
    for (const one of Array.isArray(value) ? value : [value]) {
      const val = typeof one === 'string' ? one : asText(one);
      if (val !== undefined) out.push([n, val]);
    }
  };
  if (Array.isArray(v)) {
    for (const pair of v) if (Array.isArray(pair)) add(pair[0], pair[1]);
  } else if (isRecord(v)) {
    for (const k of Object.keys(v)) add(k, v[k]);
  } else if (typeof v === 'string') {
    for (const line of v.split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i > 0) add(line.slice(0, i), line.slice(i + 1).trim());
    }
  }
  return out;
}

function normalizeRequest(v: unknown): JsonObject | undefined {
  if (!isRecord(v)) return undefined;
  if (v.headers === undefined) return v;
  const headers = normalizeHeaders(v.headers);
  return withField(v, 'headers', headers.length > 0 ? headers : undefined);
}

/** `user.id` is a string in the protocol; numeric ids are common. */
function normalizeUser(v: unknown): JsonObject | undefined {
  if (!isRecord(v)) return undefined;
  return v.id === undefined || typeof v.id === 'string' ? v : withField(v, 'id', asText(v.id));
}

/** Old raven SDKs name interfaces by their Python class path; Relay still maps them. */
const LEGACY_KEYS = Object.entries({
  Exception: 'exception', Message: 'logentry', Http: 'request', User: 'user',
  Stacktrace: 'stacktrace', Breadcrumbs: 'breadcrumbs', Threads: 'threads',
}).map(([name, key]) => [`sentry.interfaces.${name}`, key] as const);

function cleanText(v: unknown): string | null {
  return asText(v)?.trim() || null;
}

/**
 * Normalizes one event payload. `opts.eventId` (the envelope header's, which
 * "beats the payload's own") wins over `event_id`; with neither, a random id is
 * made, so such an event is only idempotent if the caller supplies the id.
 * A timestamp missing, unparseable or more than a minute ahead of `receivedAt`
 * becomes `receivedAt`, the original kept in `_meta.timestamp`.
 */
export function normalizeEvent(raw: unknown, opts: { eventId?: string | null; receivedAt: number }): NormalizedEvent {
  if (!isRecord(raw)) {
    const what = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw;
    throw new InvalidEventError(`event payload must be a JSON object, got ${what}`);
  }
  const data: JsonObject = { ...raw };
  for (const [legacy, key] of LEGACY_KEYS) {
    if (legacy in data) {
      if (data[key] === undefined || data[key] === null) data[key] = data[legacy];
      delete data[legacy];
    }
  }

  const eventId = normalizeEventId(opts.eventId) ?? normalizeEventId(raw.event_id) ?? randomUUID().replace(/-/g, '');

  let timestamp = parseTimestamp(raw.timestamp);
  const badTimestamp =
    timestamp === undefined ? (raw.timestamp === undefined ? null : 'invalid_data')
    : timestamp > opts.receivedAt + FUTURE_SLACK ? 'future_timestamp' : null;
  if (badTimestamp) {
    const meta = isRecord(raw._meta) ? { ...raw._meta } : {};
    meta.timestamp = { '': { err: [badTimestamp], val: raw.timestamp } };
    data._meta = meta;
  }
  if (timestamp === undefined || badTimestamp) timestamp = opts.receivedAt;

  const level = normalizeLevel(raw.level);
  const platform = cleanText(raw.platform) ?? 'other';
  const release = cleanText(raw.release);
  const environment = cleanText(raw.environment);
  const tags = normalizeTags(raw.tags);
  const fingerprint = normalizeFingerprint(raw.fingerprint);
  Object.assign(data, { event_id: eventId, timestamp, level, platform });
  setOrDelete(data, 'release', release);
  setOrDelete(data, 'environment', environment);
  setOrDelete(data, 'tags', tags.length > 0 ? tags : undefined);
  setOrDelete(data, 'fingerprint', fingerprint);

  // `message` as a plain string is the legacy spelling of `logentry.formatted`.
  const fromLogentry = toLogentry(data.logentry);
  const logentry = fromLogentry ?? toLogentry(data.message);
  setOrDelete(data, 'logentry', logentry);
  if (!fromLogentry && logentry) delete data.message;

  setOrDelete(data, 'exception', normalizeException(data.exception));
  setOrDelete(data, 'threads', normalizeThreads(data.threads));
  setOrDelete(data, 'breadcrumbs', normalizeBreadcrumbs(data.breadcrumbs));
  if (data.stacktrace !== undefined) setOrDelete(data, 'stacktrace', normalizeStacktrace(data.stacktrace));
  if (data.request !== undefined) setOrDelete(data, 'request', normalizeRequest(data.request));
  if (data.user !== undefined) setOrDelete(data, 'user', normalizeUser(data.user));
  if (data.contexts !== undefined && !isRecord(data.contexts)) delete data.contexts;
  if (data.transaction !== undefined && typeof data.transaction !== 'string') delete data.transaction;

  return { eventId, timestamp, level, platform, release, environment, tags, fingerprint, data };
}
