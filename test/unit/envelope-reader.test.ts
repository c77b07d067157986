import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BadRequestError, HttpError, PayloadTooLargeError } from '../../src/errors.js';
import {
  EnvelopeReader,
  parseEnvelope,
  type EnvelopeReaderOptions,
  type ParsedEnvelope,
} from '../../src/ingest/envelope-reader.js';
import { prng } from '../helpers/prng.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CORPUS = path.resolve(here, '../../../shared/corpus/envelopes');

// ---------------------------------------------------------------------------
// Feeding helpers

type Chunker = (remaining: number) => number;

const whole: Chunker = (remaining) => remaining;
const oneByte: Chunker = () => 1;
function randomSizes(seed: number): Chunker {
  const rnd = prng(seed);
  // Mostly tiny pieces (splitting headers and line ends), sometimes large ones.
  return () => (rnd() < 0.6 ? 1 + Math.floor(rnd() * 8) : 1 + Math.floor(rnd() * 5000));
}

/**
 * Pushes `buf` in pieces. With `reuse`, every piece goes through one scratch
 * buffer that is overwritten after each push, as a decompressor might do.
 */
function feed(buf: Buffer, opts: EnvelopeReaderOptions, chunker: Chunker, reuse = false): ParsedEnvelope {
  const reader = new EnvelopeReader(opts);
  const scratch = reuse ? Buffer.alloc(8192) : undefined;
  let pos = 0;
  while (pos < buf.length) {
    const n = Math.max(1, Math.min(chunker(buf.length - pos), buf.length - pos, scratch?.length ?? Infinity));
    if (scratch) {
      buf.copy(scratch, 0, pos, pos + n);
      reader.push(scratch.subarray(0, n));
      scratch.fill(0x23);
    } else {
      reader.push(buf.subarray(pos, pos + n));
    }
    pos += n;
  }
  return reader.end();
}

type Outcome = { ok: ParsedEnvelope } | { error: unknown };

function attempt(fn: () => ParsedEnvelope): Outcome {
  try {
    return { ok: fn() };
  } catch (error) {
    return { error };
  }
}

/** Every way of feeding the same bytes, which must all agree. */
function allFeedings(buf: Buffer, opts: EnvelopeReaderOptions): Array<[string, () => ParsedEnvelope]> {
  return [
    ['parseEnvelope', () => parseEnvelope(buf, opts)],
    ['one piece', () => feed(buf, opts, whole)],
    ['1-byte chunks', () => feed(buf, opts, oneByte)],
    ['random chunks (seed 1)', () => feed(buf, opts, randomSizes(1))],
    ['random chunks (seed 2)', () => feed(buf, opts, randomSizes(2))],
    ['random chunks, reused buffer', () => feed(buf, opts, randomSizes(3), true)],
  ];
}

/** Payloads as digests: deep equality on big Buffers is slow in expect(). */
function comparable(parsed: ParsedEnvelope): unknown {
  return {
    ...parsed,
    items: parsed.items.map((i) => ({ ...i, payload: `${i.payload.length}:${createHash('sha256').update(i.payload).digest('hex')}` })),
  };
}

function parseAllWays(buf: Buffer, opts: EnvelopeReaderOptions): ParsedEnvelope {
  const [first, ...rest] = allFeedings(buf, opts).map(([name, fn]) => [name, fn()] as const);
  if (!first) throw new Error('unreachable');
  const expected = comparable(first[1]);
  for (const [name, result] of rest) expect(comparable(result), name).toEqual(expected);
  return first[1];
}

function failAllWays(buf: Buffer, opts: EnvelopeReaderOptions): HttpError {
  const errors = allFeedings(buf, opts).map(([name, fn]) => {
    const outcome = attempt(fn);
    if (!('error' in outcome)) throw new Error(`${name}: expected an error, got ${JSON.stringify(outcome.ok)}`);
    expect(outcome.error, name).toBeInstanceOf(HttpError);
    return outcome.error as HttpError;
  });
  const first = errors[0] as HttpError;
  for (const e of errors) {
    expect(e.constructor).toBe(first.constructor);
    expect(e.message).toBe(first.message);
  }
  return first;
}

// ---------------------------------------------------------------------------
// Corpus

const serverOpts: EnvelopeReaderOptions = { keep: (t) => t === 'event', maxItemBytes: 1024 * 1024 };
const keepAll: EnvelopeReaderOptions = { keep: () => true, maxItemBytes: 16 * 1024 * 1024 };

function corpusFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? corpusFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .filter((f) => path.basename(f) !== 'LICENSE')
    .sort();
}

/**
 * Item types of every corpus file, in order, counted by hand from the item
 * header lines (`grep -a '^{.*"type":'`) and checked against each declared
 * `length`.
 */
const CORPUS_TYPES: Record<string, string[]> = {
  'Capture.Message.in.a.transaction.txt': ['event'],
  'Capture.Message.txt': ['event'],
  'ai_sdk/application_x_sentry_envelope-1747909903831299791.txt': ['transaction'],
  'ai_sdk/application_x_sentry_envelope-1747909905571196666.txt': ['transaction'],
  'ai_sdk/application_x_sentry_envelope-1747910023484922333.txt': ['transaction'],
  'ai_sdk/application_x_sentry_envelope-1747910024047185083.txt': ['transaction'],
  'ai_sdk/application_x_sentry_envelope-1747910024622759916.txt': ['transaction'],
  'application_x_sentry_envelope-1706290053204.txt': ['event', 'session', 'attachment'],
  'attachments/envelope_with_css.txt': ['event', 'attachment'],
  'attachments/envelope_with_csv.txt': ['event', 'attachment'],
  'attachments/envelope_with_html.txt': ['event', 'attachment'],
  'attachments/envelope_with_image.txt': ['event', 'attachment'],
  'attachments/envelope_with_js.txt': ['event', 'attachment'],
  'attachments/envelope_with_json.txt': ['event', 'attachment'],
  'attachments/envelope_with_text.txt': ['event', 'attachment'],
  'attachments/envelope_with_video.txt': ['event', 'attachment'],
  'continuous_profiling/profile_chunk_1.txt': ['profile_chunk'],
  'continuous_profiling/profile_chunk_2.txt': ['profile_chunk'],
  'continuous_profiling/transaction.txt': ['transaction'],
  'envelope_angular.txt': ['event'],
  'envelope_astro_ssr_browser.txt': ['transaction'],
  'envelope_astro_ssr_node.txt': ['transaction'],
  'envelope_binary.bin': ['attachment', 'event'],
  'envelope_empty.txt': [],
  'envelope_empty_payload.txt': ['attachment', 'attachment'],
  'envelope_flutter_replay.bin': ['replay_video'],
  'envelope_java.txt': ['transaction'],
  'envelope_java_formatted_message.txt': ['event'],
  'envelope_javascript.txt': ['event'],
  'envelope_no_len_w_eof.txt': ['attachment'],
  'envelope_no_len_w_eof_empty_headers.txt': ['session'],
  'envelope_no_len_w_new_line.txt': ['attachment'],
  'envelope_php.txt': ['transaction'],
  'envelope_php_error.txt': ['event'],
  'envelope_php_metrics.txt': ['statsd'],
  'envelope_php_wordpress.txt': ['event'],
  'envelope_python.txt': ['transaction'],
  'envelope_with_ansi_logs.txt': ['log'],
  'envelope_with_nextjs_ansi_escapes.txt': ['event'],
  'envelope_with_only_span.txt': ['span'],
  'envelope_with_screenshot.bin': ['event', 'attachment'],
  'enveplope_browser_js_profile.bin': ['transaction', 'profile'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423917432.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423923130.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423923131.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423923661.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423923773.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423923942.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423927454.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423927482.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423927991.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423928010.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423928556.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423928659.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423928840.txt': ['transaction'],
  'large_sentry_transaction/application_x_sentry_envelope-1701423930091.txt': ['transaction', 'profile'],
  'log_envelope.txt': ['log'],
};

/**
 * Captures whose last item declares more bytes than the file holds (its binary
 * or JSON was re-encoded on capture). Accepted because the server drops these
 * types; a reader that keeps them must refuse.
 */
const TRUNCATED: Record<string, string> = {
  'continuous_profiling/profile_chunk_1.txt': 'envelope item 1 (type "profile_chunk"): input ended after 1644 of the 1671',
  'continuous_profiling/profile_chunk_2.txt': 'envelope item 1 (type "profile_chunk"): input ended after 1405 of the 1432',
  'envelope_flutter_replay.bin': 'envelope item 1 (type "replay_video"): input ended after 18856 of the 19422',
  'envelope_with_screenshot.bin': 'envelope item 2 (type "attachment"): input ended after 47000 of the 48833',
};

const read = (rel: string): Buffer => readFileSync(path.join(CORPUS, rel));

function countTypes(types: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of types) out[t] = (out[t] ?? 0) + 1;
  return out;
}

describe('EnvelopeReader on the conformance corpus', () => {
  const files = corpusFiles(CORPUS).map((f) => path.relative(CORPUS, f).split(path.sep).join('/'));

  it('lists exactly the files whose facts were checked by hand', () => {
    expect(files).toEqual(Object.keys(CORPUS_TYPES).sort());
    expect(files).toHaveLength(57);
  });

  for (const rel of files) {
    it(`${rel}: parses identically whole, in 1-byte and in random chunks, keeping only events`, () => {
      const types = CORPUS_TYPES[rel] ?? [];
      const buf = read(rel);
      const parsed = parseAllWays(buf, serverOpts);
      expect(parsed.itemCount).toBe(types.length);
      expect(parsed.items.map((i) => i.type)).toEqual(types.filter((t) => t === 'event'));
      expect(parsed.dropped).toEqual(countTypes(types.filter((t) => t !== 'event')));
      expect(typeof parsed.headers).toBe('object');
      for (const item of parsed.items) {
        // The test (not the reader) checks the payload is the whole event.
        const event = JSON.parse(item.payload.toString('utf8')) as Record<string, unknown>;
        expect(typeof event).toBe('object');
        if (typeof item.headers.length === 'number') expect(item.payload.length).toBe(item.headers.length);
      }
    });

    it(`${rel}: keeping every item type`, () => {
      const buf = read(rel);
      const types = CORPUS_TYPES[rel] ?? [];
      const truncated = TRUNCATED[rel];
      if (truncated !== undefined) {
        const err = failAllWays(buf, keepAll);
        expect(err).toBeInstanceOf(BadRequestError);
        expect(err.message).toContain(truncated);
        return;
      }
      const parsed = parseAllWays(buf, keepAll);
      expect(parsed.items.map((i) => i.type)).toEqual(types);
      expect(parsed.itemCount).toBe(types.length);
      expect(parsed.dropped).toEqual({});
      for (const item of parsed.items) {
        if (typeof item.headers.length === 'number') expect(item.payload.length).toBe(item.headers.length);
      }
    });
  }

  it('envelope_empty.txt is `{}`: empty headers, no items', () => {
    expect(read('envelope_empty.txt').toString()).toBe('{}');
    expect(parseEnvelope(read('envelope_empty.txt'), keepAll)).toEqual({ headers: {}, headerText: '{}', items: [], itemCount: 0, dropped: {} });
  });

  it('headerText is the envelope header line as sent (what the queue stores), without its line end', () => {
    const line = '{ "event_id": "9ec79c33ec9942ab8353589fcb2e04dc", "dsn": "x",\t"dsn": "y" }';
    const chunks = Buffer.from(`\n${line}\r\n{"type":"event","length":2}\n{}\n`);
    const r = new EnvelopeReader(serverOpts);
    for (let i = 0; i < chunks.length; i += 7) r.push(chunks.subarray(i, i + 7)); // the line spans chunks
    const env = r.end();
    expect(env.headerText).toBe(line);
    expect(JSON.parse(env.headerText)).toEqual(env.headers);
    expect(parseEnvelope(Buffer.alloc(0), serverOpts).headerText).toBe('{}');
  });

  it('envelope_binary.bin (the spec example): keeps the event after a dropped attachment, \\r\\n stays in payload', () => {
    const buf = read('envelope_binary.bin');
    const server = parseEnvelope(buf, serverOpts);
    expect(server.headers.event_id).toBe('9ec79c33ec9942ab8353589fcb2e04dc');
    expect(server.dropped).toEqual({ attachment: 1 });
    expect(server.items[0]?.payload.toString()).toBe('{"message":"hello world","level":"error"}');
    expect(server.items[0]?.headers).toEqual({
      type: 'event',
      length: 41,
      content_type: 'application/json',
      filename: 'application.log',
    });
    const all = parseEnvelope(buf, keepAll);
    expect(all.items[0]?.payload).toEqual(Buffer.from('\xef\xbb\xbfHello\r\n', 'latin1'));
  });

  it('envelope_empty_payload.txt: two zero-length attachments', () => {
    const all = parseEnvelope(read('envelope_empty_payload.txt'), keepAll);
    expect(all.items.map((i) => i.payload.length)).toEqual([0, 0]);
  });

  it('implicit-length items end at EOF or at the newline', () => {
    for (const f of ['envelope_no_len_w_eof.txt', 'envelope_no_len_w_new_line.txt']) {
      const all = parseEnvelope(read(f), keepAll);
      expect(all.items[0]?.payload.toString(), f).toBe('helloworld');
    }
    const s = parseEnvelope(read('envelope_no_len_w_eof_empty_headers.txt'), keepAll);
    expect(s.headers).toEqual({});
    expect(JSON.parse(s.items[0]?.payload.toString() ?? '')).toEqual({
      started: '2020-02-07T14:16:00Z',
      attrs: { release: 'sentry-test@1.0.0' },
    });
  });

  it('envelope_php_metrics.txt: a sized statsd item without trailing newline', () => {
    const all = parseEnvelope(read('envelope_php_metrics.txt'), keepAll);
    expect(all.items[0]?.payload.length).toBe(70);
    expect(all.items[0]?.payload.toString()).toMatch(/^counter:1\|c\|#environment:local/);
  });

  it('event payloads carry the envelope header event_id where they have one', () => {
    for (const [rel, types] of Object.entries(CORPUS_TYPES)) {
      if (!types.includes('event')) continue;
      const parsed = parseEnvelope(read(rel), serverOpts);
      const event = JSON.parse(parsed.items[0]?.payload.toString() ?? '') as { event_id?: unknown };
      if (event.event_id !== undefined) expect(event.event_id, rel).toBe(parsed.headers.event_id);
    }
  });
});

// ---------------------------------------------------------------------------
// Edge cases

const opts: EnvelopeReaderOptions = {
  keep: (t) => t === 'event' || t === 'attachment',
  maxItemBytes: 100,
  maxHeaderBytes: 200,
};

interface Ok {
  name: string;
  input: string | Buffer;
  headers?: Record<string, unknown>;
  /** Kept items as [type, payload]; payloads of Buffer inputs are written as latin1 (one char per byte). */
  items: Array<[string, string]>;
  itemCount: number;
  dropped?: Record<string, number>;
  options?: Partial<EnvelopeReaderOptions>;
}

interface Bad {
  name: string;
  input: string | Buffer;
  error: typeof BadRequestError | typeof PayloadTooLargeError;
  message: string | RegExp;
  options?: Partial<EnvelopeReaderOptions>;
}

const E = '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n';
const x = (n: number, c = 'x'): string => c.repeat(n);

const valid: Ok[] = [
  { name: 'sized item, trailing newline', input: `${E}{"type":"event","length":5}\nab\ncd\n`, items: [['event', 'ab\ncd']], itemCount: 1 },
  { name: 'sized item, no trailing newline', input: `${E}{"type":"event","length":5}\nab\ncd`, items: [['event', 'ab\ncd']], itemCount: 1 },
  { name: 'implicit length, trailing newline', input: `${E}{"type":"event"}\n{"a":1}\n`, items: [['event', '{"a":1}']], itemCount: 1 },
  { name: 'implicit length, ended by EOF', input: `${E}{"type":"event"}\n{"a":1}`, items: [['event', '{"a":1}']], itemCount: 1 },
  { name: '"length": null means implicit length (as in Relay)', input: `${E}{"type":"event","length":null}\nabc\n`, items: [['event', 'abc']], itemCount: 1 },
  {
    name: 'spec: envelope with 2 items',
    input: Buffer.from(
      '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42"}\n' +
        '{"type":"attachment","length":10,"content_type":"text/plain","filename":"hello.txt"}\n' +
        '\xef\xbb\xbfHello\r\n\n' +
        '{"type":"event","length":41,"content_type":"application/json","filename":"application.log"}\n' +
        '{"message":"hello world","level":"error"}\n',
      'latin1',
    ),
    items: [
      ['attachment', '\xef\xbb\xbfHello\r\n'],
      ['event', '{"message":"hello world","level":"error"}'],
    ],
    itemCount: 2,
  },
  { name: 'spec: 2 empty attachments', input: `${E}{"type":"attachment","length":0}\n\n{"type":"attachment","length":0}\n\n`, items: [['attachment', ''], ['attachment', '']], itemCount: 2 },
  { name: 'spec: 2 empty attachments, last newline omitted', input: `${E}{"type":"attachment","length":0}\n\n{"type":"attachment","length":0}\n`, items: [['attachment', ''], ['attachment', '']], itemCount: 2 },
  { name: 'last item header ends the input, length 0', input: `${E}{"type":"attachment","length":0}`, items: [['attachment', '']], itemCount: 1 },
  { name: 'last item header ends the input, no length', input: `${E}{"type":"event"}`, items: [['event', '']], itemCount: 1 },
  { name: 'implicit-length payload keeps its \\r before \\n', input: `${E}{"type":"event"}\r\n{"a":1}\r\n`, items: [['event', '{"a":1}\r']], itemCount: 1 },
  {
    name: '\\r\\n header lines are trimmed; sized payload read exactly',
    input: `{"event_id":"abc"}\r\n{"type":"event","length":4}\r\nab\r\n\n`,
    headers: { event_id: 'abc' },
    items: [['event', 'ab\r\n']],
    itemCount: 1,
  },
  { name: 'empty body', input: '', headers: {}, items: [], itemCount: 0 },
  { name: '{} headers only', input: '{}', headers: {}, items: [], itemCount: 0 },
  { name: '{} headers and newline', input: '{}\n', headers: {}, items: [], itemCount: 0 },
  {
    name: 'unknown header keys are kept',
    input: `{"event_id":"x","whatever":{"nested":[1,2]}}\n{"type":"event","length":1,"custom":true}\nz`,
    headers: { event_id: 'x', whatever: { nested: [1, 2] } },
    items: [['event', 'z']],
    itemCount: 1,
  },
  {
    name: 'blank lines between items and at the end are skipped',
    input: `${E}\n{"type":"event","length":1}\na\n\n\r\n{"type":"attachment"}\nb\n\n\n`,
    items: [['event', 'a'], ['attachment', 'b']],
    itemCount: 2,
  },
  { name: 'blank lines before the envelope header are skipped', input: `\n\r\n${E}`, headers: { event_id: '9ec79c33ec9942ab8353589fcb2e04dc' }, items: [], itemCount: 0 },
  {
    name: 'unknown and unkept types are skipped, later items still read',
    input:
      `${E}{"type":"session"}\n{"sid":1}\n{"type":"what_is_this","length":6}\n{\n}\n\n\n\n\n` +
      `{"type":"replay_recording","length":3}\n\x00\n\x01\n{"type":"event","length":2}\nok\n{"type":"session"}\n{}`,
    items: [['event', 'ok']],
    itemCount: 5,
    dropped: { session: 2, what_is_this: 1, replay_recording: 1 },
  },
  { name: 'unknown types kept when keep() says so', input: `${E}{"type":"brand_new"}\nhi`, items: [['brand_new', 'hi']], itemCount: 1, options: { keep: () => true } },
  { name: 'empty-string type is a type', input: `${E}{"type":""}\nhi`, items: [], itemCount: 1, dropped: { '': 1 } },
  { name: '__proto__ is just a type name', input: `${E}{"type":"__proto__"}\nhi`, items: [], itemCount: 1, dropped: { ['__proto__']: 1 } },
  { name: 'kept payload exactly at the limit (sized)', input: `${E}{"type":"event","length":100}\n${x(100)}`, items: [['event', x(100)]], itemCount: 1 },
  { name: 'kept payload exactly at the limit (implicit)', input: `${E}{"type":"event"}\n${x(100)}\n`, items: [['event', x(100)]], itemCount: 1 },
  {
    name: 'oversize dropped items are fine, sized or not',
    input: `${E}{"type":"profile","length":5000}\n${x(5000, '\n')}\n{"type":"log"}\n${x(5000)}\n{"type":"event"}\nyes`,
    items: [['event', 'yes']],
    itemCount: 3,
    dropped: { profile: 1, log: 1 },
  },
  {
    name: 'dropped sized item cut short at the end (corpus leniency)',
    input: `${E}{"type":"event","length":2}\nok\n{"type":"profile_chunk","length":500}\n${x(10)}`,
    items: [['event', 'ok']],
    itemCount: 2,
    dropped: { profile_chunk: 1 },
  },
  { name: 'header line exactly at the limit', input: `{"a":"${x(192)}"}`, headers: { a: x(192) }, items: [], itemCount: 0 },
  { name: 'header line at the limit plus \\r', input: `{"a":"${x(192)}"}\r\n`, headers: { a: x(192) }, items: [], itemCount: 0 },
  { name: 'whitespace inside headers is allowed', input: `{ "event_id" : "a" }\n{ "type" : "event" , "length" : 1 }\nq`, headers: { event_id: 'a' }, items: [['event', 'q']], itemCount: 1 },
  { name: 'non-UTF-8 payload bytes are kept as they are', input: Buffer.from(`${E}{"type":"event","length":3}\n\xff\x00\xfe\n`, 'latin1'), items: [['event', '\xff\x00\xfe']], itemCount: 1 },
];

const invalid: Bad[] = [
  { name: 'envelope header not JSON', input: '{"event_id":}\n', error: BadRequestError, message: /^envelope header: header is not valid JSON \(/ },
  { name: 'item header not JSON', input: `${E}{"type":"event","length":1}\na\n{type:event}\n`, error: BadRequestError, message: /^envelope item 2: header is not valid JSON \(/ },
  { name: 'envelope header an array', input: '[1,2]\n', error: BadRequestError, message: 'envelope header: header must be a JSON object, got an array' },
  { name: 'item header an array', input: `${E}["event"]\n`, error: BadRequestError, message: 'envelope item 1: header must be a JSON object, got an array' },
  { name: 'header null', input: 'null', error: BadRequestError, message: 'envelope header: header must be a JSON object, got null' },
  { name: 'header a string', input: '"hi"\n', error: BadRequestError, message: 'envelope header: header must be a JSON object, got string "hi"' },
  { name: 'header padded with spaces only', input: `${E}   \n`, error: BadRequestError, message: /^envelope item 1: header is not valid JSON/ },
  {
    name: 'payload shorter than length: next byte is not a newline',
    input: `${E}{"type":"event","length":10}\nabc\n{"type":"event"}\n{}\n`,
    error: BadRequestError,
    message: 'envelope item 1 (type "event"): the 10-byte payload is followed by byte 0x22, not a newline (is "length" wrong?)',
  },
  {
    name: 'payload longer than length',
    input: `${E}{"type":"attachment","length":2}\nabc\n`,
    error: BadRequestError,
    message: 'envelope item 1 (type "attachment"): the 2-byte payload is followed by byte 0x63, not a newline (is "length" wrong?)',
  },
  {
    name: 'dropped item with wrong length is malformed too',
    input: `${E}{"type":"session","length":2}\nabc\n`,
    error: BadRequestError,
    message: /^envelope item 1 \(type "session"\): the 2-byte payload is followed by byte 0x63/,
  },
  {
    name: '\\r\\n after a sized payload',
    input: `${E}{"type":"event","length":2}\nab\r\n`,
    error: BadRequestError,
    message: /followed by byte 0x0d, not a newline/,
  },
  {
    name: 'kept item cut short by the end of input',
    input: `${E}{"type":"event","length":10}\nabc`,
    error: BadRequestError,
    message: 'envelope item 1 (type "event"): input ended after 3 of the 10 payload bytes its "length" declares',
  },
  {
    name: 'kept item header at the end of input with a length',
    input: `${E}{"type":"event","length":3}`,
    error: BadRequestError,
    message: 'envelope item 1 (type "event"): input ended after 0 of the 3 payload bytes its "length" declares',
  },
  ...(
    [
      ['-1', '-1'],
      ['1.5', '1.5'],
      ['"10"', '"10"'],
      ['true', 'true'],
      ['{}', '{}'],
      ['[3]', '[3]'],
      ['1e400', 'null'], // parses to Infinity, which JSON.stringify shows as null
    ] as const
  ).map(
    ([raw, shown]): Bad => ({
      name: `length ${raw}`,
      input: `${E}{"type":"event","length":${raw}}\nabc\n`,
      error: BadRequestError,
      message: `envelope item 1 (type "event"): "length" must be a non-negative integer, got ${shown}`,
    }),
  ),
  { name: 'missing type', input: `${E}{"length":1}\na\n`, error: BadRequestError, message: 'envelope item 1: header has no string "type" (got nothing)' },
  { name: 'numeric type', input: `${E}{"type":"event","length":1}\na\n{"type":7}\n`, error: BadRequestError, message: 'envelope item 2: header has no string "type" (got number 7)' },
  { name: 'null type', input: `${E}{"type":null}\n`, error: BadRequestError, message: 'envelope item 1: header has no string "type" (got null)' },
  {
    name: 'oversize kept item with length',
    input: `${E}{"type":"event","length":101}\n${x(101)}\n`,
    error: PayloadTooLargeError,
    message: 'envelope item 1 (type "event"): payload of 101 bytes is over the limit of 100 bytes',
  },
  {
    name: 'oversize kept item without length',
    input: `${E}{"type":"session"}\n{}\n{"type":"attachment"}\n${x(101)}\n`,
    error: PayloadTooLargeError,
    message: /^envelope item 2 \(type "attachment"\): payload of at least 10[01] bytes is over the limit of 100 bytes$/,
  },
  { name: 'over-long envelope header line', input: `{"a":"${x(193)}"}\n`, error: BadRequestError, message: 'envelope header: header line is longer than 200 bytes' },
  { name: 'over-long envelope header at EOF', input: `{"a":"${x(193)}"}`, error: BadRequestError, message: 'envelope header: header line is longer than 200 bytes' },
  { name: 'over-long item header line', input: `${E}{"type":"event","pad":"${x(300)}"}\n`, error: BadRequestError, message: 'envelope item 1: header line is longer than 200 bytes' },
  { name: 'over-long line of garbage', input: `${E}${x(100_000)}`, error: BadRequestError, message: 'envelope item 1: header line is longer than 200 bytes' },
  {
    name: 'very long type is cut short in messages',
    input: `${E}{"type":"${x(150, 'e')}","length":2}\nabc`,
    error: BadRequestError,
    message: `envelope item 1 (type "${x(100, 'e')}…"): the 2-byte payload is followed by byte 0x63, not a newline (is "length" wrong?)`,
    options: { maxHeaderBytes: 1000 },
  },
];

const toBuffer = (input: string | Buffer): Buffer => (typeof input === 'string' ? Buffer.from(input, 'utf8') : input);

describe('EnvelopeReader edge cases (every case fed whole, byte by byte and in random chunks)', () => {
  describe('valid', () => {
    for (const c of valid) {
      it(c.name, () => {
        const parsed = parseAllWays(toBuffer(c.input), { ...opts, ...c.options });
        if (c.headers) expect(parsed.headers).toEqual(c.headers);
        const encoding = typeof c.input === 'string' ? 'utf8' : 'latin1';
        expect(parsed.items.map((i) => [i.type, i.payload.toString(encoding)])).toEqual(c.items);
        expect(parsed.itemCount).toBe(c.itemCount);
        expect(parsed.dropped).toEqual(c.dropped ?? {});
        for (const item of parsed.items) expect(item.headers.type).toBe(item.type);
      });
    }
  });

  describe('invalid', () => {
    for (const c of invalid) {
      it(c.name, () => {
        const err = failAllWays(toBuffer(c.input), { ...opts, ...c.options });
        expect(err).toBeInstanceOf(c.error);
        expect(err.statusCode).toBe(c.error === PayloadTooLargeError ? 413 : 400);
        if (typeof c.message === 'string') expect(err.message).toBe(c.message);
        else expect(err.message).toMatch(c.message);
      });
    }
  });
});

// ---------------------------------------------------------------------------
// Streaming behaviour

describe('EnvelopeReader streaming', () => {
  it('refuses an over-long header line in push(), before the line ends', () => {
    const reader = new EnvelopeReader(opts);
    reader.push(Buffer.from('{"a":"'));
    expect(() => reader.push(Buffer.from(x(300)))).toThrow(BadRequestError);
  });

  it('refuses an oversize sized kept item as soon as its header is read', () => {
    const reader = new EnvelopeReader(opts);
    expect(() => reader.push(Buffer.from(`${E}{"type":"event","length":1000000}\n`))).toThrow(PayloadTooLargeError);
  });

  it('refuses an oversize implicit-length kept item in push(), before its newline', () => {
    const reader = new EnvelopeReader(opts);
    reader.push(Buffer.from(`${E}{"type":"event"}\n`));
    reader.push(Buffer.from(x(60)));
    expect(() => reader.push(Buffer.from(x(60)))).toThrow(/payload of at least 120 bytes is over the limit of 100 bytes/);
  });

  it('refuses a bad terminator in push()', () => {
    const reader = new EnvelopeReader(opts);
    expect(() => reader.push(Buffer.from(`${E}{"type":"event","length":1}\nab`))).toThrow(/followed by byte 0x62/);
  });

  it('skips large dropped payloads without buffering them', () => {
    const reader = new EnvelopeReader({ keep: (t) => t === 'event', maxItemBytes: 1024 });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const size = 64 * 1024 * 1024;
    const before = process.memoryUsage().arrayBuffers;
    reader.push(Buffer.from(`${E}{"type":"attachment","length":${size}}\n`));
    for (let i = 0; i < size / chunk.length; i++) reader.push(chunk);
    reader.push(Buffer.from('\n{"type":"replay_recording"}\n'));
    for (let i = 0; i < size / chunk.length; i++) reader.push(chunk);
    reader.push(Buffer.from('\n{"type":"event"}\n{"ok":true}\n'));
    const grown = process.memoryUsage().arrayBuffers - before;
    const parsed = reader.end();
    expect(parsed.items.map((i) => i.payload.toString())).toEqual(['{"ok":true}']);
    expect(parsed.dropped).toEqual({ attachment: 1, replay_recording: 1 });
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });

  it('kept payloads do not alias the pushed chunks', () => {
    const input = Buffer.from(`${E}{"type":"event","length":3}\nabc\n{"type":"event"}\ndef\n`);
    const parsed = parseEnvelope(input, { keep: () => true, maxItemBytes: 100 });
    input.fill(0x20);
    expect(parsed.items.map((i) => i.payload.toString())).toEqual(['abc', 'def']);
  });

  it('push() after end() and end() twice are programming errors', () => {
    const reader = new EnvelopeReader(opts);
    reader.end();
    expect(() => reader.end()).toThrow(/end\(\) called twice/);
    expect(() => reader.push(Buffer.from('{}'))).toThrow(/push\(\) after end\(\)/);
  });

  it('pushing empty chunks changes nothing', () => {
    const reader = new EnvelopeReader(opts);
    reader.push(Buffer.alloc(0));
    reader.push(Buffer.from(`${E}{"type":"event"}`));
    reader.push(Buffer.alloc(0));
    reader.push(Buffer.from('\nhi'));
    reader.push(Buffer.alloc(0));
    expect(reader.end().items.map((i) => i.payload.toString())).toEqual(['hi']);
  });

  it('round-trips random envelopes under random chunking', () => {
    const rnd = prng(42);
    const types = ['event', 'attachment', 'session', 'profile', 'x_unknown'];
    for (let round = 0; round < 200; round++) {
      const expected: Array<[string, Buffer]> = [];
      const parts: Buffer[] = [Buffer.from('{"event_id":"00000000000000000000000000000000"}\n')];
      const n = Math.floor(rnd() * 6);
      for (let i = 0; i < n; i++) {
        const type = types[Math.floor(rnd() * types.length)] as string;
        const sized = rnd() < 0.6;
        const payload = Buffer.from(
          Array.from({ length: Math.floor(rnd() * 40) }, () => {
            const b = Math.floor(rnd() * 256);
            return !sized && b === 0x0a ? 0x0d : b;
          }),
        );
        parts.push(Buffer.from(JSON.stringify(sized ? { type, length: payload.length } : { type }) + '\n'), payload);
        if (i < n - 1 || rnd() < 0.5) parts.push(Buffer.from('\n'));
        expected.push([type, payload]);
      }
      const buf = Buffer.concat(parts);
      const keep = (t: string): boolean => t === 'event' || t === 'x_unknown';
      const parsed = feed(buf, { keep, maxItemBytes: 1000 }, randomSizes(round));
      expect(parsed).toEqual(parseEnvelope(buf, { keep, maxItemBytes: 1000 }));
      expect(parsed.itemCount).toBe(expected.length);
      expect(parsed.items.map((i) => [i.type, i.payload])).toEqual(expected.filter(([t]) => keep(t)));
    }
  });
});
