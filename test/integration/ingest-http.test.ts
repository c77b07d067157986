// Table-driven HTTP scenarios for the ingest endpoints, in process (app.inject):
// auth in every form, encodings, limits, malformed input. What is accepted must
// be in the queue; what is refused gets a clear 4xx and leaves nothing behind.
import net from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, setKeyActive, allKeys } from '../../src/projects/projects.js';
import { envelope, errorEvent, eventEnvelope, newEventId } from '../helpers/envelopes.js';
import { testApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let other: { id: number; key: string };
beforeAll(async () => {
  t = await testApp({ MAX_EVENT_BYTES: '64KiB', MAX_REQUEST_BYTES: '256KiB', MAX_ENVELOPE_BYTES: '512KiB' });
  const o = createProject(t.main, 'Other project');
  other = { id: o.project.id, key: o.key.publicKey };
  await new Promise((r) => setTimeout(r, 150)); // let the key cache see the new key
});
afterAll(async () => t?.close());

const queued = () => (t.queue.sqlite.prepare('SELECT count(*) AS n FROM envelopes').get() as { n: number }).n;
const authHeader = (key: string) => `Sentry sentry_version=7, sentry_client=test/1.0, sentry_key=${key}`;

interface Case {
  name: string;
  url?: (pid: number, key: string) => string;
  headers?: (key: string) => Record<string, string>;
  body: () => Buffer | string;
  status: number;
  /** Rows the request adds to the queue. */
  queued?: number;
  detail?: RegExp;
}

const event = () => errorEvent();
const env = () => eventEnvelope(event());
const envelopeUrl = (pid: number) => `/api/${pid}/envelope/`;
const withKeyQuery = (pid: number, key: string) => `/api/${pid}/envelope/?sentry_key=${key}&sentry_version=7`;

const cases: Case[] = [
  // Authentication
  { name: 'X-Sentry-Auth header', headers: (k) => ({ 'x-sentry-auth': authHeader(k) }), body: env, status: 200, queued: 1 },
  { name: 'Authorization: Sentry header', headers: (k) => ({ authorization: authHeader(k) }), body: env, status: 200, queued: 1 },
  { name: 'query string key', url: withKeyQuery, body: env, status: 200, queued: 1 },
  { name: 'trailing slash optional', url: (p, k) => `/api/${p}/envelope?sentry_key=${k}`, body: env, status: 200, queued: 1 },
  { name: 'no authentication at all', body: env, status: 401, detail: /missing authentication/ },
  { name: 'auth header without a key', headers: () => ({ 'x-sentry-auth': 'Sentry sentry_version=7' }), body: env, status: 401 },
  { name: 'key that is not 32 hex', url: (p) => `/api/${p}/envelope/?sentry_key=nothex`, body: env, status: 401 },
  {
    name: 'header and query name different keys',
    url: (p) => `/api/${p}/envelope/?sentry_key=${'a'.repeat(32)}`,
    headers: (k) => ({ 'x-sentry-auth': authHeader(k) }),
    body: env,
    status: 401,
    detail: /conflicting/,
  },
  {
    name: 'two X-Sentry-Auth headers naming different keys (as Node joins them)',
    headers: (k) => ({ 'x-sentry-auth': `Sentry sentry_key=${k}, sentry_version=7, Sentry sentry_key=${other.key}, sentry_version=7` }),
    body: env,
    status: 401,
    detail: /two different sentry_key values/,
  },
  { name: 'two identical X-Sentry-Auth headers (as Node joins them)', headers: (k) => ({ 'x-sentry-auth': `${authHeader(k)}, ${authHeader(k)}` }), body: env, status: 200, queued: 1 },
  {
    name: 'no auth and no dsn: refused at the envelope header, before the rest is inflated',
    headers: () => ({ 'content-encoding': 'gzip' }),
    // 4 MiB inflated, over the 512 KiB envelope limit: a 413 if it were inflated first.
    body: () => gzipSync(envelope({}, [{ type: 'attachment', payload: Buffer.alloc(4 * 1024 * 1024) }])),
    status: 401,
    detail: /missing authentication/,
  },
  { name: 'unknown key', url: (p) => `/api/${p}/envelope/?sentry_key=${'0'.repeat(32)}`, body: env, status: 403, detail: /unknown/ },
  { name: 'key of another project', url: (p) => `/api/${p}/envelope/?sentry_key=${other.key}`, body: env, status: 403 },
  { name: 'sentry_version above 7', url: (p, k) => `/api/${p}/envelope/?sentry_key=${k}&sentry_version=8`, body: env, status: 400 },
  { name: 'non-numeric project id', url: (_p, k) => `/api/abc/envelope/?sentry_key=${k}`, body: env, status: 400, detail: /project id/ },
  // Encodings
  ...(
    [
      ['gzip', 'gzip', gzipSync],
      ['x-gzip', 'gzip', gzipSync],
      ['deflate', 'zlib', deflateSync],
      ['deflate', 'raw deflate', deflateRawSync],
      ['br', 'brotli', brotliCompressSync],
      ['identity', 'none', (b: Buffer) => b],
      ['UTF-8', 'none', (b: Buffer) => b],
    ] as const
  ).map(
    ([encoding, format, compress]): Case => ({
      name: `Content-Encoding ${encoding} (${format})`,
      url: withKeyQuery,
      headers: () => ({ 'content-encoding': encoding }),
      body: () => compress(env()),
      status: 200,
      queued: 1,
    }),
  ),
  { name: 'unknown encoding', url: withKeyQuery, headers: () => ({ 'content-encoding': 'lzma' }), body: env, status: 415 },
  { name: 'corrupt gzip', url: withKeyQuery, headers: () => ({ 'content-encoding': 'gzip' }), body: () => Buffer.from('not gzip at all'), status: 400 },
  { name: 'truncated gzip', url: withKeyQuery, headers: () => ({ 'content-encoding': 'gzip' }), body: () => gzipSync(env()).subarray(0, 30), status: 400 },
  // Envelope shapes
  { name: 'empty body', url: withKeyQuery, body: () => '', status: 200, queued: 0 },
  { name: 'headers only', url: withKeyQuery, body: () => '{}', status: 200, queued: 0 },
  {
    name: 'event after unknown and dropped items',
    url: withKeyQuery,
    body: () => {
      const e = event();
      return envelope({ event_id: e.event_id }, [
        { type: 'session', payload: { sid: 'x' } },
        { type: 'something_new', payload: 'opaque\nbytes', length: true },
        { type: 'attachment', payload: Buffer.alloc(5000, 7) },
        { type: 'event', payload: e, length: false },
      ]);
    },
    status: 200,
    queued: 1,
  },
  { name: 'only a client report', url: withKeyQuery, body: () => envelope({}, [{ type: 'client_report', payload: { discarded_events: [] } }]), status: 200, queued: 0 },
  { name: 'header line is not JSON', url: withKeyQuery, body: () => 'nope\n{"type":"event"}\n{}', status: 400 },
  { name: 'length runs past the end', url: withKeyQuery, body: () => '{}\n{"type":"event","length":500}\n{}', status: 400 },
  { name: 'bad event_id in envelope header', url: withKeyQuery, body: () => envelope({ event_id: 'xyz' }, [{ type: 'event', payload: event() }]), status: 400, detail: /event_id/ },
  {
    name: 'two event items',
    url: withKeyQuery,
    body: () => envelope({ event_id: newEventId() }, [{ type: 'event', payload: event() }, { type: 'event', payload: event() }]),
    status: 400,
  },
  {
    name: 'no event_id in header: taken from the payload',
    url: withKeyQuery,
    body: () => envelope({}, [{ type: 'event', payload: event() }]),
    status: 200,
    queued: 1,
  },
  // Event payloads the foreman could not digest are refused, whether or not the header has an id
  ...(
    [
      ['cut short', '{"message":', /event item is not valid JSON: at byte 11, expected a JSON value, found the end of the input/],
      ['empty', '', /event item is not valid JSON: at byte 0, expected a JSON object/],
      ['a JSON array', '[{"message":"x"}]', /event item must be a JSON object \(an event\), not an array/],
      ['a trailing comma', '{"message":"x",}', /at byte 15, expected a property name/],
      ['a raw newline in a string', '{"message":"a\rb"}', /at byte 13, expected no raw control character/],
      ['nested 20,000 deep', `{"extra":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, /event item nests arrays and objects deeper than 127 levels \(at byte 135\)/],
    ] as const
  ).flatMap(([what, payload, detail]): Case[] => [
    {
      name: `event item ${what}, with event_id in the envelope header`,
      url: withKeyQuery,
      body: () => envelope({ event_id: newEventId() }, [{ type: 'event', payload }]),
      status: 400,
      detail,
    },
    { name: `event item ${what}, without`, url: withKeyQuery, body: () => envelope({}, [{ type: 'event', payload, length: false }]), status: 400, detail },
  ]),
  {
    name: 'the issue-6 reproduction: header id, implicit-length item cut short',
    url: withKeyQuery,
    body: () => `{"event_id":"${newEventId()}"}\n{"type":"event"}\n{"message":`,
    status: 400,
    detail: /not valid JSON/,
  },
  {
    name: 'event item nested to the limit (127 levels)',
    url: withKeyQuery,
    body: () => envelope({ event_id: newEventId() }, [{ type: 'event', payload: `{"message":"deep","extra":{"v":${'['.repeat(125)}${']'.repeat(125)}}}` }]),
    status: 200,
    queued: 1,
  },
  {
    name: 'NaN and -Infinity from an old Python SDK',
    url: withKeyQuery,
    body: () => envelope({ event_id: newEventId() }, [{ type: 'event', payload: '{"message":"x","extra":{"v":NaN,"w":-Infinity}}' }]),
    status: 200,
    queued: 1,
  },
  // Envelope header dsn
  { name: 'dsn header alone authenticates', body: () => eventEnvelope(event(), { dsn: t.project.dsn }), status: 200, queued: 1 },
  {
    name: 'dsn header disagrees with the request key',
    url: withKeyQuery,
    body: () => eventEnvelope(event(), { dsn: `http://${'b'.repeat(32)}@sluice.test/${t.project.id}` }),
    status: 401,
  },
  { name: 'dsn header of an unknown key', body: () => eventEnvelope(event(), { dsn: `http://${'c'.repeat(32)}@sluice.test/${t.project.id}` }), status: 403 },
  // Limits
  {
    name: 'event item over the per-event limit',
    url: withKeyQuery,
    body: () => eventEnvelope(errorEvent({ extra: { blob: 'x'.repeat(70 * 1024) } })),
    status: 413,
  },
  {
    name: 'large attachment is fine while the event is small',
    url: withKeyQuery,
    body: () => {
      const e = event();
      return envelope({ event_id: e.event_id }, [{ type: 'event', payload: e }, { type: 'attachment', payload: Buffer.alloc(200 * 1024, 1) }]);
    },
    status: 200,
    queued: 1,
  },
  { name: 'request over the compressed limit', url: withKeyQuery, body: () => Buffer.alloc(300 * 1024, 0x20), status: 413 },
  {
    name: 'gzip bomb over the envelope limit',
    url: withKeyQuery,
    headers: () => ({ 'content-encoding': 'gzip' }),
    body: () => gzipSync(envelope({}, [{ type: 'attachment', payload: Buffer.alloc(4 * 1024 * 1024) }])),
    status: 413,
  },
];

describe('envelope endpoint', () => {
  it.each(cases)('$name → $status', async (c) => {
    const before = queued();
    const res = await t.app.inject({
      method: 'POST',
      url: (c.url ?? envelopeUrl)(t.project.id, t.project.key),
      headers: c.headers?.(t.project.key) ?? {},
      payload: c.body(),
    });
    expect(res.statusCode, res.body).toBe(c.status);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    if (c.status === 200) {
      expect(JSON.parse(res.body)).toEqual(c.queued ? { id: expect.stringMatching(/^[0-9a-f]{32}$/) } : expect.any(Object));
    } else {
      const body = JSON.parse(res.body) as { detail: string };
      expect(body.detail).toEqual(expect.any(String));
      expect(res.headers['x-sentry-error']).toBeTruthy();
      if (c.detail) expect(body.detail).toMatch(c.detail);
    }
    expect(queued() - before).toBe(c.queued ?? 0);
  });

  it('takes the event_id from the payload when the header has none', async () => {
    const id = newEventId();
    const dashed = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
    const res = await t.app.inject({
      method: 'POST',
      url: withKeyQuery(t.project.id, t.project.key),
      payload: envelope({}, [{ type: 'event', payload: { message: 'x', contexts: { trace: { event_id: 'nope' } }, event_id: dashed } }]),
    });
    expect(JSON.parse(res.body)).toEqual({ id });
  });

  it('refuses repeated auth headers naming different keys over a real socket', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const body = env();
    const send = (headerLines: string[]) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write(
            [`POST /api/${t.project.id}/envelope/ HTTP/1.1`, 'Host: sluice.test', 'Connection: close', `Content-Length: ${body.length}`, ...headerLines, '', ''].join('\r\n'),
          );
          socket.end(body);
        });
        let answer = '';
        socket.on('data', (d) => (answer += d.toString('latin1')));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    const statusOf = (answer: string) => Number(answer.split(' ')[1]);
    const [mine, theirs] = [`Sentry sentry_key=${t.project.key}, sentry_version=7`, `Sentry sentry_key=${other.key}, sentry_version=7`];
    expect(statusOf(await send([`X-Sentry-Auth: ${mine}`, `X-Sentry-Auth: ${theirs}`]))).toBe(401);
    expect(statusOf(await send([`Authorization: ${mine}`, `Authorization: ${theirs}`]))).toBe(401);
    expect(statusOf(await send([`X-Sentry-Auth: ${mine}`, `X-Sentry-Auth: ${mine}`]))).toBe(200);
    expect(statusOf(await send([`Authorization: ${mine}`, `Authorization: ${mine}`]))).toBe(200);
  });

  it('answers the CORS preflight as Relay does', async () => {
    const res = await t.app.inject({ method: 'OPTIONS', url: `/api/${t.project.id}/envelope/`, headers: { origin: 'https://app.example' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-headers']).toContain('x-sentry-auth');
    expect(res.headers['access-control-allow-headers']).toContain('content-encoding');
    expect(res.headers['access-control-expose-headers']).toBe('x-sentry-error, x-sentry-rate-limits, retry-after');
    expect(res.headers['access-control-max-age']).toBe('3600');
  });

  it('notices a disabled key within the refresh interval', async () => {
    const o = createProject(t.main, 'Soon disabled');
    await new Promise((r) => setTimeout(r, 150));
    const url = `/api/${o.project.id}/envelope/?sentry_key=${o.key.publicKey}`;
    expect((await t.app.inject({ method: 'POST', url, payload: env() })).statusCode).toBe(200);
    setKeyActive(t.main, allKeys(t.main).find((k) => k.publicKey === o.key.publicKey)!.id, false);
    await new Promise((r) => setTimeout(r, 150));
    const res = await t.app.inject({ method: 'POST', url, payload: env() });
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body).detail).toMatch(/disabled/);
  });
});

describe('store endpoint', () => {
  const storeCases: Array<{ name: string; body: () => Buffer | string; status: number; detail?: RegExp }> = [
    { name: 'JSON', body: () => JSON.stringify(event()), status: 200 },
    { name: 'base64(JSON)', body: () => Buffer.from(JSON.stringify(event())).toString('base64'), status: 200 },
    { name: 'base64(zlib(JSON))', body: () => deflateSync(Buffer.from(JSON.stringify(event()))).toString('base64'), status: 200 },
    { name: 'NaN from an old Python SDK', body: () => `{"event_id":"${newEventId()}","message":"x","extra":{"v":NaN}}`, status: 200 },
    { name: 'nested to the limit (127 levels)', body: () => `{"message":"deep","extra":{"v":${'['.repeat(125)}${']'.repeat(125)}}}`, status: 200 },
    { name: 'not JSON', body: () => 'hello', status: 400 },
    { name: 'a JSON array', body: () => '[1,2]', status: 400, detail: /^store body must be a JSON object \(an event\), not an array$/ },
    { name: 'cut short', body: () => '{"message":"x","extra":{', status: 400, detail: /store body is not valid JSON: at byte 24/ },
    { name: 'base64 of JSON cut short', body: () => Buffer.from('{"message":"x"').toString('base64'), status: 400, detail: /store body is not valid JSON: at byte 14/ },
    { name: 'nested 20,000 deep', body: () => `{"extra":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, status: 400, detail: /store body nests arrays and objects deeper than 127 levels/ },
  ];
  it.each(storeCases)('$name → $status', async (c) => {
    const before = queued();
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/${t.project.id}/store/`,
      headers: { 'x-sentry-auth': authHeader(t.project.key), 'content-type': 'application/json' },
      payload: c.body(),
    });
    expect(res.statusCode, res.body).toBe(c.status);
    if (c.detail) expect((JSON.parse(res.body) as { detail: string }).detail).toMatch(c.detail);
    expect(queued() - before).toBe(c.status === 200 ? 1 : 0);
  });

  it('answers with the event_id of the body, the one the foreman will store', async () => {
    const id = newEventId();
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/${t.project.id}/store/`,
      headers: { 'x-sentry-auth': authHeader(t.project.key) },
      payload: `{"extra":{"event_id":"not this"},"event_id":"${id.toUpperCase()}","message":"x"}`,
    });
    expect(JSON.parse(res.body)).toEqual({ id });
  });

  it('refuses a store request without credentials', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/${t.project.id}/store/`, payload: JSON.stringify(event()) });
    expect(res.statusCode).toBe(401);
  });
});

describe('health', () => {
  it('answers 200 when both databases read', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
  });
});
