/**
 * Stack traces as the issue page shows them: frames newest first (the protocol
 * stores them oldest first: "the last frame is the one creating the exception",
 * develop.sentry.dev/sdk/data-model/event-payloads/stacktrace/), with their
 * source context lined up by line number, and every field optional — SDKs
 * leave out whatever they do not know, and native frames know little.
 */
import { asText, isRecord, truncate, valuesOf, type JsonObject } from '../digest/event-types.js';

export interface ContextLine {
  lineno: number | null;
  code: string;
  current: boolean;
}

export interface FrameView {
  function: string;
  /** module, else filename, else abs_path, else package: what locates the frame. */
  location: string;
  lineno: number | null;
  colno: number | null;
  inApp: boolean;
  context: ContextLine[];
  vars: Array<[string, string]>;
  package: string | null;
  instructionAddr: string | null;
}

/** Values of locals, extra, contexts… as one line of text, cut so a huge blob cannot swamp the page. */
export function display(v: unknown, max = 400): string {
  if (typeof v === 'string') return truncate(v, max);
  if (v === undefined) return '';
  try {
    return truncate(JSON.stringify(v) ?? String(v), max);
  } catch {
    return truncate(String(v), max);
  }
}

function int(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null;
}

function contextLines(f: JsonObject): ContextLine[] {
  const line = asText(f.context_line);
  if (line === undefined) return [];
  const lineno = int(f.lineno);
  const pre = Array.isArray(f.pre_context) ? f.pre_context : [];
  const post = Array.isArray(f.post_context) ? f.post_context : [];
  const at = (offset: number) => (lineno === null ? null : lineno + offset);
  return [
    ...pre.map((code, i) => ({ lineno: at(i - pre.length), code: display(code, 500), current: false })),
    { lineno, code: truncate(line, 500), current: true },
    ...post.map((code, i) => ({ lineno: at(i + 1), code: display(code, 500), current: false })),
  ];
}

/** A text field cut to `max` (SDKs send what they like; a page shows a readable amount). */
export function text(v: unknown, max: number): string | undefined {
  const t = asText(v);
  return t === undefined ? undefined : truncate(t, max);
}

export function frameView(f: JsonObject): FrameView {
  const pkg = text(f.package, 1000) ?? null;
  return {
    function: text(f.function, 1000) ?? text(f.raw_function, 1000) ?? text(f.symbol, 1000) ?? '?',
    location: text(f.module, 1000) ?? text(f.filename, 1000) ?? text(f.abs_path, 1000) ?? pkg?.split(/[\\/]/).pop() ?? '',
    lineno: int(f.lineno),
    colno: int(f.colno),
    inApp: f.in_app === true,
    context: contextLines(f),
    vars: isRecord(f.vars) ? Object.entries(f.vars).slice(0, 100).map(([k, v]) => [truncate(k, 200), display(v)]) : [],
    package: pkg,
    instructionAddr: text(f.instruction_addr, 200) ?? null,
  };
}

/** Newest frame first; at most `max` frames, keeping the newest (where the crash is). */
export function framesOf(holder: unknown, max = 250): FrameView[] {
  if (!isRecord(holder) || !isRecord(holder.stacktrace)) return [];
  const frames = holder.stacktrace.frames;
  if (!Array.isArray(frames)) return [];
  return frames.filter(isRecord).slice(-max).reverse().map(frameView);
}

export interface ExceptionView {
  type: string;
  value: string;
  module: string | null;
  mechanism: { type: string; handled: boolean | null; synthetic: boolean } | null;
  frames: FrameView[];
  hasInApp: boolean;
  /** "thrown" for the one that reached the top, "cause" for the ones that led to it. */
  role: 'thrown' | 'cause';
  isGroup: boolean;
}

/** Relay's limits: an exception type of 256 characters, a value as long as a message (8192). */
const MAX_TYPE = 256;
const MAX_VALUE = 8192;

/** Exceptions in the protocol's order (oldest cause first, the thrown one last). */
export function exceptionsOf(data: JsonObject): ExceptionView[] {
  const values = (valuesOf(data.exception) ?? []).filter(isRecord);
  return values.map((e, i) => {
    const mech = isRecord(e.mechanism) ? e.mechanism : null;
    const frames = framesOf(e);
    return {
      type: text(e.type, MAX_TYPE) ?? (asText(e.value) ? '' : 'Error'),
      value: text(e.value, MAX_VALUE) ?? '',
      module: text(e.module, 1000) ?? null,
      mechanism: mech
        ? { type: text(mech.type, 200) ?? 'generic', handled: typeof mech.handled === 'boolean' ? mech.handled : null, synthetic: mech.synthetic === true }
        : null,
      frames,
      hasInApp: frames.some((f) => f.inApp),
      role: i === values.length - 1 ? 'thrown' : 'cause',
      isGroup: mech?.is_exception_group === true,
    };
  });
}

export interface ThreadView {
  id: string;
  name: string;
  crashed: boolean;
  current: boolean;
  frames: FrameView[];
}

export function threadsOf(data: JsonObject): ThreadView[] {
  return (valuesOf(data.threads) ?? [])
    .filter(isRecord)
    .slice(0, 100)
    .map((t) => ({
      id: text(t.id, 200) ?? '',
      name: text(t.name, 256) ?? '',
      crashed: t.crashed === true,
      current: t.current === true,
      frames: framesOf(t),
    }));
}
