import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/errors.js';
import { parseJsonLenient } from '../../src/ingest/lenient-json.js';
import { decodeStoreBody } from '../../src/ingest/store-body.js';

const MiB = 1024 * 1024;
const event = { event_id: 'fc6d8c0c43fc4630ad850ee518f1b9d0', message: 'héllo', extra: { n: 1 } };
const json = Buffer.from(JSON.stringify(event));
const b64 = (b: Buffer) => Buffer.from(b.toString('base64'));

function httpError(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return { status: err.statusCode, message: err.message };
    throw err;
  }
  throw new Error('expected an HttpError');
}

describe('decodeStoreBody', () => {
  it.each([
    ['JSON', json],
    ['JSON after whitespace', Buffer.concat([Buffer.from(' \r\n\t'), json])],
    ['JSON after a UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json])],
    ['base64(JSON)', b64(json)],
    ['base64(JSON) wrapped at 76 columns', Buffer.from(json.toString('base64').replace(/.{76}/g, '$&\n'))],
    ['base64url(JSON)', Buffer.from(json.toString('base64url'))],
    ['base64(zlib(JSON)) as raven sends it', b64(zlib.deflateSync(json))],
    ['base64(gzip(JSON))', b64(zlib.gzipSync(json))],
    ['base64(zlib(JSON)) after whitespace', Buffer.concat([Buffer.from('\n'), b64(zlib.deflateSync(json)), Buffer.from('\n')])],
  ])('%s → the JSON bytes', (_label, body) => {
    const out = decodeStoreBody(body, MiB);
    expect(JSON.parse(out.toString())).toEqual(event);
  });

  it.each([
    ['empty', Buffer.alloc(0), 400, /store body is empty/],
    ['only whitespace', Buffer.from('  \n'), 400, /store body is empty/],
    ['invalid base64 character', Buffer.from('eyJhIjox*fQ=='), 400, /neither JSON nor base64: unexpected byte 0x2a at position 8/],
    ['padding in the middle', Buffer.from('eyJh=Ijox'), 400, /neither JSON nor base64: unexpected byte 0x49 at position 5/],
    ['impossible base64 length', Buffer.from('eyJhI'), 400, /base64 length is impossible/],
    ['base64 of neither JSON nor zlib', b64(Buffer.from('plain words')), 400, /base64, but of neither JSON nor zlib data/],
    ['base64 of truncated zlib', b64(zlib.deflateSync(json).subarray(0, 20)), 400, /truncated zlib data/],
    ['base64(zlib(not an object))', b64(zlib.deflateSync(Buffer.from('[1,2,3]'))), 400, /does not hold a JSON object/],
    ['a JSON array', Buffer.from('[1]'), 400, /^store body must be a JSON object \(an event\), not an array$/],
    ['a JSON string', Buffer.from(' "event"'), 400, /must be a JSON object \(an event\), not a string/],
    ['base64 of a JSON array', b64(Buffer.from('[{"a":1}]')), 400, /base64-decoded store body must be a JSON object \(an event\), not an array/],
  ])('%s → %i', (_label, body, status, message) => {
    expect(httpError(() => decodeStoreBody(body, MiB))).toEqual({ status, message: expect.stringMatching(message) });
  });

  it('enforces maxBytes on every form (413), and lets exactly maxBytes through', () => {
    for (const body of [json, b64(json), b64(zlib.deflateSync(json))]) {
      expect(decodeStoreBody(body, json.length).length).toBe(json.length);
      expect(httpError(() => decodeStoreBody(body, json.length - 1)).status).toBe(413);
    }
  });

  it('a base64(zlib) bomb stops inflating at the limit', () => {
    // 64 MiB of spaces inside an object: ~64 KiB of zlib, a third more in base64.
    const inner = Buffer.alloc(64 * MiB, 0x20);
    inner[0] = 0x7b;
    inner[inner.length - 1] = 0x7d;
    const body = b64(zlib.deflateSync(inner, { level: 9 }));
    const before = process.memoryUsage().rss;
    const r = httpError(() => decodeStoreBody(body, MiB));
    expect(r).toEqual({ status: 413, message: 'decompressed store body exceeds the 1 MiB limit' });
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * MiB);
  });
});

describe('parseJsonLenient', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['{"a": NaN, "b": Infinity, "c": -Infinity}', { a: null, b: null, c: null }],
    ['[NaN,1,-Infinity,{"x":[Infinity]}]', [null, 1, null, { x: [null] }]],
    ['{"s": "NaN and Infinity stay text", "t": NaN}', { s: 'NaN and Infinity stay text', t: null }],
    ['{"esc": "quote \\" NaN \\u0041", "v": NaN}', { esc: 'quote " NaN A', v: null }],
    [' \n NaN \n', null],
    ['{"k":{},"l":[],"m":-0.5e+3, "n": null, "t": true, "f": false, "x": Infinity}', { k: {}, l: [], m: -500, n: null, t: true, f: false, x: null }],
  ])('%s', (text, expected) => {
    expect(parseJsonLenient(text)).toEqual(expected);
  });

  it.each([
    ['{"a":}', /position 5 \(line 1, column 6\): expected a JSON value, found "}"/],
    ['{"a": nan}', /position 6 .*expected a JSON value, found "n"/],
    ['{"a": NaN', /position 9 .*expected ',' or '}', found the end of the input/],
    ['{\n  "a": 1,\n  "b": NaNa\n}', /position 22 \(line 3, column 11\): expected ',' or '}', found "a"/],
    ['[1, 2,]', /position 6 .*expected a JSON value, found "]"/],
    ['{a: NaN}', /position 1 .*expected a property name in double quotes/],
    ['{"a": "x\ny", "b": NaN}', /position 8 .*no raw control characters/],
    ['{"a": "\\q", "b": NaN}', /position 8 .*a valid escape/],
    ['{"a": "open', /position 11 .*expected a closing '"'/],
    ['NaN NaN', /position 4 .*expected nothing after the JSON value/],
    ['', /position 0 .*found the end of the input/],
    ['{"a": -NaN}', /position 6 .*expected a JSON value/],
    ['{"a": 01}', /position 7 .*expected ',' or '}', found "1"/],
  ])('%j → 400 with the position', (text, message) => {
    expect(httpError(() => parseJsonLenient(text))).toEqual({ status: 400, message: expect.stringMatching(message) });
  });

  it('does not echo the input in the message', () => {
    const secret = `{"password": "hunter2", "x": }`;
    expect(httpError(() => parseJsonLenient(secret)).message).not.toContain('hunter2');
  });

  it('survives deep nesting without a stack overflow', () => {
    const deep = '['.repeat(200_000) + 'NaN' + ']'.repeat(199_999);
    expect(httpError(() => parseJsonLenient(deep)).message).toMatch(/position 400002 .*expected ',' or '\]'/);
  });
});
