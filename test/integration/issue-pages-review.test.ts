// Issue pages in process (app.inject), for what a review of the UI found:
// tab counts that stop at the cap say so, bulk actions reveal nothing about
// issues of other teams, the list offers only the actions the viewer may take
// and the issue page's mute choices, a tag search that matched nothing offers
// the words as text, the issue header says how an issue is resolved or muted,
// history speaks in human durations, releases come newest first by release
// order, the tags sidebar does not repeat the header, and threads follow the
// in-app toggle.
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
let admin: Browser;
let member: Browser;
let projectId: number;
let otherProjectId: number;
let ownProjectId: number;

beforeAll(async () => {
  t = await testApp();
  const a = await addUser(t);
  const m = await addUser(t);
  const stranger = await addUser(t);
  const team = createTeam(t.main, 'Review', a.id);
  writeTransaction(t.main.sqlite, 'test.join', () => upsertMember(t.main, team.id, m.id, 'member', Date.now()));
  projectId = createProject(t.main, 'Review', Date.now(), team.id).project.id;
  // Another team's project, invisible to both.
  otherProjectId = createProject(t.main, 'Elsewhere', Date.now(), createTeam(t.main, 'Elsewhere', stranger.id).id).project.id;
  // A team the member administers: on /issues they then see projects they may and may not delete from.
  ownProjectId = createProject(t.main, 'Own', Date.now(), createTeam(t.main, 'Own', m.id).id).project.id;
  admin = signedIn(t, a.id);
  member = signedIn(t, m.id);
});
afterAll(async () => t?.close());

const err = (type: string, value: string, extra: Record<string, unknown> = {}) => ({ exception: { values: [{ type, value }] }, ...extra });
const one = (event: Record<string, unknown>, pid = projectId) => digestInto(t.main, pid, [event])[0]!;
const page = async (url: string, as: Browser) => {
  const res = await get(t, url, as);
  expectWholePage(url, res);
  return res.body;
};
const exists = (id: number) => t.main.sqlite.prepare('SELECT count(*) FROM issues WHERE id = ?').pluck().get(id) === 1;
/** The text of an element, tags removed and spaces squeezed. */
const textOf = (html: string, cls: string) => {
  const m = new RegExp(`<div class="[^"]*\\b${cls}\\b[^"]*">([\\s\\S]*?)</div>`).exec(html);
  return m ? m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() : null;
};

describe('the issue list', () => {
  it('shows a count that stopped at the cap as "1,000+", on every tab that includes it', async () => {
    const pid = createProject(t.main, 'Busy', Date.now(), null).project.id;
    digestInto(t.main, pid, Array.from({ length: 1003 }, (_, i) => err('Busy', `job ${i}`, { fingerprint: [`busy-${i}`] })));
    const su = signedIn(t, (await addUser(t, undefined, { superuser: true })).id);
    const html = await page(`/projects/${pid}/issues?query=Busy`, su);
    const counts = [...html.matchAll(/<span class="tab-count"[^>]*>([^<]*)<\/span>/g)].map((m) => m[1]);
    // Open, Unresolved, Muted, Resolved, All.
    expect(counts).toEqual(['1,000+', '1,000+', '0', '0', '1,000+']);
    expect(html).toContain('title="at least 1,000: a text search stops counting there"');
    // Without a text search the count is exact.
    expect([...(await page(`/projects/${pid}/issues`, su)).matchAll(/<span class="tab-count"[^>]*>([^<]*)<\/span>/g)].map((m) => m[1])).toEqual([
      '1,003',
      '1,003',
      '0',
      '0',
      '1,003',
    ]);
  });

  it('answers a bulk delete of another team\'s issue exactly as one of an issue that does not exist', async () => {
    const hidden = one(err('Hidden', 'x'), otherProjectId).issueId;
    const back = `/projects/${projectId}/issues`;
    const invisible = await post(t, '/issues/bulk', admin, { issue: String(hidden), action: 'delete', back });
    const missing = await post(t, '/issues/bulk', admin, { issue: '987654321', action: 'delete', back });
    expect([invisible.statusCode, invisible.headers.location]).toEqual([missing.statusCode, missing.headers.location]);
    expect(invisible.statusCode).toBe(303);
    expect(exists(hidden)).toBe(true);
    // Mixed with a visible issue, only the visible one goes.
    const mine = one(err('MineToDelete', 'x')).issueId;
    await post(t, '/issues/bulk', admin, { issue: String(mine), action: 'delete', back });
    expect([exists(mine), exists(hidden)]).toEqual([false, true]);
  });

  it('offers Delete only to those who may delete', async () => {
    one(err('Deletable', 'x'));
    one(err('OwnIssue', 'x'), ownProjectId);
    const deleteButton = /<button type="submit" name="action" value="delete"/;
    expect(await page(`/projects/${projectId}/issues`, admin)).toMatch(deleteButton);
    const asMember = await page(`/projects/${projectId}/issues`, member);
    expect(asMember).not.toMatch(deleteButton);
    expect(asMember).not.toContain('bulk-delete');
    expect(await page(`/projects/${ownProjectId}/issues`, member)).toMatch(deleteButton);
    // Across projects where they are admin of some: shown, disabled, with the reason.
    const across = await page('/issues', member);
    expect(across).not.toMatch(deleteButton);
    expect(across).toMatch(/<button type="button" class="[^"]*bulk-delete" disabled title="Only team admins can delete issues/);
    // And the member's delete is refused whatever the page shows.
    const id = one(err('NotYours', 'x')).issueId;
    expect((await post(t, '/issues/bulk', member, { issue: String(id), action: 'delete' })).statusCode).toBe(403);
  });

  it('offers the issue page\'s mute choices, and they work in bulk', async () => {
    const id = one(err('MuteChoices', 'x')).issueId;
    const options = (html: string) => /<select[^>]*name="mute"[^>]*>([\s\S]*?)<\/select>/.exec(html)![1]!.match(/<option value="[^"]*">[^<]*<\/option>/g);
    const list = options(await page(`/projects/${projectId}/issues`, member));
    const issue = options(await page(`/issues/${id}`, member));
    expect(list).toEqual(issue);
    expect(list!.join()).toMatch(/value="1m".*value="3m".*value="volume:5\/3600000"/);
    const res = await post(t, '/issues/bulk', member, { issue: String(id), action: 'mute', mute: 'volume:5/3600000' });
    expect(res.statusCode).toBe(303);
    expect(t.main.sqlite.prepare('SELECT status, mute_count, mute_window_ms FROM issues WHERE id = ?').get(id)).toEqual({ status: 'muted', mute_count: 5, mute_window_ms: 3_600_000 });
  });

  it('shows the level once per row, as one element', async () => {
    one(err('LevelOnce', 'x', { level: 'warning' }));
    const html = await page(`/projects/${projectId}/issues?query=LevelOnce`, member);
    const row = /<tr class="issue-row[\s\S]*?<\/tr>/.exec(html)![0];
    expect(row.match(/level-warning/g)).toHaveLength(1);
    expect(row).toContain('<span class="level level-warning">warning</span>');
  });

  it('gives the page a select-all box that only shows with its script', async () => {
    const html = await page(`/projects/${projectId}/issues`, member);
    expect(html).toMatch(/<input type="checkbox" class="select-all" data-select-all hidden/);
    const js = await get(t, '/assets/app.js');
    expect(js.statusCode).toBe(200);
    expect(js.body).toContain('data-select-all');
  });
});

describe('a tag search that matches nothing', () => {
  it('says no issue has the tag, and offers the words as text', async () => {
    const id = one({ message: 'Retry:3 failed for job 12' }).issueId;
    const html = await page(`/projects/${projectId}/issues?tab=all&query=${encodeURIComponent('Retry:3 failed')}`, member);
    expect(html).toContain('No issue matches this search');
    expect(html).toMatch(/No issue has the tag <code>Retry<\/code> = <code>3<\/code>/);
    const link = /search for them as text: <a href="([^"]+)">([^<]+)<\/a>/.exec(html)!;
    expect(link[2]).toBe('&quot;Retry:3&quot; failed');
    const found = await page(link[1]!.replaceAll('&amp;', '&'), member);
    expect(found).toContain(`href="/issues/${id}"`);
    expect(found).not.toContain('No issue has the tag');
  });

  it('says nothing of tags when the tag exists but the other terms exclude it', async () => {
    one(err('Tagged', 'x', { tags: { region: 'eu' } }));
    const html = await page(`/projects/${projectId}/issues?tab=all&query=${encodeURIComponent('region:eu nothing-like-this')}`, member);
    expect(html).toContain('No issue matches this search');
    expect(html).not.toContain('No issue has the tag');
  });

  it('does not reveal tags of other teams\' issues', async () => {
    one(err('Secret', 'x', { tags: { secret: 'yes' } }), otherProjectId);
    expect(await page(`/projects/${projectId}/issues?tab=all&query=secret:yes`, member)).toMatch(/No issue has the tag <code>secret<\/code>/);
  });
});

describe('the issue header and history', () => {
  async function header(id: number) {
    return textOf(await page(`/issues/${id}`, member), 'issue-state');
  }

  it.each<[string, Record<string, string>, RegExp]>([
    ['resolve in a release', { resolution: 'in_release', release: 'shop@1.11.0' }, /^error resolved in shop@1\.11\.0 by \S+, just now/],
    ['resolve in the next release', { resolution: 'in_next_release' }, /^error resolved in the next release, after shop@1\.10\.0 by /],
    ['resolve now', { resolution: 'now' }, /^error resolved by /],
  ])('%s', async (_, form, expected) => {
    const id = one(err('Resolvable', form.resolution!, { release: 'shop@1.10.0', fingerprint: [form.resolution!] })).issueId;
    expect((await post(t, `/issues/${id}/resolve`, member, form)).statusCode).toBe(303);
    expect(await header(id)).toMatch(expected);
  });

  it.each<[string, string, RegExp, RegExp]>([
    ['for a week', '1w', /^error muted until \d+ \w+ \d{4}, \d\d:\d\d UTC by /, /for 1 week/],
    ['until a volume', 'volume:5/3600000', /^error muted until 5 events in 1 hour by /, /until 5 events in 1 hour/],
    ['forever', 'forever', /^error muted forever by /, /forever/],
  ])('mute %s', async (_, mute, head, history) => {
    const id = one(err('Mutable', mute, { fingerprint: [mute] })).issueId;
    expect((await post(t, `/issues/${id}/mute`, member, { mute })).statusCode).toBe(303);
    expect(await header(id)).toMatch(head);
    const html = await page(`/issues/${id}`, member);
    const entries = /<ol class="card-body history">([\s\S]*?)<\/ol>/.exec(html)![1]!;
    expect(/<span class="small history-detail">([\s\S]*?)<\/span>/.exec(entries)![1]).toMatch(history);
    expect(entries).not.toMatch(/\d+ hours|\d+ min\b/);
  });

  it('lists releases newest first by release order, with "+N more"', async () => {
    // Seen in this order, so by last seen 1.2.0 would come first.
    const versions = ['shop@1.9.0', 'shop@1.11.0', 'shop@1.10.0', 'shop@1.2.0'];
    let issueId = 0;
    for (const release of versions) issueId = one(err('Released', 'x', { release, fingerprint: ['released'] })).issueId;
    const html = await page(`/issues/${issueId}`, member);
    const fact = /<div class="fact fact-releases">([\s\S]*?)\n  <\/div>/.exec(html)![1]!;
    const names = [...fact.matchAll(/<span class="fact-item-name">([^<]+)<\/span>/g)].map((m) => m[1]);
    expect(names).toEqual(['shop@1.11.0', 'shop@1.10.0', 'shop@1.9.0', 'shop@1.2.0']);
    expect(fact).toMatch(/<summary>\+1 more<\/summary>[\s\S]*shop@1\.2\.0/);
    expect(fact.indexOf('<details')).toBeGreaterThan(fact.indexOf('shop@1.9.0'));
  });

  it('does not repeat release, environment or a single level among the tags', async () => {
    const ev = (level: string) => err('TagsOnce', 'x', { level, release: 'shop@3.0.0', environment: 'production', tags: { region: 'eu' }, fingerprint: ['tags-once'] });
    const { issueId } = one(ev('error'));
    const keys = async () => [...(await page(`/issues/${issueId}`, member)).matchAll(/<span class="tag-key-name">([^<]+)<\/span>/g)].map((m) => m[1]);
    expect(await keys()).not.toEqual(expect.arrayContaining(['release']));
    expect(await keys()).not.toContain('environment');
    expect(await keys()).not.toContain('level');
    expect(await keys()).toContain('region');
    // Events of two levels: the distribution says something the header does not.
    one(ev('warning'));
    expect(await keys()).toContain('level');
  });
});

describe('threads', () => {
  it('follow the in-app toggle, which shows when threads are all there is', async () => {
    const { issueId } = one({
      message: 'native crash',
      threads: {
        values: [
          {
            id: 1,
            name: 'main',
            crashed: true,
            stacktrace: { frames: [{ function: 'libc_start', in_app: false }, { function: 'appMain', in_app: true }, { function: 'memcpy', in_app: false }] },
          },
        ],
      },
    });
    const fns = (html: string) => [...html.matchAll(/<span class="frame-fn">([^<]+)<\/span>/g)].map((m) => m[1]);
    const app = await page(`/issues/${issueId}?frames=app`, member);
    expect(fns(app)).toEqual(['appMain']);
    expect(app).toMatch(/aria-label="Frames shown"/);
    expect(app).toContain('3 frames, 1 in app');
    expect(fns(await page(`/issues/${issueId}?frames=all`, member))).toEqual(['memcpy', 'appMain', 'libc_start']);
  });
});
