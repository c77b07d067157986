// The issue pages over the conformance corpus (../shared/corpus: real SDK
// payloads nobody here wrote), in process: every bare event and every event
// item of the captured envelopes goes through the real digest into one
// project; then every issue page, every event page (both frame modes and both
// orders), every event list and raw JSON view, and the issue lists with each
// tab, sort, search and page answer 200 with a whole, well-formed page to a
// plain member of the project's team.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransaction } from '../../src/db/transaction.js';
import { parseEnvelope } from '../../src/ingest/envelope-reader.js';
import { ISSUE_SORTS, ISSUE_TABS } from '../../src/issues/issue-list.js';
import { createProject } from '../../src/projects/projects.js';
import { upsertMember } from '../../src/teams/members.js';
import { createTeam } from '../../src/teams/teams.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { corpusFiles } from '../helpers/corpus-files.js';
import { digestInto } from '../helpers/digest.js';
import { newEventId } from '../helpers/envelopes.js';
import { expectWholePage } from '../helpers/pages.js';
import { CORPUS } from '../helpers/processes.js';
import { addUser, get, signedIn, type Browser } from '../helpers/web.js';


interface CorpusEvent {
  source: string;
  event: Record<string, unknown>;
}

/** Every corpus event: the bare ones, then the `event` items of the envelopes (with the envelope's event_id, which wins on the wire). */
function corpusEvents(): CorpusEvent[] {
  const out: CorpusEvent[] = [];
  for (const file of corpusFiles(path.join(CORPUS, 'events'))) {
    out.push({ source: path.relative(CORPUS, file), event: JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> });
  }
  for (const file of corpusFiles(path.join(CORPUS, 'envelopes'))) {
    const env = parseEnvelope(fs.readFileSync(file), { keep: (t) => t === 'event', maxItemBytes: 16 << 20 });
    for (const item of env.items) {
      const event = JSON.parse(item.payload.toString('utf8')) as Record<string, unknown>;
      const headerId = typeof env.headers.event_id === 'string' ? env.headers.event_id : undefined;
      out.push({ source: path.relative(CORPUS, file), event: headerId ? { ...event, event_id: headerId } : event });
    }
  }
  // Some samples share an event_id (the same event filed twice upstream): a copy gets a fresh id, as a resend with a new id would.
  const seen = new Set<string>();
  for (const e of out) {
    const raw = typeof e.event.event_id === 'string' ? e.event.event_id.replaceAll('-', '').toLowerCase() : '';
    const id = /^[0-9a-f]{32}$/.test(raw) && !seen.has(raw) ? raw : newEventId();
    seen.add(id);
    e.event = { ...e.event, event_id: id };
  }
  return out;
}

let t: TestApp;
let member: Browser;
let projectId: number;
let events: CorpusEvent[];
/** Issue id → the corpus events in it. */
const byIssue = new Map<number, Array<{ eventId: string; source: string }>>();

beforeAll(async () => {
  t = await testApp();
  const admin = await addUser(t);
  const plain = await addUser(t);
  const team = createTeam(t.main, 'Corpus team', admin.id);
  writeTransaction(t.main.sqlite, 'test.join', () => upsertMember(t.main, team.id, plain.id, 'member', Date.now()));
  projectId = createProject(t.main, 'Corpus', Date.now(), team.id).project.id;
  member = signedIn(t, plain.id);
  events = corpusEvents();
  const digested = digestInto(t.main, projectId, events.map((e) => e.event));
  digested.forEach(({ issueId, eventId }, n) => {
    expect(issueId, `${events[n]!.source} was not stored`).toBeTypeOf('number');
    if (!byIssue.has(issueId)) byIssue.set(issueId, []);
    byIssue.get(issueId)!.push({ eventId, source: events[n]!.source });
  });
});
afterAll(async () => t?.close());

describe('issue pages over the corpus', () => {
  it('has every corpus event, each stored once', () => {
    expect(events.filter((e) => e.source.startsWith('events/')).length).toBeGreaterThanOrEqual(161);
    expect(events.filter((e) => e.source.startsWith('envelopes/')).length).toBeGreaterThanOrEqual(19);
    const stored = t.main.sqlite.prepare('SELECT count(*) FROM events WHERE project_id = ?').pluck().get(projectId);
    expect(stored).toBe(events.length);
    expect(byIssue.size).toBeGreaterThan(50);
  });

  it('renders every issue page, its event list, and every event in both frame modes and orders', async () => {
    const textOf = new Map(events.map((e) => [e.event.event_id as string, JSON.stringify(e.event)]));
    for (const [issueId, list] of byIssue) {
      const what = `issue ${issueId} (${list.map((e) => e.source).join(', ')})`;
      const issueText = list.map((e) => textOf.get(e.eventId)).join('\n');
      for (const url of [`/issues/${issueId}`, `/issues/${issueId}/events`]) expectWholePage(`${url} ${what}`, await get(t, url, member), issueText);
      for (const { eventId, source } of list) {
        for (const query of ['', '?frames=all&order=cause', '?frames=app&order=thrown']) {
          const url = `/issues/${issueId}/events/${eventId}${query}`;
          const res = await get(t, url, member);
          expectWholePage(`${url} (${source})`, res, textOf.get(eventId));
          expect(res.body, `${url} shows another event`).toContain(eventId.slice(0, 12));
        }
        const raw = await get(t, `/issues/${issueId}/events/${eventId}/json`, member);
        expect(raw.statusCode, source).toBe(200);
        expect((JSON.parse(raw.body) as { event_id: string }).event_id, source).toBe(eventId);
      }
    }
  });

  it('renders the lists with every tab and sort, and pages through all issues without a gap or a repeat', async () => {
    const base = `/projects/${projectId}/issues`;
    for (const scope of [base, '/issues']) {
      for (const tab of ISSUE_TABS) {
        for (const sort of ISSUE_SORTS) {
          let url: string | undefined = `${scope}?tab=${tab}&sort=${sort}`;
          const seen: string[] = [];
          while (url) {
            const res = await get(t, url, member);
            expectWholePage(url, res);
            seen.push(...[...res.body.matchAll(/class="issue-title" href="\/issues\/(\d+)"/g)].map((m) => m[1]!));
            url = /href="([^"]+)">Next page/.exec(res.body)?.[1]?.replaceAll('&amp;', '&');
          }
          // Nothing is resolved or muted yet: open, unresolved and all list every issue; muted and resolved none.
          const want = tab === 'muted' || tab === 'resolved' ? 0 : byIssue.size;
          expect(seen.length, `${scope} ${tab} ${sort}`).toBe(want);
          expect(new Set(seen).size, `${scope} ${tab} ${sort}: an issue listed twice`).toBe(want);
        }
      }
    }
  });

  it('renders searches: text, tags, quoted tags, states, levels, and a query it cannot read', async () => {
    const base = `/projects/${projectId}/issues`;
    const count = (html: string) => [...html.matchAll(/class="issue-title"/g)].length;
    const cases: Array<[string, (n: number) => boolean]> = [
      ['level:error', (n) => n > 0],
      ['level:fatal', (n) => n >= 0],
      ['is:unresolved', (n) => n > 0],
      ['is:resolved', (n) => n === 0],
      ['os:"iOS 10.3.3"', (n) => n >= 0],
      ['browser:"Chrome 28.0.1500"', (n) => n >= 0],
      ['environment:production', (n) => n >= 0],
      ['Exception', (n) => n > 0],
      ['NullPointerException level:error', (n) => n >= 0],
    ];
    for (const [query, ok] of cases) {
      const url = `${base}?tab=all&query=${encodeURIComponent(query)}`;
      const res = await get(t, url, member);
      expectWholePage(url, res);
      expect(res.body, url).not.toContain('This search is not understood');
      expect(ok(count(res.body)), `${url}: ${count(res.body)} issues`).toBe(true);
    }
    for (const bad of ['level:purple', 'is:', 'browser:"unterminated', 'a'.repeat(1200)]) {
      const url = `${base}?query=${encodeURIComponent(bad)}`;
      const res = await get(t, url, member);
      expectWholePage(url, res);
      expect(res.body, url).toContain('This search is not understood');
    }
  });

  it('finds each issue again through the tag value links on its page', async () => {
    // Every tag value link of every issue page must lead to a search that is understood and lists that issue (on some page).
    const links = new Map<string, number>();
    for (const issueId of byIssue.keys()) {
      const page = (await get(t, `/issues/${issueId}`, member)).body;
      for (const m of page.matchAll(/<a class="tag-bar" href="([^"]+)"/g)) {
        const url = m[1]!.replaceAll('&amp;', '&').replaceAll('&#39;', "'").replaceAll('&quot;', '"');
        if (!links.has(url)) links.set(url, issueId);
      }
    }
    expect(links.size).toBeGreaterThan(20);
    for (const [first, issueId] of links) {
      let url: string | undefined = first;
      let found = false;
      while (url && !found) {
        const res = await get(t, url, member);
        expectWholePage(url, res);
        expect(res.body, `${url} from issue ${issueId}`).not.toContain('This search is not understood');
        found = res.body.includes(`href="/issues/${issueId}"`);
        url = /href="([^"]+)">Next page/.exec(res.body)?.[1]?.replaceAll('&amp;', '&');
      }
      expect(found, `${first} does not list issue ${issueId}`).toBe(true);
    }
  });
});
