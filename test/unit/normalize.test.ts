import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidEventError, normalizeEvent, normalizeEventId } from '../../src/digest/normalize.js';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus/events');
const NOW = 1_726_558_445.5;
const ID = '0123456789abcdef0123456789abcdef';

function norm(raw: Record<string, unknown>, eventId: string | null = ID) {
  return normalizeEvent(raw, { eventId, receivedAt: NOW });
}

describe('normalizeEventId', () => {
  it.each<[unknown, string | null]>([
    [ID, ID],
    [ID.toUpperCase(), ID],
    ['01234567-89ab-cdef-0123-456789abcdef', ID],
    ['01234567-89AB-CDEF-0123-456789ABCDEF', ID],
    [` ${ID} `, ID],
    ['0123456789abcdef0123456789abcde', null],
    ['0123456789abcdef0123456789abcdeg', null],
    ['01234567-89ab-cdef-0123456789abcdef', null],
    [12345, null],
    [null, null],
    [undefined, null],
  ])('%j → %j', (input, expected) => {
    expect(normalizeEventId(input)).toBe(expected);
  });
});

describe('normalizeEvent: event id', () => {
  it('prefers the envelope id over the payload id', () => {
    expect(norm({ event_id: 'ffffffffffffffffffffffffffffffff' }).eventId).toBe(ID);
  });
  it('takes a dashed payload id when the envelope has none', () => {
    const ev = norm({ event_id: 'FFFFFFFF-FFFF-4FFF-8FFF-FFFFFFFFFFFF' }, null);
    expect(ev.eventId).toBe('ffffffffffff4fff8fffffffffffffff');
    expect(ev.data.event_id).toBe(ev.eventId);
  });
  it('ignores an invalid envelope id', () => {
    expect(norm({ event_id: ID }, 'nope').eventId).toBe(ID);
  });
  it('makes a random one when there is none', () => {
    const a = norm({ event_id: 'bogus' }, null).eventId;
    const b = norm({}, null).eventId;
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });
});

describe('normalizeEvent: timestamp', () => {
  it.each<[string, unknown, number]>([
    ['float seconds', 1_726_558_400.25, 1_726_558_400.25],
    ['integer seconds', 1_726_558_400, 1_726_558_400],
    ['numeric string', '1726558400.5', 1_726_558_400.5],
    ['RFC 3339 with Z', '2024-09-17T07:33:20Z', 1_726_558_400],
    ['RFC 3339 without zone is UTC', '2024-09-17T07:33:20', 1_726_558_400],
    ['space separator', '2024-09-17 07:33:20', 1_726_558_400],
    ['microseconds', '2024-09-17T07:33:20.123456Z', 1_726_558_400.123456],
    ['positive offset', '2024-09-17T09:33:20+02:00', 1_726_558_400],
    ['negative offset, no colon', '2024-09-17T02:33:20-0500', 1_726_558_400],
    ['missing', undefined, NOW],
    ['garbage', 'yesterday', NOW],
    ['impossible date', '2024-13-45T99:00:00Z', NOW],
    ['negative number', -5, NOW],
    ['NaN-like object', { t: 1 }, NOW],
    ['within one minute ahead', NOW + 59, NOW + 59],
    ['far in the future', NOW + 3600, NOW],
  ])('%s', (_name, input, expected) => {
    const ev = norm(input === undefined ? {} : { timestamp: input });
    expect(ev.timestamp).toBeCloseTo(expected, 5);
    expect(ev.data.timestamp).toBe(ev.timestamp);
  });

  it('records a replaced timestamp in _meta', () => {
    expect(norm({ timestamp: NOW + 3600 }).data._meta).toEqual({
      timestamp: { '': { err: ['future_timestamp'], val: NOW + 3600 } },
    });
    expect(norm({ timestamp: 'nope', _meta: { other: 1 } }).data._meta).toEqual({
      other: 1,
      timestamp: { '': { err: ['invalid_data'], val: 'nope' } },
    });
    expect(norm({}).data._meta).toBeUndefined();
  });
});

describe('normalizeEvent: level', () => {
  it.each<[unknown, string]>([
    ['fatal', 'fatal'], ['error', 'error'], ['warning', 'warning'], ['info', 'info'], ['debug', 'debug'],
    ['log', 'info'], ['critical', 'fatal'], ['warn', 'warning'], ['err', 'error'], ['WARNING', 'warning'],
    [10, 'debug'], [20, 'info'], [30, 'warning'], [40, 'error'], [50, 'fatal'], ['30', 'warning'],
    [25, 'error'], ['verbose', 'error'], [null, 'error'], [undefined, 'error'], ['constructor', 'error'],
  ])('%j → %s', (input, expected) => {
    const ev = norm({ level: input });
    expect(ev.level).toBe(expected);
    expect(ev.data.level).toBe(expected);
  });
});

describe('normalizeEvent: scalar fields', () => {
  it('defaults platform to other', () => {
    expect(norm({}).platform).toBe('other');
    expect(norm({ platform: '' }).platform).toBe('other');
    expect(norm({ platform: 'python' }).data.platform).toBe('python');
  });
  it('coerces release and environment', () => {
    const ev = norm({ release: 12, environment: '  prod ' });
    expect([ev.release, ev.environment]).toEqual(['12', 'prod']);
    const empty = norm({ release: '', environment: null });
    expect([empty.release, empty.environment]).toEqual([null, null]);
    expect('release' in empty.data).toBe(false);
  });
  it('keeps unknown fields as they are', () => {
    const extra = { deep: { nested: [1, 2] } };
    const ev = norm({ extra, server_name: 'web-1', whatever: 42 });
    expect(ev.data.extra).toBe(extra);
    expect(ev.data.server_name).toBe('web-1');
    expect(ev.data.whatever).toBe(42);
  });
});

describe('normalizeEvent: tags', () => {
  it.each<[string, unknown, Array<[string, string]>]>([
    ['dict', { a: '1', b: 'x' }, [['a', '1'], ['b', 'x']]],
    ['list of pairs', [['a', '1'], ['b', 'x']], [['a', '1'], ['b', 'x']]],
    ['non-string values', { n: 5, t: true, o: { k: 1 } }, [['n', '5'], ['t', 'true'], ['o', '{"k":1}']]],
    ['null values dropped', { a: null, b: 'ok' }, [['b', 'ok']]],
    ['duplicates: last wins', [['a', '1'], ['b', '2'], ['a', '3']], [['a', '3'], ['b', '2']]],
    ['malformed entries dropped', [['a'], 'noval', 'k:v', 7, null, ['', 'x']], [['k', 'v']]],
    ['not a container', 'a=b', []],
  ])('%s', (_name, input, expected) => {
    const ev = norm({ tags: input });
    expect(ev.tags).toEqual(expected);
    expect(ev.data.tags).toEqual(expected.length > 0 ? expected : undefined);
  });
  it('cuts keys and values to 200 characters', () => {
    const ev = norm({ tags: { ['k'.repeat(300)]: 'v'.repeat(300) } });
    expect(ev.tags[0]?.[0]).toHaveLength(200);
    expect(ev.tags[0]?.[1]).toHaveLength(200);
  });
});

describe('normalizeEvent: fingerprint', () => {
  it.each<[unknown, string[] | null]>([
    [['a', 1, 2.5, true], ['a', '1', '2.5', 'true']],
    [['{{ default }}'], ['{{ default }}']],
    [[], null],
    [[null, {}], null],
    ['single', ['single']],
    [undefined, null],
    [42, null],
  ])('%j → %j', (input, expected) => {
    const ev = norm({ fingerprint: input });
    expect(ev.fingerprint).toEqual(expected);
    expect(ev.data.fingerprint).toEqual(expected ?? undefined);
  });
});

describe('normalizeEvent: message and logentry', () => {
  it.each<[string, Record<string, unknown>, unknown]>([
    ['message string', { message: 'hello' }, { formatted: 'hello' }],
    ['message object', { message: { message: 'hi %s', params: ['bob'] } }, { message: 'hi %s', params: ['bob'], formatted: 'hi bob' }],
    ['logentry string', { logentry: 'plain' }, { formatted: 'plain' }],
    ['logentry object kept', { logentry: { formatted: 'f', message: 'm' } }, { formatted: 'f', message: 'm' }],
    ['named params', { logentry: { message: '%(n)d items', params: { n: 3 } } }, { message: '%(n)d items', params: { n: 3 }, formatted: '3 items' }],
    ['brace params', { logentry: { message: '{0} and {1}', params: ['a', 'b'] } }, { message: '{0} and {1}', params: ['a', 'b'], formatted: 'a and b' }],
    ['logentry wins over message', { logentry: { formatted: 'x' }, message: 'y' }, { formatted: 'x' }],
    ['empty', { message: '  ' }, undefined],
    ['wrong type', { logentry: 5 }, undefined],
  ])('%s', (_name, raw, expected) => {
    expect(norm(raw).data.logentry).toEqual(expected);
  });
  it('moves a legacy string message into logentry', () => {
    expect(norm({ message: 'hello' }).data.message).toBeUndefined();
    expect(norm({ logentry: { formatted: 'x' }, message: 'y' }).data.message).toBe('y');
  });
  it('cuts a huge message to 8192 characters', () => {
    const entry = norm({ message: 'x'.repeat(10_000) }).data.logentry as { formatted: string };
    expect(entry.formatted).toHaveLength(8192);
  });
});

describe('normalizeEvent: exception', () => {
  const exc = { type: 'E', value: 'v', stacktrace: { frames: [{ function: 'f' }] } };
  it.each<[string, unknown, unknown]>([
    ['{values}', { values: [exc] }, { values: [exc] }],
    ['bare list', [exc], { values: [exc] }],
    ['single object', exc, { values: [exc] }],
    ['junk entries dropped', { values: [null, 3, exc] }, { values: [exc] }],
    ['numeric value', [{ type: 'E', value: 42 }], { values: [{ type: 'E', value: '42' }] }],
    ['null fields dropped', [{ type: null, value: null, stacktrace: null, mechanism: 'x' }], { values: [{}] }],
    ['junk frames dropped', [{ type: 'E', stacktrace: { frames: [null, { function: 'f' }, 'x'] } }], { values: [{ type: 'E', stacktrace: { frames: [{ function: 'f' }] } }] }],
    ['frames not a list', [{ type: 'E', stacktrace: { frames: 'x' } }], { values: [{ type: 'E', stacktrace: { frames: [] } }] }],
    ['empty values', { values: [] }, undefined],
    ['wrong type', 'boom', undefined],
  ])('%s', (_name, input, expected) => {
    expect(norm({ exception: input }).data.exception).toEqual(expected);
  });
  it('maps legacy interface names', () => {
    const ev = norm({ 'sentry.interfaces.Exception': { values: [exc] }, 'sentry.interfaces.Message': { message: 'm' } });
    expect(ev.data.exception).toEqual({ values: [exc] });
    expect(ev.data.logentry).toEqual({ message: 'm', formatted: 'm' });
    expect('sentry.interfaces.Exception' in ev.data).toBe(false);
  });
});

describe('normalizeEvent: breadcrumbs, threads, contexts', () => {
  const crumb = { timestamp: 1_726_558_400, message: 'a' };
  it.each<[string, unknown, unknown]>([
    ['{values}', { values: [crumb] }, { values: [crumb] }],
    ['bare list', [crumb, null], { values: [crumb] }],
    ['ISO timestamp', [{ timestamp: '2024-09-17T07:33:20Z' }], { values: [{ timestamp: 1_726_558_400 }] }],
    ['bad timestamp dropped', [{ timestamp: 'x', message: 'm' }], { values: [{ message: 'm' }] }],
    ['wrong type', 'x', undefined],
  ])('breadcrumbs: %s', (_name, input, expected) => {
    expect(norm({ breadcrumbs: input }).data.breadcrumbs).toEqual(expected);
  });
  it.each<[string, unknown, unknown]>([
    ['{values}', { values: [{ id: 1, crashed: true }] }, { values: [{ id: 1, crashed: true }] }],
    ['bare list', [{ id: 1, stacktrace: { frames: [null] } }], { values: [{ id: 1, stacktrace: { frames: [] } }] }],
    ['wrong type', 7, undefined],
  ])('threads: %s', (_name, input, expected) => {
    expect(norm({ threads: input }).data.threads).toEqual(expected);
  });
  it('allows null context values and drops non-object contexts', () => {
    expect(norm({ contexts: { os: null, trace: { type: 'trace' } } }).data.contexts).toEqual({
      os: null,
      trace: { type: 'trace' },
    });
    expect(norm({ contexts: 'x' }).data.contexts).toBeUndefined();
  });
});

describe('normalizeEvent: user and request', () => {
  it.each<[unknown, unknown]>([
    [{ id: 42, email: 'a@b.c' }, { id: '42', email: 'a@b.c' }],
    [{ id: 'abc' }, { id: 'abc' }],
    [{ id: null, username: 'u' }, { username: 'u' }],
    ['not an object', undefined],
  ])('user %j', (input, expected) => {
    expect(norm({ user: input }).data.user).toEqual(expected);
  });
  it.each<[string, unknown, unknown]>([
    ['dict', { Host: 'x', 'X-N': 5 }, [['Host', 'x'], ['X-N', '5']]],
    ['list of pairs', [['Accept', 'a'], ['Accept', 'b'], ['bad'], ['Null', null]], [['Accept', 'a'], ['Accept', 'b']]],
    ['multi-valued dict', { Accept: ['a', 'b'], Host: ['h'] }, [['Accept', 'a'], ['Accept', 'b'], ['Host', 'h']]],
    ['raw string', 'Host: x\r\nAccept: y', [['Host', 'x'], ['Accept', 'y']]],
    ['wrong type', 5, undefined],
  ])('request.headers: %s', (_name, input, expected) => {
    const request = norm({ request: { url: 'http://x/', headers: input } }).data.request as Record<string, unknown>;
    expect(request.url).toBe('http://x/');
    expect(request.headers).toEqual(expected);
  });
});

describe('normalizeEvent: robustness', () => {
  it.each<[unknown]>([[null], [[]], ['{}'], [42], [undefined], [true]])('rejects %j', (raw) => {
    expect(() => normalizeEvent(raw, { receivedAt: NOW })).toThrow(InvalidEventError);
  });

  const fields = ['event_id', 'timestamp', 'level', 'platform', 'release', 'environment', 'tags', 'fingerprint',
    'message', 'logentry', 'exception', 'threads', 'breadcrumbs', 'stacktrace', 'request', 'user', 'contexts',
    'transaction', '_meta', 'sentry.interfaces.Http'];
  const weird: unknown[] = [null, 0, -1, NaN, '', 'x', true, [], [null], {}, { values: null }, { values: [null, 1] }];
  it('never throws on a wrong-typed field', () => {
    for (const field of fields) {
      for (const value of weird) {
        const ev = normalizeEvent({ [field]: value }, { receivedAt: NOW });
        expect(ev.eventId).toMatch(/^[0-9a-f]{32}$/);
        expect(Number.isFinite(ev.timestamp)).toBe(true);
      }
    }
  });

  it('does not mutate its input', () => {
    const raw = {
      tags: { a: 1 },
      user: { id: 1 },
      message: 'm',
      exception: [{ type: 'E', value: 3, stacktrace: { frames: [null, { function: 'f' }] } }],
      request: { headers: { A: ['1'] } },
      breadcrumbs: [{ timestamp: '2024-09-17T07:33:20Z' }],
      timestamp: 'bad',
    };
    const before = JSON.stringify(raw);
    norm(raw);
    expect(JSON.stringify(raw)).toBe(before);
  });
});

describe('normalizeEvent: corpus', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json'));
  it('has the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(161);
  });
  it.each(files)('%s', (file) => {
    const raw: unknown = JSON.parse(readFileSync(join(CORPUS, file), 'utf8'));
    const ev = normalizeEvent(raw, { receivedAt: NOW });
    expect(ev.eventId).toMatch(/^[0-9a-f]{32}$/);
    expect(Number.isFinite(ev.timestamp)).toBe(true);
    expect(['fatal', 'error', 'warning', 'info', 'debug']).toContain(ev.level);
    expect(ev.platform).not.toBe('');
    JSON.stringify(ev.data);
  });
  it('stringifies integers in custom-fingerprint-int.json', () => {
    const raw: unknown = JSON.parse(readFileSync(join(CORPUS, 'custom-fingerprint-int.json'), 'utf8'));
    const ev = normalizeEvent(raw, { receivedAt: NOW });
    expect(ev.fingerprint).toEqual(['celery', '123', 'sentry.tasks.store.process_event']);
  });
});
