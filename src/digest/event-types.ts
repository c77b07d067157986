/**
 * Types shared by event normalization and grouping, and the few narrowing
 * helpers both need. Payloads come from arbitrary SDKs (and arbitrary people),
 * so everything read from them starts out as `unknown`.
 * https://develop.sentry.dev/sdk/data-model/event-payloads/
 */

export type Level = 'fatal' | 'error' | 'warning' | 'info' | 'debug';

export type JsonObject = Record<string, unknown>;

export interface NormalizedEvent {
  /** 32 lowercase hex, no dashes. */
  eventId: string;
  /** Epoch seconds (float). */
  timestamp: number;
  level: Level;
  /** Defaults to 'other', as Sentry does for a missing platform. */
  platform: string;
  release: string | null;
  environment: string | null;
  /** User tags, de-duplicated by key (last wins), each key and value cut to 200 chars. */
  tags: Array<[string, string]>;
  /** Entries stringified; null when absent or empty. */
  fingerprint: string[] | null;
  /** The full normalized event to store; see `normalizeEvent` for its canonical forms. */
  data: JsonObject;
}

export function isRecord(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A non-empty string, or a finite number / boolean as text; anything else is absent. */
export function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

/** `{values: [...]}` or a bare list, the two shapes the protocol allows for list interfaces. */
export function valuesOf(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (isRecord(v) && Array.isArray(v.values)) return v.values;
  return undefined;
}

export function firstLine(text: string): string {
  const nl = text.search(/\r?\n/);
  return nl === -1 ? text : text.slice(0, nl);
}

/** Cuts to `max` characters, the last one an ellipsis, so a cut is visible. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
