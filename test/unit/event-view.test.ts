// The event page's view model over every corpus event, and over hand-made edge cases.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../src/digest/normalize.js';
import { eventView } from '../../src/issues/event-view.js';

const EVENTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus/events');
const files = fs.readdirSync(EVENTS).filter((f) => f.endsWith('.json')).sort();
const view = (raw: unknown) => eventView(normalizeEvent(raw, { receivedAt: Date.now() / 1000 }).data, 't');
const load = (f: string) => JSON.parse(fs.readFileSync(path.join(EVENTS, f), 'utf8')) as unknown;

describe('eventView over the corpus', () => {
  it.each(files)('%s', (f) => {
    const v = view(load(f));
    expect(v.exceptions.length + v.threads.length + (v.message ? 1 : 0) + v.frames.length).toBeGreaterThan(0);
    for (const e of v.exceptions) for (const fr of e.frames) expect(typeof fr.function).toBe('string');
  });

  it('lines up source context around the crash line, newest frame first', () => {
    const v = view(load('laravel.json'));
    const thrown = v.exceptions.at(-1)!;
    expect(thrown.role).toBe('thrown');
    const top = thrown.frames[0]!;
    expect(top.lineno).toBe(22);
    const current = top.context.find((l) => l.current)!;
    expect(current).toEqual({ lineno: 22, code: expect.stringContaining("throw new Exception('LARAVEL TEST')"), current: true });
    expect(top.context[0]!.lineno).toBe(17);
  });

  it('keeps a chain of exceptions in order, causes before the thrown one', () => {
    const v = view(load('java-chained.json'));
    expect(v.exceptions.map((e) => e.role)).toEqual(['cause', 'cause', 'thrown']);
  });
});

describe('eventView edge cases', () => {
  it('renders frames with every field missing', () => {
    const v = view({ exception: { values: [{ stacktrace: { frames: [{}, { function: null, lineno: 'x' }, 5] } }] } });
    expect(v.exceptions[0]!.frames).toEqual([
      expect.objectContaining({ function: '?', location: '', lineno: null }),
      expect.objectContaining({ function: '?', location: '', lineno: null }),
    ]);
  });

  it('turns breadcrumbs, request, user, contexts, tags and extra into rows', () => {
    const v = view({
      message: 'hello',
      breadcrumbs: [{ timestamp: 1700000000, category: 'ui.click', message: 'button', data: { id: 'buy' } }],
      request: { method: 'POST', url: 'https://shop.test/cart', headers: { 'User-Agent': 'x' }, data: { a: 1 } },
      user: { id: 7, email: 'a@b.c' },
      contexts: { os: { name: 'Linux', version: '6.1' }, empty: null },
      tags: { region: 'eu' },
      extra: { big: 'y'.repeat(1000) },
    });
    expect(v.message).toBe('hello');
    expect(v.breadcrumbs).toEqual([
      { time: '2023-11-14T22:13:20.000Z', category: 'ui.click', level: 'info', type: 'default', message: 'button', data: '{"id":"buy"}' },
    ]);
    expect(v.request).toMatchObject({ method: 'POST', url: 'https://shop.test/cart', headers: [['User-Agent', 'x']] });
    expect(v.user).toEqual([
      ['id', '7'],
      ['email', 'a@b.c'],
    ]);
    expect(v.contexts).toEqual([{ name: 'os', type: 'os', rows: [['name', 'Linux'], ['version', '6.1']] }]);
    expect(v.tags).toEqual([['region', 'eu']]);
    expect(v.extra[0]![1].length).toBe(400);
  });
});
