/**
 * The worker's check that an event payload (envelope event item or store body) is one the
 * foreman can digest, without parsing it: the foreman parses each event once anyway, and a
 * JSON.parse here would cost the worker more than the rest of the request (scripts/bench).
 * So this is a byte scanner over the Buffer that allocates nothing on the way: it checks the
 * JSON grammar (strings and their escapes, numbers, literals), that the top level is an
 * object, and how deep arrays and objects nest; it throws a 400 naming the byte offset of the
 * first problem. It also finds the top-level "event_id" when the caller needs it.
 *
 * It accepts exactly what the foreman's parser (lenient-json.ts) accepts: JSON, plus the bare
 * NaN, Infinity and -Infinity that old Python SDKs write. Bytes inside strings are not checked
 * as UTF-8: the foreman decodes with replacement characters, so invalid UTF-8 there costs a
 * character, not the event; outside strings any byte above 0x7f is an error for both, except
 * a byte order mark as the very first bytes, which the foreman's TextDecoder drops.
 */
import { BadRequestError } from '../errors.js';

/**
 * Deepest nesting of arrays and objects taken. Relay parses events with serde_json
 * (`Annotated::from_json_bytes`), whose default recursion limit refuses the 128th nested
 * array or object: 127 is what Sentry itself takes, so no SDK can need more. A bound is
 * needed at all because the foreman walks payloads recursively (JSON.stringify, the event
 * page), and 100,000 levels fit in 600 KB, well under the 1 MiB event limit.
 */
export const MAX_DEPTH = 127;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;

/** What may follow a backslash in a string, besides `u`. */
const SIMPLE_ESCAPE = new Uint8Array(128);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

// Byte classes as tables: one load per byte in the two loops that see most bytes (inside
// strings, and indentation between tokens), instead of a chain of comparisons.
/** Bytes that end a run of plain string content: '"', '\\' and the control characters. */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[0x22] = 1;
STRING_STOP[0x5c] = 1;
/** JSON's four whitespace bytes. */
const SPACE = new Uint8Array(256);
for (const c of [0x20, 0x0a, 0x0d, 0x09]) SPACE[c] = 1;

/** Whether the open container at each depth is an object (1) or an array (0); reused, as
 * every scan runs to its end synchronously. */
const isObject = new Uint8Array(MAX_DEPTH + 1);

const EVENT_ID = Buffer.from('event_id');

// States of the scan.
const VALUE = 0; // a value is due (after ':' or ',' in an array)
const FIRST_VALUE = 1; // a value or ']' (just after '[')
const KEY = 2; // a property name is due (after ',' in an object)
const FIRST_KEY = 3; // a property name or '}' (just after '{')
const AFTER = 4; // a value ended: ',' or the closing bracket

/** Set by scanString: whether the string just scanned held an escape. */
let escaped = false;

function describe(buf: Buffer, pos: number): string {
  if (pos >= buf.length) return 'the end of the input';
  const c = buf[pos]!;
  return c > 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

function fail(buf: Buffer, pos: number, what: string, expected: string): never {
  throw new BadRequestError(`${what} is not valid JSON: at byte ${pos}, expected ${expected}, found ${describe(buf, pos)}`);
}

function skipSpace(buf: Buffer, i: number, n: number): number {
  while (i < n && SPACE[buf[i]!] === 1) i++;
  return i;
}

/** `i` is just past the opening quote; returns the index just past the closing one. */
function scanString(buf: Buffer, i: number, n: number, what: string): number {
  escaped = false;
  for (;;) {
    // Four bytes a step through long runs (source context, messages), then one at a time.
    while (i + 3 < n && (STRING_STOP[buf[i]!]! | STRING_STOP[buf[i + 1]!]! | STRING_STOP[buf[i + 2]!]! | STRING_STOP[buf[i + 3]!]!) === 0) i += 4;
    while (i < n && STRING_STOP[buf[i]!] === 0) i++;
    if (i >= n) break;
    const c = buf[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      escaped = true;
      const e = i + 1 < n ? buf[i + 1]! : -1;
      if (e >= 0 && e < 128 && SIMPLE_ESCAPE[e] === 1) i += 2;
      else if (e === 0x75 && i + 5 < n && HEX[buf[i + 2]!] && HEX[buf[i + 3]!] && HEX[buf[i + 4]!] && HEX[buf[i + 5]!]) i += 6;
      else fail(buf, i + 1, what, e === 0x75 ? 'four hex digits after \\u' : 'an escape after \\ (one of " \\ / b f n r t u)');
    } else {
      fail(buf, i, what, 'no raw control character inside a string (escape it)');
    }
  }
  return fail(buf, n, what, "a closing '\"'");
}

function digits(buf: Buffer, i: number, n: number): number {
  while (i < n && buf[i]! >= 0x30 && buf[i]! <= 0x39) i++;
  return i;
}

/** JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
function scanNumber(buf: Buffer, i: number, n: number, what: string): number {
  if (buf[i] === MINUS) i++;
  const first = i < n ? buf[i]! : -1;
  if (first === 0x30) i++;
  else if (first >= 0x31 && first <= 0x39) i = digits(buf, i + 1, n);
  else fail(buf, i, what, 'a digit');
  if (i < n && buf[i] === 0x2e) {
    const end = digits(buf, i + 1, n);
    if (end === i + 1) fail(buf, end, what, "a digit after '.'");
    i = end;
  }
  if (i < n && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    if (i < n && (buf[i] === 0x2b || buf[i] === MINUS)) i++;
    const end = digits(buf, i, n);
    if (end === i) fail(buf, end, what, 'a digit in the exponent');
    i = end;
  }
  return i;
}

function scanWord(buf: Buffer, i: number, n: number, word: string, what: string): number {
  for (let k = 0; k < word.length; k++) {
    if (i + k >= n || buf[i + k] !== word.charCodeAt(k)) fail(buf, i, what, 'a JSON value');
  }
  return i + word.length;
}

/** Names the JSON type of a complete top-level value that is not an object. */
function typeAt(c: number): string {
  if (c === LBRACKET) return 'an array';
  if (c === QUOTE) return 'a string';
  if (c === 0x74 || c === 0x66) return 'a boolean';
  if (c === 0x6e) return 'null';
  return 'a number';
}

/**
 * Throws a BadRequestError unless `buf` is one JSON object (whitespace around it allowed),
 * nested at most MAX_DEPTH deep. `what` starts the message ("event item", "store body").
 * With `wantEventId`, returns the top-level "event_id" when it is a string (the last one, as
 * JSON.parse would keep), else undefined.
 */
export function checkEventJson(buf: Buffer, what: string, wantEventId = false): string | undefined {
  const n = buf.length;
  const bom = n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  let i = skipSpace(buf, bom, n);
  if (i >= n) fail(buf, i, what, 'a JSON object');
  if (buf[i] !== LBRACE) {
    const c = buf[i]!;
    // A well-formed value of another type deserves the plainer message.
    if (c === LBRACKET || c === QUOTE || c === 0x74 || c === 0x66 || c === 0x6e || c === MINUS || (c >= 0x30 && c <= 0x39)) {
      throw new BadRequestError(`${what} must be a JSON object (an event), not ${typeAt(c)}`);
    }
    fail(buf, i, what, "'{'");
  }

  let depth = 0;
  let state = VALUE;
  let idStart = -1;
  let idEnd = -1;
  let idEscaped = false;
  let nextIsId = false;

  for (;;) {
    i = skipSpace(buf, i, n);
    const c = i < n ? buf[i]! : -1;
    if (state === AFTER) {
      if (depth === 0) {
        if (i < n) fail(buf, i, what, 'nothing after the JSON object');
        break;
      }
      const inObject = isObject[depth] === 1;
      if (c === COMMA) {
        i++;
        state = inObject ? KEY : VALUE;
      } else if (c === (inObject ? RBRACE : RBRACKET)) {
        i++;
        depth--;
      } else {
        fail(buf, i, what, inObject ? "',' or '}'" : "',' or ']'");
      }
    } else if (state === KEY || state === FIRST_KEY) {
      if (c === RBRACE && state === FIRST_KEY) {
        i++;
        depth--;
        state = AFTER;
        continue;
      }
      if (c !== QUOTE) fail(buf, i, what, 'a property name in double quotes');
      const start = i + 1;
      i = scanString(buf, start, n, what);
      if (wantEventId && depth === 1) nextIsId = isEventIdKey(buf, start, i - 1, escaped);
      i = skipSpace(buf, i, n);
      if (i >= n || buf[i] !== COLON) fail(buf, i, what, "':' after the property name");
      i++;
      state = VALUE;
    } else {
      if (c === RBRACKET && state === FIRST_VALUE) {
        i++;
        depth--;
        state = AFTER;
        continue;
      }
      const isId = nextIsId;
      nextIsId = false;
      if (c === LBRACE || c === LBRACKET) {
        if (++depth > MAX_DEPTH) {
          throw new BadRequestError(`${what} nests arrays and objects deeper than ${MAX_DEPTH} levels (at byte ${i})`);
        }
        isObject[depth] = c === LBRACE ? 1 : 0;
        i++;
        state = c === LBRACE ? FIRST_KEY : FIRST_VALUE;
        if (isId) idStart = -1; // a later non-string event_id wins over an earlier string
        continue;
      }
      if (c === QUOTE) {
        const start = i + 1;
        i = scanString(buf, start, n, what);
        if (isId) {
          idStart = start;
          idEnd = i - 1;
          idEscaped = escaped;
        }
      } else {
        if (c === 0x74) i = scanWord(buf, i, n, 'true', what);
        else if (c === 0x66) i = scanWord(buf, i, n, 'false', what);
        else if (c === 0x6e) i = scanWord(buf, i, n, 'null', what);
        else if (c === 0x4e) i = scanWord(buf, i, n, 'NaN', what);
        else if (c === 0x49) i = scanWord(buf, i, n, 'Infinity', what);
        else if (c === MINUS && i + 1 < n && buf[i + 1] === 0x49) i = scanWord(buf, i, n, '-Infinity', what);
        else if (c === MINUS || (c >= 0x30 && c <= 0x39)) i = scanNumber(buf, i, n, what);
        else fail(buf, i, what, 'a JSON value');
        if (isId) idStart = -1;
      }
      state = AFTER;
    }
  }
  if (idStart < 0) return undefined;
  // Escapes in an event_id are legal but never sent; JSON.parse decodes the few bytes then.
  return idEscaped ? (JSON.parse(buf.toString('utf8', idStart - 1, idEnd + 1)) as string) : buf.toString('utf8', idStart, idEnd);
}

/** Whether the property name between `start` and `end` (its quotes excluded) is event_id. */
function isEventIdKey(buf: Buffer, start: number, end: number, hasEscape: boolean): boolean {
  if (hasEscape) return JSON.parse(buf.toString('utf8', start - 1, end + 1)) === 'event_id';
  return end - start === EVENT_ID.length && buf.compare(EVENT_ID, 0, EVENT_ID.length, start, end) === 0;
}
