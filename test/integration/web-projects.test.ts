// Teams, projects and keys through the web forms, in process: what the pages
// show, what the forms change, and that ingest follows key changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject } from '../../src/projects/projects.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { eventEnvelope, errorEvent } from '../helpers/envelopes.js';
import { addUser, get, post, signedIn, type Browser } from '../helpers/web.js';

let t: TestApp;
let admin: Browser;
let adminId: number;
beforeAll(async () => {
  t = await testApp();
  const user = await addUser(t);
  adminId = user.id;
  admin = signedIn(t, user.id);
});
afterAll(async () => t?.close());

const location = (res: { headers: Record<string, unknown> }) => String(res.headers.location);
const dsnsOn = (html: string) => [...html.matchAll(/<code class="copy-value" id="dsn-\d+"[^>]*>([^<]+)<\/code>/g)].map((m) => m[1]!);

async function newTeam(name: string): Promise<string> {
  const res = await post(t, '/teams', admin, { name });
  expect(res.statusCode).toBe(303);
  return location(res).split('?')[0]!.split('/').at(-1)!;
}

async function newProject(team: string, name: string): Promise<number> {
  const res = await post(t, '/projects', admin, { team, name });
  expect(res.statusCode, res.body).toBe(303);
  return Number(/\/projects\/(\d+)\/settings/.exec(location(res))![1]);
}

function ingest(projectId: number, key: string) {
  return t.app.inject({ method: 'POST', url: `/api/${projectId}/envelope/?sentry_key=${key}`, payload: eventEnvelope(errorEvent()) });
}

const keyCacheRefresh = () => new Promise((r) => setTimeout(r, 150));

/** Issues and events as the digest would leave them, written directly. */
function seedEvents(projectId: number, issues: number, eventsPerIssue: number) {
  const now = Date.now();
  const db = t.main.sqlite;
  for (let i = 0; i < issues; i++) {
    const issueId = Number(
      db
        .prepare(
          `INSERT INTO issues (project_id, grouping_hash, grouping_key, title, culprit, level, platform, first_seen, last_seen, event_count)
           VALUES (?, ?, ?, ?, '', 'error', 'node', ?, ?, ?)`,
        )
        .run(projectId, `h${projectId}-${i}`, `k${i}`, `Error ${i}`, now, now, eventsPerIssue).lastInsertRowid,
    );
    for (let e = 0; e < eventsPerIssue; e++) {
      db.prepare(`INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, data) VALUES (?, ?, ?, ?, ?, 'error', '{}')`).run(
        projectId,
        `${projectId}-${i}-${e}`,
        issueId,
        now,
        now,
      );
    }
  }
}

describe('teams and projects', () => {
  it('creates a team, then a project in it with a working DSN and setup snippets for 8 SDKs', async () => {
    const team = await newTeam('Web shop');
    expect((await get(t, `/teams/${team}`, admin)).body).toContain('You are <span class="badge badge-admin">admin</span>');
    const id = await newProject(team, 'Storefront');
    const page = (await get(t, `/projects/${id}/settings`, admin)).body;
    const [dsn] = dsnsOn(page);
    expect(dsn).toMatch(new RegExp(`^http://[0-9a-f]{32}@sluice\\.test/${id}$`));
    for (const label of ['Browser JavaScript', 'Node.js', 'Python', 'Go', 'PHP', 'Java', '.NET', 'Ruby']) expect(page).toContain(label);
    // The DSN sits in every snippet (JSON-quoted, then HTML-escaped).
    expect(page.split(`&quot;${dsn}&quot;`).length - 1).toBeGreaterThanOrEqual(7);
    expect(page).toContain(`&#39;dsn&#39; =&gt; &#39;${dsn}&#39;`); // PHP
    await keyCacheRefresh();
    const key = new URL(dsn!).username;
    expect((await ingest(id, key)).statusCode).toBe(200);
  });

  it('shows the project’s event and issue counts on its page', async () => {
    const id = await newProject(await newTeam('Counting'), 'Counted');
    expect((await get(t, `/projects/${id}`, admin)).body).toContain('Waiting for the first event');
    seedEvents(id, 2, 3);
    const page = (await get(t, `/projects/${id}`, admin)).body;
    expect(page).toMatch(/data-count="events">6</);
    expect(page).toMatch(/data-count="issues">2</);
  });

  it('rotates a key: a new DSN works, the old one is refused within the refresh interval', async () => {
    const id = await newProject(await newTeam('Rotation'), 'Rotated');
    const settings = async () => (await get(t, `/projects/${id}/settings`, admin)).body;
    const before = await settings();
    const oldKey = new URL(dsnsOn(before)[0]!).username;
    const keyId = /\/keys\/(\d+)\/rotate/.exec(before)![1];
    const res = await post(t, `/projects/${id}/keys/${keyId}/rotate`, admin);
    expect(location(res)).toBe(`/projects/${id}/settings?notice=key-rotated#keys`);
    const after = await settings();
    const newKey = new URL(dsnsOn(after)[0]!).username;
    expect(newKey).not.toBe(oldKey);
    expect(after).toContain('badge-muted">disabled');
    await keyCacheRefresh();
    expect((await ingest(id, newKey)).statusCode).toBe(200);
    expect((await ingest(id, oldKey)).statusCode).toBe(403);
    // Undo: enable the old key again.
    await post(t, `/projects/${id}/keys/${keyId}/enable`, admin);
    await keyCacheRefresh();
    expect((await ingest(id, oldKey)).statusCode).toBe(200);
  });

  it('adds a second key with its own DSN and disables it again', async () => {
    const id = await newProject(await newTeam('Two keys'), 'Doubled');
    await post(t, `/projects/${id}/keys`, admin, { label: 'Mobile <app>' });
    const page = (await get(t, `/projects/${id}/settings`, admin)).body;
    expect(dsnsOn(page)).toHaveLength(2);
    expect(page).toContain('Mobile &lt;app&gt;');
    const second = new URL(dsnsOn(page)[0]!).username;
    const keyId = /\/keys\/(\d+)\/disable/.exec(page)![1];
    await post(t, `/projects/${id}/keys/${keyId}/disable`, admin);
    await keyCacheRefresh();
    expect((await ingest(id, second)).statusCode).toBe(403);
  });

  it('deletes a project with its issues and events after the slug is typed', async () => {
    const id = await newProject(await newTeam('Deleting'), 'Doomed');
    seedEvents(id, 3, 4);
    const confirm = await get(t, `/projects/${id}/delete`, admin);
    expect(confirm.body).toContain('Its 3 issues and 12 events are deleted with it');
    expect((await post(t, `/projects/${id}/delete`, admin, { confirm: 'not-the-slug' })).statusCode).toBe(400);
    const res = await post(t, `/projects/${id}/delete`, admin, { confirm: 'doomed' });
    expect(res.statusCode).toBe(303);
    const left = (table: string) => (t.main.sqlite.prepare(`SELECT count(*) AS n FROM ${table} WHERE project_id = ?`).get(id) as { n: number }).n;
    expect([left('events'), left('issues'), left('project_keys')]).toEqual([0, 0, 0]);
    expect((await get(t, `/projects/${id}`, admin)).statusCode).toBe(404);
  });

  it('renames a project and moves it to another team of the admin', async () => {
    const from = await newTeam('From');
    const to = await newTeam('To');
    const id = await newProject(from, 'Mover');
    await post(t, `/projects/${id}/rename`, admin, { name: 'Moved & renamed' });
    expect((await post(t, `/projects/${id}/team`, admin, { team: to })).statusCode).toBe(303);
    const teamPage = (await get(t, `/teams/${to}`, admin)).body;
    expect(teamPage).toContain('Moved &amp; renamed');
  });

  it('keeps a team from losing its last admin, and from being deleted while it has projects', async () => {
    const team = await newTeam('Guarded');
    const leave = await post(t, `/teams/${team}/leave`, admin);
    expect(leave.statusCode).toBe(400);
    expect(leave.body).toContain('last admin');
    const demote = await post(t, `/teams/${team}/members/${adminId}/role`, admin, { role: 'member' });
    expect(demote.statusCode).toBe(400);
    const id = await newProject(team, 'Keeps it alive');
    const refused = await post(t, `/teams/${team}/delete`, admin, { confirm: team });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('still has 1 project');
    await post(t, `/projects/${id}/delete`, admin, { confirm: 'keeps-it-alive' });
    expect((await post(t, `/teams/${team}/delete`, admin, { confirm: team })).statusCode).toBe(303);
    expect((await get(t, `/teams/${team}`, admin)).statusCode).toBe(404);
  });

  it('creates an invitation link shown once, and lists it until revoked', async () => {
    const team = await newTeam('Inviting');
    const res = await post(t, `/teams/${team}/invitations`, admin, { role: 'member', email: 'Someone@Example.com' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/http:\/\/sluice\.test\/invite\/[A-Za-z0-9_-]{43}/);
    const page = (await get(t, `/teams/${team}`, admin)).body;
    expect(page).toContain('someone@example.com');
    const id = /\/invitations\/(\d+)\/revoke/.exec(page)![1];
    await post(t, `/teams/${team}/invitations/${id}/revoke`, admin);
    expect((await get(t, `/teams/${team}`, admin)).body).not.toContain('someone@example.com');
  });

  it('lets a superuser give a team to a project made on the command line', async () => {
    const orphan = createProject(t.main, 'From the CLI').project;
    const superuser = signedIn(t, (await addUser(t, undefined, { superuser: true })).id);
    const team = await newTeam('Adopters');
    expect((await get(t, `/projects/${orphan.id}`, admin)).statusCode).toBe(404);
    expect((await post(t, `/projects/${orphan.id}/team`, superuser, { team })).statusCode).toBe(303);
    expect((await get(t, `/projects/${orphan.id}`, admin)).statusCode).toBe(200);
  });
});
