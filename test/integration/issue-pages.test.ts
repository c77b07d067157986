// Issue pages in process (app.inject), for what the corpus does not hold:
// hand-made events with odd or missing fields, exception groups, huge values;
// and the behaviours fixed after review (the bulk form's way back, event
// navigation keeping the frame toggles, tag links that search for exactly
// their value, a note when "in-app" has nothing to show).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransaction } from '../../src/db/transaction.js';
import { createProject } from '../../src/projects/projects.js';
import { upsertMember } from '../../src/teams/members.js';
import { createTeam } from '../../src/teams/teams.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { digestInto } from '../helpers/digest.js';
import { expectWholePage } from '../helpers/pages.js';
import { addUser, get, post, signedIn, type Browser } from '../helpers/web.js';

let t: TestApp;
let member: Browser;
let loner: Browser;
let projectId: number;

beforeAll(async () => {
  t = await testApp();
  const admin = await addUser(t);
  const plain = await addUser(t);
  const team = createTeam(t.main, 'Pages', admin.id);
  writeTransaction(t.main.sqlite, 'test.join', () => upsertMember(t.main, team.id, plain.id, 'member', Date.now()));
  projectId = createProject(t.main, 'Pages', Date.now(), team.id).project.id;
  member = signedIn(t, plain.id);
  loner = signedIn(t, (await addUser(t)).id);
});
afterAll(async () => t?.close());

const one = (event: Record<string, unknown>) => digestInto(t.main, projectId, [event])[0]!;

/** Every view of one event: issue page, event page in each mode, events list. */
async function renderAll(issueId: number, eventId: string): Promise<string[]> {
  const pages: string[] = [];
  for (const url of [
    `/issues/${issueId}`,
    `/issues/${issueId}/events`,
    `/issues/${issueId}/events/${eventId}?frames=all&order=cause`,
    `/issues/${issueId}/events/${eventId}?frames=app&order=thrown`,
  ]) {
    const res = await get(t, url, member);
    expectWholePage(url, res);
    pages.push(res.body);
  }
  return pages;
}

describe('events nobody would design', () => {
  it.each<[string, Record<string, unknown>]>([
    ['frames with every field missing or of the wrong type', { exception: { values: [{ type: 'Odd', stacktrace: { frames: [{}, { function: null, lineno: 'x', colno: {} }, 5, null, { context_line: 7, pre_context: [null, {}], post_context: 'x', vars: [] }] } }] } }],
    ['an exception with neither type nor value', { exception: { values: [{ stacktrace: { frames: [{ function: 'f' }] } }] } }],
    ['an exception without a stack trace, and a stack trace without frames', { exception: { values: [{ type: 'A', value: 'a' }, { type: 'B', value: 'b', stacktrace: {} }] } }],
    [
      'an exception group with nested causes',
      {
        exception: {
          values: [
            { type: 'ValueError', value: 'child 1', mechanism: { type: 'chained', source: 'exceptions[0]', exception_id: 2, parent_id: 1 } },
            { type: 'TypeError', value: 'child 2', mechanism: { type: 'chained', source: 'exceptions[1]', exception_id: 3, parent_id: 1 } },
            { type: 'ExceptionGroup', value: 'many things (2 sub-exceptions)', mechanism: { type: 'generic', is_exception_group: true, exception_id: 1, handled: true } },
          ],
        },
      },
    ],
    ['threads only, one crashed, one with no frames', { threads: { values: [{ id: 1, name: 'main', crashed: true, stacktrace: { frames: [{ instruction_addr: '0x1', package: '/usr/lib/libc.so.6' }] } }, { id: 2 }] } }],
    ['a message with a stack trace at the top level', { message: 'attachStacktrace', stacktrace: { frames: [{ filename: 'a.py', function: 'f', lineno: 1, in_app: true }] } }],
    [
      'odd breadcrumbs, request, user, contexts, tags and extra',
      {
        message: 'odd details',
        breadcrumbs: [{ timestamp: '2026-01-01T00:00:00Z', data: [1, 2] }, { timestamp: 'yesterday', message: { nested: true }, level: 'critical' }, 7, null],
        request: { url: 7, headers: [['X-A', 'b'], ['lonely'], 'x'], data: 'raw body', cookies: { a: 'b' } },
        user: { id: 9, geo: { city: 'Oslo' } },
        contexts: { os: 'not an object', runtime: { name: 'CPython', version: 3.12 }, gpu: { type: 'gpu', name: null } },
        tags: [['a', 'b'], 'c:d', ['lonely']],
        extra: { nested: { deep: { deeper: [1, { x: null }] } }, empty: '', n: 0, f: false },
        modules: { django: '5.0' },
        sdk: { name: 'sentry.python', version: '2.0', integrations: ['django'], packages: [{ name: 'pypi:sentry-sdk', version: '2.0' }] },
      },
    ],
    [
      'huge values, long unbroken words, control characters and right-to-left text',
      {
        exception: { values: [{ type: 'E'.repeat(600), value: `${'x'.repeat(20_000)}\n\u202eevil\u0000\u0007 end`, stacktrace: { frames: Array.from({ length: 400 }, (_, i) => ({ function: `f${i}`, filename: `${'dir/'.repeat(80)}file${i}.js`, lineno: i, in_app: i % 2 === 0, context_line: 'y'.repeat(5000), vars: { big: 'z'.repeat(10_000) } })) } }] },
        breadcrumbs: Array.from({ length: 500 }, (_, i) => ({ message: `crumb ${i} ${'w'.repeat(3000)}` })),
        extra: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])),
      },
    ],
  ])('%s', async (_, event) => {
    const { issueId, eventId } = one(event);
    await renderAll(issueId, eventId);
  });

  it('says which exception of a group is the group', async () => {
    const { issueId } = one({ exception: { values: [{ type: 'Inner', value: 'i' }, { type: 'OuterGroup', value: 'o', mechanism: { type: 'generic', is_exception_group: true } }] } });
    const html = (await get(t, `/issues/${issueId}`, member)).body;
    expect(html).toMatch(/Thrown · exception group · generic/);
    expect(html).toContain('Caused by');
  });

  it('cuts every text of an event at the size limit to a readable length', async () => {
    // Nine 100 000-character strings: an event just under MAX_EVENT_BYTES (1 MiB).
    const huge = 'h'.repeat(100_000);
    const { issueId, eventId } = one({
      message: huge,
      exception: { values: [{ type: huge, value: huge, stacktrace: { frames: [{ function: huge, filename: 'a.js', in_app: true, vars: { v: huge } }] } }] },
      breadcrumbs: [{ message: huge }],
      request: { url: huge },
      contexts: { app: { name: huge } },
      extra: { [huge]: 1 },
    });
    for (const url of [`/issues/${issueId}`, `/issues/${issueId}/events/${eventId}?frames=all`]) {
      const res = await get(t, url, member);
      expectWholePage(url, res);
      expect(res.body.length, url).toBeLessThan(120_000);
    }
  });

  it('shows the newest 250 frames of a deep stack', async () => {
    const { issueId } = one({ exception: { values: [{ type: 'Deep', value: 'd', stacktrace: { frames: Array.from({ length: 400 }, (_, i) => ({ function: `f${i}` })) } }] } });
    const html = (await get(t, `/issues/${issueId}?frames=all`, member)).body;
    expect(html.match(/<li class="frame[ "]/g)).toHaveLength(250);
    expect(html).toContain('>f399<');
    expect(html).not.toContain('>f149<');
  });
});

describe('after review', () => {
  it('sends a bulk action back to the list without the notice of the previous one', async () => {
    const { issueId } = one({ exception: { values: [{ type: 'BulkBack', value: 'x' }] } });
    const list = `/projects/${projectId}/issues?tab=all&notice=issues-resolve`;
    const html = (await get(t, list, member)).body;
    const back = /name="back" value="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&');
    expect(back).toBe(`/projects/${projectId}/issues?tab=all`);
    const res = await post(t, '/issues/bulk', member, { issue: String(issueId), action: 'mute', mute: 'forever', back });
    expect(res.headers.location).toBe(`/projects/${projectId}/issues?tab=all&notice=issues-mute`);
    expect((await get(t, String(res.headers.location), member)).body).toContain('The selected issues are muted.');
  });

  it('keeps the frame and order toggles when moving between events', async () => {
    const ev = (n: number) => ({ fingerprint: ['nav'], exception: { values: [{ type: 'Nav', value: String(n) }] } });
    const [a, b, c] = digestInto(t.main, projectId, [ev(1), ev(2), ev(3)]);
    const html = (await get(t, `/issues/${b!.issueId}/events/${b!.eventId}?frames=all&order=cause`, member)).body;
    const base = `/issues/${b!.issueId}/events/`;
    for (const target of [a!.eventId, c!.eventId]) expect(html).toContain(`href="${base}${target}?frames=all&amp;order=cause"`);
  });

  it('links each tag value to a search for exactly that value, and leaves unsearchable keys unlinked', async () => {
    const { issueId } = one({ exception: { values: [{ type: 'Tagged', value: 'x' }] }, tags: { quote: 'say "hi" \\o/', 'has space': 'v', 'sentry:user': 'u' } });
    const html = (await get(t, `/issues/${issueId}`, member)).body;
    expect(html).toContain(`href="/projects/${projectId}/issues?tab=all&amp;query=${encodeURIComponent('quote:"say \\"hi\\" \\\\o/"').replaceAll('&', '&amp;')}"`);
    const res = await get(t, `/projects/${projectId}/issues?tab=all&query=${encodeURIComponent('quote:"say \\"hi\\" \\\\o/"')}`, member);
    expect(res.body).not.toContain('This search is not understood');
    expect(res.body).toContain(`href="/issues/${issueId}"`);
    // Keys a search cannot name are shown, without a link.
    expect(html).toMatch(/<div class="tag-bar" title="v: 1 event \(100%\)">/);
    expect(html).toMatch(/<div class="tag-bar" title="u: 1 event \(100%\)">/);
  });

  it('says so when "in-app" has no in-app frame to show', async () => {
    const { issueId } = one({ exception: { values: [{ type: 'Native', value: 'x', stacktrace: { frames: [{ function: 'a' }, { function: 'b' }] } }] } });
    const html = (await get(t, `/issues/${issueId}`, member)).body;
    expect(html).toContain('No frame is marked in-app: showing all 2.');
    expect((await get(t, `/issues/${issueId}?frames=all`, member)).body).not.toContain('No frame is marked in-app');
  });

  it('shows an empty list, not an error, to someone without projects', async () => {
    const res = await get(t, '/issues', loner);
    expectWholePage('/issues', res);
    expect(res.body).toContain('No open issues');
  });
});
