/**
 * JSON.parse for event payloads, plus the one liberty old SDKs need: Python's `json.dumps`
 * writes float('nan') and float('inf') as the bare tokens `NaN`, `Infinity` and `-Infinity`
 * (docs/sentry-protocol.md, "Encodings": "Old Python SDKs may emit NaN/Infinity"). They become
 * null: JSON has no non-finite numbers, and an unknown value is what they meant.
 *
 * Fast path: plain JSON.parse. Only when it fails does a small scanner walk the text, to find
 * those tokens outside strings, or else the exact position of the first error: V8's messages
 * sometimes carry no position and sometimes echo the input back, which must not reach a client.
 */
import { BadRequestError } from '../errors.js';

const OBJECT = 0;
const ARRAY = 1;

const STRING_RUN = /[^"\\\u0000-\u001f]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

export function parseJsonLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // fall through to the scanner: either non-finite tokens or a real error to locate
  }
  const nonFinite = scan(text); // throws a positioned BadRequestError on invalid JSON
  let fixed = '';
  let last = 0;
  for (const [start, end] of nonFinite) {
    fixed += text.slice(last, start) + 'null';
    last = end;
  }
  fixed += text.slice(last);
  try {
    return JSON.parse(fixed);
  } catch (err) {
    // The scanner accepted what V8 refused: a scanner bug. Still a client-visible 400, without
    // V8's message, which can quote the body.
    throw new BadRequestError(`invalid JSON (${err instanceof Error ? err.name : 'parse error'})`);
  }
}

function fail(text: string, pos: number, expected: string): never {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  const found = pos >= text.length ? 'the end of the input' : JSON.stringify(text.charAt(pos));
  throw new BadRequestError(
    `invalid JSON at position ${pos} (line ${line}, column ${pos - lineStart + 1}): expected ${expected}, found ${found}`,
  );
}

/** Validates `text` as JSON extended with NaN/Infinity/-Infinity values; returns where those
 * tokens are. Iterative, so that `[[[[…` a megabyte deep cannot overflow the stack. */
function scan(text: string): Array<[number, number]> {
  const marks: Array<[number, number]> = [];
  const stack: number[] = [];
  const n = text.length;
  let i = 0;
  // 'value': a value is due; 'first': a value or a closing ']' (just after '[');
  // 'key': a property name is due; 'firstKey': a name or '}' (just after '{'); 'after': a value ended.
  let state: 'value' | 'first' | 'key' | 'firstKey' | 'after' = 'value';

  const skipWhitespace = () => {
    for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
  };
  const literal = (word: string, nonFinite: boolean) => {
    if (!text.startsWith(word, i)) fail(text, i, 'a JSON value');
    if (nonFinite) marks.push([i, i + word.length]);
    i += word.length;
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      STRING_RUN.lastIndex = i;
      STRING_RUN.test(text);
      i = STRING_RUN.lastIndex;
      const c = text.charCodeAt(i);
      if (c === 34) return void i++;
      if (i >= n) fail(text, i, 'a closing \'"\'');
      if (c !== 92) fail(text, i, 'no raw control characters inside a string');
      const e = text.charAt(i + 1);
      if ('"\\/bfnrt'.includes(e) && e !== '') i += 2;
      else if (e === 'u' && ((HEX4.lastIndex = i + 2), HEX4.test(text))) i += 6;
      else fail(text, i + 1, 'a valid escape after \'\\\'');
    }
  };

  for (;;) {
    skipWhitespace();
    const c = text.charAt(i);
    if (state === 'value' || state === 'first') {
      if (state === 'first' && c === ']') {
        stack.pop();
        i++;
      } else if (c === '{' || c === '[') {
        stack.push(c === '{' ? OBJECT : ARRAY);
        i++;
        state = c === '{' ? 'firstKey' : 'first';
        continue;
      } else if (c === '"') string();
      else if (c === 't') literal('true', false);
      else if (c === 'f') literal('false', false);
      else if (c === 'n') literal('null', false);
      else if (c === 'N') literal('NaN', true);
      else if (c === 'I') literal('Infinity', true);
      else if (c === '-' && text.charAt(i + 1) === 'I') literal('-Infinity', true);
      else {
        NUMBER.lastIndex = i;
        if (!NUMBER.test(text) || NUMBER.lastIndex === i) fail(text, i, 'a JSON value');
        i = NUMBER.lastIndex;
      }
      state = 'after';
    } else if (state === 'key' || state === 'firstKey') {
      if (state === 'firstKey' && c === '}') {
        stack.pop();
        i++;
        state = 'after';
        continue;
      }
      if (c !== '"') fail(text, i, 'a property name in double quotes');
      string();
      skipWhitespace();
      if (text.charAt(i) !== ':') fail(text, i, "':' after the property name");
      i++;
      state = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (i < n) fail(text, i, 'nothing after the JSON value');
        return marks;
      }
      if (c === ',') {
        i++;
        state = top === OBJECT ? 'key' : 'value';
      } else if (c === (top === OBJECT ? '}' : ']')) {
        stack.pop();
        i++;
      } else {
        fail(text, i, top === OBJECT ? "',' or '}'" : "',' or ']'");
      }
    }
  }
}
