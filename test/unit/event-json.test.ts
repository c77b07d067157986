// The worker's event payload check (src/ingest/event-json.ts): it must refuse what the foreman
// could not digest and accept everything the foreman's parser takes (lenient-json.ts), without
// parsing. Tables of cases, the whole conformance corpus, and byte mutations of corpus events
// judged against the foreman's parser.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../src/errors.js';
import { parseEnvelope } from '../../src/ingest/envelope-reader.js';
import { checkEventJson, MAX_DEPTH } from '../../src/ingest/event-json.js';
import { parseJsonLenient } from '../../src/ingest/lenient-json.js';
import { corpusFiles } from '../helpers/corpus-files.js';
import { CORPUS } from '../helpers/processes.js';

const ID = '0123456789abcdef0123456789abcdef';
const check = (input: string | Buffer, wantEventId = false) => checkEventJson(Buffer.from(input), 'event item', wantEventId);
const refusal = (input: string | Buffer): string => {
  try {
    check(input);
  } catch (err) {
    if (err instanceof BadRequestError) return err.message;
    throw err;
  }
  throw new Error(`accepted: ${String(input).slice(0, 80)}`);
};

const utf8 = new TextDecoder();

/** What the foreman makes of the bytes (decoded as src/digest/prepare-event.ts does): an object, or an error. */
function foreman(buf: Buffer): 'object' | 'not an object' | 'error' {
  try {
    const v = parseJsonLenient(utf8.decode(buf));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? 'object' : 'not an object';
  } catch {
    return 'error';
  }
}

/** `{"a": [[[…]]]}` nested `depth` deep in all, the top-level object included. */
const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;


describe('checkEventJson accepts', () => {
  it.each([
    ['{}'],
    [' \t\r\n{ } \n'],
    ['{"a":1,"b":[true,false,null],"c":{"d":"e"},"f":[]}'],
    ['{"n":[0,-0,12,-3.25,1e3,1E-3,2.5e+10,-0.0e0]}'],
    ['{"s":"quote \\" backslash \\\\ slash \\/ \\b\\f\\n\\r\\t \\u00e9 \\uD83D\\uDE00"}'],
    ['{"lone surrogate":"\\ud800"}'],
    ['{"raw utf-8":"café ✓ 😀", "del":"\u007f"}'],
    ['{"nan":NaN,"inf":Infinity,"ninf":-Infinity,"list":[NaN,-Infinity]}'],
    ['{"":"empty key","dup":1,"dup":2}'],
    ['\ufeff{"after":"a byte order mark, which the foreman drops"}'],
    [nested(MAX_DEPTH)],
  ])('%s', (input) => {
    expect(() => check(input)).not.toThrow();
    expect(foreman(Buffer.from(input))).toBe('object');
  });

  it('invalid UTF-8 inside a string (the foreman reads it as U+FFFD)', () => {
    const buf = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xc3]), Buffer.from('"}')]);
    expect(() => checkEventJson(buf, 'event item')).not.toThrow();
    expect(foreman(buf)).toBe('object');
  });
});

describe('checkEventJson refuses', () => {
  it.each([
    ['', /expected a JSON object, found the end of the input/],
    ['  ', /at byte 2, expected a JSON object/],
    ['[1,2]', /must be a JSON object \(an event\), not an array/],
    ['"text"', /not a string/],
    ['42', /not a number/],
    ['null', /not null/],
    ['true', /not a boolean/],
    ['x', /at byte 0, expected '\{', found 'x'/],
    ['{', /at byte 1, expected a property name in double quotes, found the end of the input/],
    ['{"message":', /at byte 11, expected a JSON value, found the end of the input/],
    ['{"a":}', /at byte 5, expected a JSON value, found '\}'/],
    ['{"a":1,}', /at byte 7, expected a property name/],
    ['{,}', /at byte 1, expected a property name/],
    ['{"a" 1}', /at byte 5, expected ':' after the property name/],
    ["{'a':1}", /expected a property name in double quotes, found '''/],
    ['{a:1}', /expected a property name in double quotes/],
    ['{"a":1 "b":2}', /at byte 7, expected ',' or '\}'/],
    ['{"a":[1,2}', /at byte 9, expected ',' or '\]'/],
    ['{"a":1]', /at byte 6, expected ',' or '\}'/],
    ['{"a":01}', /at byte 6, expected ',' or '\}', found '1'/],
    ['{"a":1.}', /at byte 7, expected a digit after '\.'/],
    ['{"a":.5}', /at byte 5, expected a JSON value/],
    ['{"a":1e}', /at byte 7, expected a digit in the exponent/],
    ['{"a":-}', /at byte 6, expected a digit/],
    ['{"a":+1}', /at byte 5, expected a JSON value/],
    ['{"a":tru}', /at byte 5, expected a JSON value/],
    ['{"a":nan}', /expected a JSON value/],
    ['{"a":-NaN}', /expected a digit/],
    ['{NaN:1}', /expected a property name/],
    ['{"a":"\\x"}', /at byte 7, expected an escape after/],
    ['{"a":"\\u12"}', /at byte 7, expected four hex digits/],
    ['{"a":"line\nbreak"}', /at byte 10, expected no raw control character inside a string/],
    ['{"a":"tab\there"}', /no raw control character/],
    ['{"a":"unterminated}', /expected a closing '"', found the end of the input/],
    ['{} {}', /at byte 3, expected nothing after the JSON object/],
    ['{}x', /at byte 2, expected nothing after the JSON object/],
    [' \ufeff{}', /at byte 1, expected '\{', found byte 0xef/],
    ['\ufeff\ufeff{}', /at byte 3, expected '\{', found byte 0xef/],
    ['{"a":1}\u0000', /found byte 0x00/],
    [nested(MAX_DEPTH + 1), new RegExp(`nests arrays and objects deeper than ${MAX_DEPTH} levels`)],
    [`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, /deeper than/],
  ])('%j', (input, message) => {
    expect(refusal(input)).toMatch(message);
  });

  it('agrees with the foreman on every refused case but depth: it could not digest them either', () => {
    for (const input of ['{"message":', '{"a":1,}', '{"a":"\\x"}', '{"a":01}', ' \ufeff{}', '{} {}', '{"a":"line\nbreak"}', '[1]']) {
      expect(foreman(Buffer.from(input)), input).not.toBe('object');
    }
  });
});

describe('the top-level event_id', () => {
  it.each([
    [`{"event_id":"${ID}","message":"x"}`, ID],
    [`{"extra":{"event_id":"nested-not-this"},"event_id":"${ID}"}`, ID],
    [`{"exception":[{"event_id":"in an array"}]}`, undefined],
    [`{"event_id":"first","event_id":"${ID}"}`, ID], // the last wins, as in JSON.parse
    [`{"event_id":"${ID}","event_id":null}`, undefined],
    [`{"event_id":"${ID}","event_id":{"x":1}}`, undefined],
    ['{"event_id":12345}', undefined],
    ['{"event\\u005fid":"escaped-key"}', 'escaped-key'],
    ['{"event_id":"\\u0030123"}', '0123'],
    ['{"event_idx":"near miss","event_i":"near miss"}', undefined],
    ['{}', undefined],
  ])('%s → %s', (input, expected) => {
    expect(check(input, true)).toBe(expected);
  });

  it('is not looked for unless asked', () => {
    expect(check(`{"event_id":"${ID}"}`)).toBeUndefined();
  });
});

describe('the conformance corpus', () => {
  const events = corpusFiles(path.join(CORPUS, 'events'));
  const envelopes = corpusFiles(path.join(CORPUS, 'envelopes'));

  it('accepts every corpus event, with the event_id the foreman would read', () => {
    expect(events.length).toBeGreaterThanOrEqual(161);
    for (const file of events) {
      const buf = fs.readFileSync(file);
      const parsed = parseJsonLenient(buf.toString('utf8')) as Record<string, unknown>;
      const expected = typeof parsed.event_id === 'string' ? parsed.event_id : undefined;
      expect(checkEventJson(buf, 'event item', true), path.basename(file)).toBe(expected);
    }
  });

  it('accepts the event item of every corpus envelope', () => {
    let seen = 0;
    for (const file of envelopes) {
      const env = parseEnvelope(fs.readFileSync(file), { keep: (t) => t === 'event', maxItemBytes: 1024 ** 2 });
      for (const item of env.items) {
        expect(() => checkEventJson(item.payload, 'event item'), path.relative(CORPUS, file)).not.toThrow();
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('judges corpus events with one byte changed exactly as the foreman does', () => {
    // A fixed-seed generator: the same mutations every run.
    let seed = 0x5eed;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const bytes = [0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x0a, 0x20, 0x30, 0x2d, 0x2e, 0x65, 0x4e, 0x75, 0x00, 0xff];
    let refused = 0;
    for (const file of events) {
      const original = fs.readFileSync(file);
      for (let k = 0; k < 20; k++) {
        const buf = Buffer.from(original);
        const at = Math.floor(random() * buf.length);
        if (random() < 0.5) buf[at] = bytes[Math.floor(random() * bytes.length)]!;
        const mutated = random() < 0.25 ? Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1)]) : buf;
        let ours: 'object' | 'refused' = 'object';
        try {
          checkEventJson(mutated, 'event item');
        } catch (err) {
          if (!(err instanceof BadRequestError)) throw err;
          ours = 'refused';
          refused++;
        }
        const theirs = foreman(mutated);
        expect(ours === 'object', `${path.basename(file)} changed at byte ${at}: foreman says ${theirs}`).toBe(theirs === 'object');
      }
    }
    expect(refused).toBeGreaterThan(100);
  });
});
