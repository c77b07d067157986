/**
 * Everything the event page shows, read out of a stored event into plain rows
 * the templates only have to loop over. No HTML here: the template engine
 * escapes every value, and nothing from the event is ever trusted as markup.
 */
import { asText, isRecord, truncate, valuesOf, type JsonObject } from '../digest/event-types.js';
import { display, exceptionsOf, framesOf, text, threadsOf, type ExceptionView, type FrameView, type ThreadView } from './stacktrace-view.js';

export type Rows = Array<[string, string]>;

export interface BreadcrumbView {
  time: string | null;
  category: string;
  level: string;
  type: string;
  message: string;
  data: string;
}

export interface ContextSection {
  /** The alias the SDK used (os, runtime, browser, device, app, trace, …). */
  name: string;
  type: string;
  rows: Rows;
}

export interface EventView {
  title: string;
  message: string | null;
  exceptions: ExceptionView[];
  /** A stack trace on the event itself (captureMessage with attachStacktrace). */
  frames: FrameView[];
  threads: ThreadView[];
  breadcrumbs: BreadcrumbView[];
  request: { method: string; url: string; rows: Rows; headers: Rows } | null;
  user: Rows;
  contexts: ContextSection[];
  tags: Rows;
  sdk: Rows;
  modules: Rows;
  extra: Rows;
}

function rows(obj: unknown, skip: readonly string[] = []): Rows {
  if (!isRecord(obj)) return [];
  return Object.entries(obj)
    .filter(([k, v]) => !skip.includes(k) && v !== null && v !== undefined && v !== '')
    .slice(0, 200)
    .map(([k, v]) => [truncate(k, 200), display(v)]);
}

function pairs(v: unknown): Rows {
  if (Array.isArray(v)) {
    return v.filter((p): p is unknown[] => Array.isArray(p) && p.length >= 2).slice(0, 200).map((p) => [display(p[0], 200), display(p[1])]);
  }
  return rows(v);
}

function isoTime(v: unknown): string | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) / 1000 : NaN;
  return Number.isFinite(n) ? new Date(n * 1000).toISOString() : null;
}

function breadcrumbsOf(data: JsonObject): BreadcrumbView[] {
  return (valuesOf(data.breadcrumbs) ?? [])
    .filter(isRecord)
    .slice(-200)
    .map((b) => ({
      time: isoTime(b.timestamp),
      category: text(b.category, 200) ?? '',
      level: text(b.level, 200) ?? 'info',
      type: text(b.type, 200) ?? 'default',
      message: display(b.message ?? '', 1000),
      data: b.data === undefined || b.data === null ? '' : display(b.data, 1000),
    }));
}

function requestOf(data: JsonObject): EventView['request'] {
  const r = data.request;
  if (!isRecord(r)) return null;
  return {
    method: text(r.method, 200) ?? '',
    url: text(r.url, 4000) ?? '',
    rows: rows(r, ['method', 'url', 'headers']),
    headers: pairs(r.headers),
  };
}

function contextsOf(data: JsonObject): ContextSection[] {
  if (!isRecord(data.contexts)) return [];
  return Object.entries(data.contexts)
    .filter(([, v]) => isRecord(v))
    .slice(0, 100)
    .map(([name, v]) => ({ name: truncate(name, 200), type: text((v as JsonObject).type, 200) ?? truncate(name, 200), rows: rows(v, ['type']) }));
}

function messageOf(data: JsonObject): string | null {
  const log = data.logentry;
  if (isRecord(log)) return text(log.formatted, 8192) ?? text(log.message, 8192) ?? null;
  return text(data.message, 8192) ?? null;
}

export function eventView(data: JsonObject, title: string): EventView {
  const sdk = isRecord(data.sdk) ? data.sdk : {};
  return {
    title,
    message: messageOf(data),
    exceptions: exceptionsOf(data),
    frames: framesOf(data),
    threads: threadsOf(data),
    breadcrumbs: breadcrumbsOf(data),
    request: requestOf(data),
    user: rows(data.user),
    contexts: contextsOf(data),
    tags: pairs(data.tags),
    sdk: [
      ['name', text(sdk.name, 200) ?? ''],
      ['version', text(sdk.version, 200) ?? ''],
      ...rows(sdk, ['name', 'version']),
    ].filter(([, v]) => v !== '') as Rows,
    modules: rows(data.modules),
    extra: rows(data.extra),
  };
}
