import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/errors.js';
import { isValidPublicKey, parseAuthHeader, parseDsn, requestAuth, type SentryAuth } from '../../src/ingest/auth.js';

const KEY = 'e12d836b15bb49d7bbf99e64295d995b';
const OTHER = '0123456789abcdef0123456789abcdef';

function httpError(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return { status: err.statusCode, message: err.message };
    throw err;
  }
  throw new Error('expected an HttpError');
}

const auth = (publicKey: string, sentryVersion: string | null, client: string | null): SentryAuth => ({
  publicKey,
  sentryVersion,
  client,
});

describe('parseAuthHeader', () => {
  it.each([
    [`Sentry sentry_key=${KEY}, sentry_version=7, sentry_client=raven-python/6.10.0`, auth(KEY, '7', 'raven-python/6.10.0')],
    [`sentry sentry_version=7,sentry_key=${KEY}`, auth(KEY, '7', null)],
    [`SENTRY   sentry_key = ${KEY} , sentry_secret=abc, sentry_timestamp=1700000000.5`, auth(KEY, null, null)],
    [`sentry_key=${KEY}, sentry_version=7`, auth(KEY, '7', null)], // no "Sentry " word
    [`  Sentry sentry_key=${KEY.toUpperCase()}  `, auth(KEY, null, null)], // keys come back lower-cased
    [`Sentry sentry_key="${KEY}", sentry_client="sentry.dotnet/4.0"`, auth(KEY, null, 'sentry.dotnet/4.0')],
    [`Sentry sentry_version=2.0, sentry_key=${KEY}`, auth(KEY, '2.0', null)], // Relay: "2.0" → 2
    [`Sentry Sentry_Key=${KEY}, odd-item, sentry_client=a=b`, auth(KEY, null, 'a=b')],
    [`Sentry sentry_key=${KEY}, sentry_key=${KEY.toUpperCase()}`, auth(KEY, null, null)],
    // Two identical X-Sentry-Auth headers, as Node joins them.
    [`Sentry sentry_key=${KEY}, sentry_version=7, Sentry sentry_key=${KEY}, sentry_version=7`, auth(KEY, '7', null)],
  ])('%s', (header, expected) => {
    expect(parseAuthHeader(header)).toEqual(expected);
  });

  it.each([
    ['Sentry sentry_version=7, sentry_client=x/1', 401, /auth header has no sentry_key/],
    ['Sentry sentry_key=, sentry_version=7', 401, /auth header has no sentry_key/],
    ['Sentry', 401, /no sentry_key/],
    ['Sentry sentry_key=abc123', 401, /sentry_key must be 32 hexadecimal characters, got "abc123"/],
    [`Sentry sentry_key=${'g'.repeat(32)}`, 401, /32 hexadecimal/],
    [`Sentry sentry_key=${KEY}.no-cache`, 401, /32 hexadecimal/],
    [`Sentry sentry_key=${KEY}, sentry_key=${OTHER}`, 401, /two different sentry_key values/],
    // Two X-Sentry-Auth headers naming different keys, as Node joins them.
    [`Sentry sentry_key=${KEY}, Sentry sentry_key=${OTHER}`, 401, /two different sentry_key values/],
    [`Sentry sentry_version=7, sentry_key=${KEY}, sentry_client=a/1, sentry  sentry_key=${OTHER}`, 401, /two different sentry_key values/],
    [`Sentry sentry_key=${KEY}, sentry_version=seven`, 401, /invalid sentry_version "seven"/],
    [`Sentry sentry_key=${KEY}, sentry_version=8`, 400, /unsupported protocol version 8/],
  ])('%s → %i', (header, status, message) => {
    expect(httpError(() => parseAuthHeader(header))).toEqual({ status, message: expect.stringMatching(message) });
  });
});

describe('requestAuth', () => {
  const header = (key: string, extra = '') => `Sentry sentry_version=7, sentry_key=${key}${extra}`;

  it.each([
    ['X-Sentry-Auth', { xSentryAuth: header(KEY, ', sentry_client=sentry.python/2.0'), query: {} }, auth(KEY, '7', 'sentry.python/2.0')],
    ['Authorization: Sentry', { authorization: header(KEY), query: {} }, auth(KEY, '7', null)],
    ['query string (JS SDKs)', { query: { sentry_key: KEY, sentry_version: '7', sentry_client: 'sentry.javascript.browser/9.0.0' } }, auth(KEY, '7', 'sentry.javascript.browser/9.0.0')],
    ['query key only', { query: { sentry_key: KEY.toUpperCase() } }, auth(KEY, null, null)],
    ['repeated identical query values', { query: { sentry_key: [KEY, KEY] } }, auth(KEY, null, null)],
    ['header and query naming the same key merge', { xSentryAuth: `Sentry sentry_key=${KEY}`, query: { sentry_key: KEY, sentry_version: '7', sentry_client: 'q/1' } }, auth(KEY, '7', 'q/1')],
    ['X-Sentry-Auth beats the query for version and client', { xSentryAuth: header(KEY, ', sentry_client=h/1'), query: { sentry_key: KEY, sentry_client: 'q/1' } }, auth(KEY, '7', 'h/1')],
    ['Authorization: Bearer is someone else\'s', { authorization: 'Bearer abc.def', query: { sentry_key: KEY } }, auth(KEY, null, null)],
    ['Authorization: Basic is someone else\'s', { authorization: 'Basic dXNlcjpwYXNz', query: { sentry_key: KEY } }, auth(KEY, null, null)],
    ['X-Sentry-Auth of another scheme is ignored, as in Relay', { xSentryAuth: 'Bearer x', query: { sentry_key: KEY } }, auth(KEY, null, null)],
    ['X-Sentry-Auth without the Sentry word still counts', { xSentryAuth: `sentry_key=${KEY}`, query: {} }, auth(KEY, null, null)],
    ['duplicate identical headers', { xSentryAuth: [header(KEY), header(KEY)], authorization: header(KEY), query: {} }, auth(KEY, '7', null)],
  ])('%s', (_label, input, expected) => {
    expect(requestAuth(input)).toEqual(expected);
  });

  it.each([
    ['nothing', { query: {} }],
    ['unrelated query parameters', { query: { foo: 'bar' } }],
    ['a query version without a key', { query: { sentry_version: '7' } }],
    ['an empty X-Sentry-Auth', { xSentryAuth: '', query: {} }],
    ['non-Sentry Authorization', { authorization: 'Bearer token', query: {} }],
  ])('%s → null', (_label, input) => {
    expect(requestAuth(input)).toBeNull();
  });

  it.each([
    ['header and query disagree', { xSentryAuth: header(KEY), query: { sentry_key: OTHER } }, 401, /conflicting sentry_key values in X-Sentry-Auth and query string/],
    ['two headers disagree', { xSentryAuth: header(KEY), authorization: header(OTHER), query: {} }, 401, /conflicting sentry_key values in X-Sentry-Auth and Authorization/],
    ['repeated X-Sentry-Auth disagree', { xSentryAuth: [header(KEY), header(OTHER)], query: {} }, 401, /conflicting/],
    ['repeated X-Sentry-Auth disagree, joined by Node', { xSentryAuth: `${header(KEY)}, ${header(OTHER)}`, query: {} }, 401, /X-Sentry-Auth names two different sentry_key values/],
    ['repeated Authorization disagree', { authorization: [header(KEY), header(OTHER)], query: {} }, 401, /conflicting/],
    ['repeated query keys disagree', { query: { sentry_key: [KEY, OTHER] } }, 401, /query string: conflicting sentry_key values/],
    ['a bad query key', { query: { sentry_key: 'public' } }, 401, /query string: sentry_key must be 32 hexadecimal/],
    ['an empty query key', { query: { sentry_key: '' } }, 401, /query string has no sentry_key/],
    ['a header without key', { xSentryAuth: 'Sentry sentry_version=7', query: { sentry_key: KEY } }, 401, /X-Sentry-Auth has no sentry_key/],
    ['a Sentry Authorization without key', { authorization: 'Sentry sentry_client=x', query: {} }, 401, /Authorization has no sentry_key/],
    ['query version 8', { query: { sentry_key: KEY, sentry_version: '8' } }, 400, /unsupported protocol version 8/],
    ['header version 8', { xSentryAuth: header(KEY).replace('=7', '=8'), query: {} }, 400, /unsupported protocol version 8/],
  ])('%s → %i', (_label, input, status, message) => {
    expect(httpError(() => requestAuth(input))).toEqual({ status, message: expect.stringMatching(message) });
  });
});

describe('parseDsn', () => {
  it.each([
    [`https://${KEY}@o1.ingest.sentry.io/42`, '42'],
    [`http://${KEY}:deprecated-secret@localhost:9000/3`, '3'],
    [`https://${KEY}@example.com/prefix/path/17`, '17'],
    [`https://${KEY}:@sentry.example.com/17/`, '17'], // Relay writes DSNs with an empty secret
    [`https://${KEY.toUpperCase()}@[::1]:8443/0042`, '42'],
  ])('%s', (dsn, projectId) => {
    expect(parseDsn(dsn)).toEqual({ publicKey: KEY, projectId });
  });

  it.each([
    ['not a url', /not a URL/],
    [`ftp://${KEY}@host/1`, /scheme must be http or https, not ftp/],
    ['https://sentry.example.com/1', /envelope dsn has no public key/],
    [`https://${KEY}@sentry.example.com/`, /no project id/],
    [`https://${KEY}@sentry.example.com`, /no project id/],
    [`https://${KEY}@sentry.example.com/api/abc`, /project id must be a number below 2\^64, got "abc"/],
    [`https://${KEY}@sentry.example.com/99999999999999999999`, /project id must be a number/],
    ['https://public@sentry.example.com/1', /public key must be 32 hexadecimal characters, got "public"/],
  ])('%s → 401', (dsn, message) => {
    expect(httpError(() => parseDsn(dsn))).toEqual({ status: 401, message: expect.stringMatching(message) });
  });
});

describe('isValidPublicKey', () => {
  it.each([
    [KEY, true],
    [KEY.toUpperCase(), true],
    [KEY.slice(1), false],
    [`${KEY}0`, false],
    [`${KEY.slice(1)}x`, false],
    ['', false],
  ])('%s → %s', (key, ok) => {
    expect(isValidPublicKey(key)).toBe(ok);
  });
});
