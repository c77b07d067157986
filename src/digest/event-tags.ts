/**
 * The tags an issue counts for each event: the event's own tags plus the ones
 * Sentry derives from well-known fields (level, release, environment, user,
 * url, browser, os, runtime…), so "which release / which browser" works the same.
 * https://docs.sentry.io/concepts/key-terms/searchable-properties/
 */
import type { NormalizedEvent } from './normalize.js';

/** Sentry's tag value limit: longer values are cut, not dropped. */
const MAX_TAG = 200;

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function nameVersion(ctx: Record<string, unknown> | undefined): string | undefined {
  const name = text(ctx?.name);
  if (!name) return undefined;
  const version = text(ctx?.version);
  return version ? `${name} ${version}` : name;
}

/** The user as Sentry's `user` tag shows it: the first of id, username, email, ip. */
function userTag(user: Record<string, unknown> | undefined): string | undefined {
  if (!user) return undefined;
  for (const [field, prefix] of [
    ['id', 'id'],
    ['username', 'username'],
    ['email', 'email'],
    ['ip_address', 'ip'],
  ] as const) {
    const v = text(user[field]);
    if (v) return `${prefix}:${v}`;
  }
  return undefined;
}

export function eventTags(ev: NormalizedEvent): Array<[string, string]> {
  const data = ev.data;
  const contexts = obj(data.contexts);
  const request = obj(data.request);
  const derived: Array<[string, string | undefined]> = [
    ['level', ev.level],
    ['release', ev.release ?? undefined],
    ['environment', ev.environment ?? undefined],
    ['server_name', text(data.server_name)],
    ['transaction', text(data.transaction)],
    ['user', userTag(obj(data.user))],
    ['url', text(request?.url)?.split(/[?#]/)[0]],
    ['browser', nameVersion(obj(contexts?.browser))],
    ['os', nameVersion(obj(contexts?.os))],
    ['runtime', nameVersion(obj(contexts?.runtime))],
    ['device', text(obj(contexts?.device)?.model)],
  ];
  const tags = new Map<string, string>();
  for (const [k, v] of derived) if (v) tags.set(k, v.slice(0, MAX_TAG));
  // The event's own tags win over derived ones of the same key, as in Sentry.
  for (const [k, v] of ev.tags) tags.set(k.slice(0, MAX_TAG), v.slice(0, MAX_TAG));
  return [...tags];
}
