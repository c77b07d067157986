/**
 * Decides which issue an event belongs to. Sentry's rules, simplified to what
 * can be computed from the event alone (no symbolication, no project rules):
 * "Errors are aggregated (and deduplicated) based on the fingerprint of the event";
 * a fingerprint sent by the SDK wins, and `{{ default }}` in it stands for the
 * built-in grouping (https://docs.sentry.io/concepts/data-management/event-grouping/).
 * Without one, the thrown exception's type and (parameterized) value group the
 * event; without an exception, its message; without either, its crash location.
 */
import { createHash } from 'node:crypto';
import type { JsonObject, NormalizedEvent } from './event-types.js';
import { asText, firstLine, isRecord, truncate, valuesOf } from './event-types.js';
import { normalizeVariableParts } from './variable-parts.js';

export interface Grouping {
  /** Human-readable grouping key; equal keys mean one issue. */
  key: string;
  /** 32 hex: sha256(key) truncated; the unique key within a project. */
  hash: string;
  /** "Type: first line of value", or the message's first line; at most 255 characters. */
  title: string;
  /** Crash frame as "module-or-file in function", or ''. */
  culprit: string;
  /** Main exception type. */
  type: string | null;
  /** Main exception value: first line, at most 1 KB. */
  value: string | null;
}

const MAX_TITLE = 255;
/** Sentry keeps the first 1024 characters of the exception value in an issue's metadata. */
const MAX_VALUE = 1024;
const UNLABELED = '<unlabeled event>';
const UNKNOWN = '<unknown>';

function framesOf(holder: unknown): JsonObject[] {
  if (!isRecord(holder) || !isRecord(holder.stacktrace)) return [];
  const frames = holder.stacktrace.frames;
  return Array.isArray(frames) ? frames.filter(isRecord) : [];
}

/**
 * Frames are "ordered from caller to callee, or oldest to youngest. The last
 * frame is the one creating the exception."
 * (https://develop.sentry.dev/sdk/data-model/event-payloads/stacktrace/). The crash
 * frame users care about is the newest one of their own code (`in_app`), else the newest.
 */
function crashFrameIndex(frames: JsonObject[]): number {
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i]?.in_app === true) return i;
  return frames.length - 1;
}

/**
 * The stack to blame: the main exception's, else the crashed (or current)
 * thread's — native and ANR events put the stack there — else the event's own
 * `stacktrace` (a message captured with `attachStacktrace`).
 */
function blamedFrames(data: JsonObject, exception: JsonObject | undefined): JsonObject[] {
  const own = framesOf(exception);
  if (own.length > 0) return own;
  const threads = (valuesOf(data.threads) ?? []).filter(isRecord);
  const thread =
    threads.find((t) => t.crashed === true) ??
    threads.find((t) => t.current === true) ??
    (threads.length === 1 ? threads[0] : undefined);
  const fromThread = framesOf(thread);
  return fromThread.length > 0 ? fromThread : framesOf(data);
}

/** Native frames often carry only the binary's path as `package`; its file name locates them. */
function packageName(v: unknown): string | undefined {
  const p = asText(v);
  return p?.split(/[\\/]/).pop() || undefined;
}

function frameLocation(f: JsonObject): string | undefined {
  return asText(f.module) ?? asText(f.filename) ?? asText(f.abs_path) ?? packageName(f.package);
}

function formatCulprit(frame: JsonObject | undefined): string {
  if (!frame) return '';
  const where = frameLocation(frame);
  const fn = asText(frame.function);
  const text = where && fn ? `${where} in ${fn}` : (where ?? fn ?? '');
  return truncate(text, MAX_TITLE);
}

/** The crash frame's function, or the nearest caller's when the crash frame is unsymbolicated. */
function crashFunction(frames: JsonObject[]): string | undefined {
  for (let i = crashFrameIndex(frames); i >= 0; i--) {
    const fn = asText(frames[i]?.function);
    if (fn) return fn;
  }
  return undefined;
}

interface MainException {
  type: string | null;
  /** First line of the value, cut to 1 KB. */
  value: string | null;
  mechanismType: string | undefined;
  synthetic: boolean;
}

/**
 * Chained exceptions are sent oldest first, so the last value is the one that was
 * thrown (https://develop.sentry.dev/sdk/data-model/event-payloads/exception/).
 * An entry with neither type, value nor frames says nothing, so the event is
 * grouped as if it had none.
 */
function mainException(data: JsonObject): [JsonObject, MainException] | undefined {
  const values = valuesOf(data.exception);
  const exc = values?.[values.length - 1];
  if (!isRecord(exc)) return undefined;
  const type = asText(exc.type)?.trim() || null;
  const rawValue = asText(exc.value)?.trim();
  const value = rawValue ? truncate(firstLine(rawValue), MAX_VALUE) : null;
  if (type === null && value === null && framesOf(exc).length === 0) return undefined;
  const mechanism = isRecord(exc.mechanism) ? exc.mechanism : {};
  return [exc, { type, value, mechanismType: asText(mechanism.type), synthetic: mechanism.synthetic === true }];
}

/** The text a message event groups by: the template before formatting, as Sentry does, so params vary freely. */
function messageText(data: JsonObject): { group: string; display: string } | undefined {
  const entry = isRecord(data.logentry) ? data.logentry : {};
  const template = asText(entry.message)?.trim();
  const formatted = asText(entry.formatted)?.trim() ?? asText(data.message)?.trim();
  const group = template || formatted;
  if (!group) return undefined;
  return { group, display: formatted || group };
}

interface DefaultGrouping {
  key: string;
  title: string;
  culprit: string;
  type: string | null;
  value: string | null;
  crashFn: string | undefined;
  message: string | undefined;
}

function defaultGrouping(data: JsonObject): DefaultGrouping {
  const main = mainException(data);
  const frames = blamedFrames(data, main?.[0]);
  const culprit = formatCulprit(frames[crashFrameIndex(frames)]);
  const crashFn = crashFunction(frames);
  const message = messageText(data);

  if (main) {
    const { type, value, mechanismType, synthetic } = main[1];
    // A synthetic exception "is not a real exception but some form of synthetic error for instance
    // from a signal handler, a hard segfault or similar where type and value are not useful for
    // grouping" (https://getsentry.github.io/relay/relay_event_schema/protocol/struct.Mechanism.html),
    // so the crash function replaces the type. The value stays: without Sentry's whole-stack
    // grouping, one frame alone would merge every abort that dies in `__pthread_kill`.
    const head = (synthetic ? crashFn : undefined) ?? type ?? mechanismType ?? crashFn ?? UNKNOWN;
    let key = value === null ? head : `${head}: ${normalizeVariableParts(value)}`;
    // A bare stack says nothing but where it crashed; without that, all such events would be one issue.
    if (type === null && value === null && culprit) key += ` at ${culprit}`;
    const title = type !== null && value !== null ? `${type}: ${value}` : (type ?? value ?? crashFn ?? UNKNOWN);
    return { key, title, culprit, type, value, crashFn, message: message?.display };
  }
  if (message) {
    const key = `Log Message: ${normalizeVariableParts(message.group.slice(0, MAX_VALUE))}`;
    return { key, title: firstLine(message.display), culprit, type: null, value: null, crashFn, message: message.display };
  }
  // Nothing names the event; its crash site and transaction are the best available split.
  const transaction = asText(data.transaction);
  let key = UNLABELED;
  if (culprit) key += ` at ${culprit}`;
  if (transaction) key += ` in ${transaction}`;
  return { key, title: UNLABELED, culprit, type: null, value: null, crashFn, message: undefined };
}

/**
 * A subset of Sentry's fingerprint variables that can be filled from the event
 * alone; unknown ones stay literal.
 * https://docs.sentry.io/concepts/data-management/event-grouping/fingerprint-rules/
 */
function fingerprintVariable(name: string, ev: NormalizedEvent, d: DefaultGrouping): string | undefined {
  switch (name) {
    case 'default':
      return d.key;
    case 'transaction':
      return asText(ev.data.transaction) ?? '<no-transaction>';
    case 'type':
    case 'error.type':
      return d.type ?? '<no-type>';
    case 'error.value':
      return d.value ?? '<no-value>';
    case 'function':
    case 'stack.function':
      return d.crashFn ?? '<no-function>';
    case 'level':
      return ev.level;
    case 'logger':
      return asText(ev.data.logger) ?? '<no-logger>';
    case 'message':
      return d.message ?? '<no-message>';
    default:
      return undefined;
  }
}

const VARIABLE = /^\{\{\s*([\w.]+)\s*\}\}$/;

function fingerprintKey(ev: NormalizedEvent, fingerprint: string[], d: DefaultGrouping): string {
  const parts = fingerprint.map((entry) => {
    const m = VARIABLE.exec(entry);
    return (m?.[1] !== undefined ? fingerprintVariable(m[1].toLowerCase(), ev, d) : undefined) ?? entry;
  });
  return parts.join(' | ');
}

export function groupEvent(ev: NormalizedEvent): Grouping {
  const d = defaultGrouping(ev.data);
  const fingerprint = ev.fingerprint?.length ? ev.fingerprint : null;
  // ["{{ default }}"] alone means "group as usual", so it must land in the same issue as no fingerprint.
  const key = fingerprint ? fingerprintKey(ev, fingerprint, d) : d.key;
  return {
    key,
    hash: createHash('sha256').update(key).digest('hex').slice(0, 32),
    title: truncate(d.title, MAX_TITLE),
    culprit: d.culprit,
    type: d.type,
    value: d.value,
  };
}
