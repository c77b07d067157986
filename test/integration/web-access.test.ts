// The authorization matrix, table-driven and in process: every page and form of
// the web UI, tried by every kind of visitor. Anonymous visitors are sent to the
// sign-in page; a user of another team gets 404 (never a hint that the thing
// exists); a member gets the page; a plain member on an admin action gets 403.
// A route missing from the table fails the first test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app.js';
import { buildFixture, fillPath, MATRIX, PUBLIC_INFRASTRUCTURE, type Entry, type Fixture, type Rule } from '../helpers/route-matrix.js';
import { anonymous, get, post, signedIn, type Browser } from '../helpers/web.js';

let t: TestApp;
let fx: Fixture;
beforeAll(async () => {
  t = await testApp({ USER_REGISTRATION: 'open' });
  fx = await buildFixture(t);
});
afterAll(async () => t?.close());

type Visitor = 'anonymous' | 'outsider' | 'member' | 'admin' | 'superuser';

/** What each visitor must get, by rule: 'ok', 'signin' (redirect), or a status. */
const EXPECTED: Record<Rule, Record<Visitor, 'ok' | 'signin' | 403 | 404 | 'skip'>> = {
  public: { anonymous: 'ok', outsider: 'skip', member: 'skip', admin: 'skip', superuser: 'skip' },
  user: { anonymous: 'signin', outsider: 'ok', member: 'ok', admin: 'ok', superuser: 'ok' },
  member: { anonymous: 'signin', outsider: 404, member: 'ok', admin: 'ok', superuser: 'ok' },
  admin: { anonymous: 'signin', outsider: 404, member: 403, admin: 'ok', superuser: 'ok' },
  superuser: { anonymous: 'signin', outsider: 403, member: 403, admin: 403, superuser: 'ok' },
};

function browserOf(v: Visitor): Browser {
  return v === 'anonymous' ? anonymous() : signedIn(t, fx[v].id);
}

async function request(entry: Entry, v: Visitor) {
  const { params, form } = (await entry.setup?.(fx, t)) ?? {};
  const url = fillPath(entry.route, params);
  const as = browserOf(v);
  return entry.route.startsWith('GET ') ? get(t, url, as) : post(t, url, as, form);
}

describe('route matrix', () => {
  it('lists every route the app registers, and no route it does not', () => {
    const listed = new Set([...MATRIX.map((e) => e.route), ...PUBLIC_INFRASTRUCTURE]);
    const registered = new Set(t.routes);
    const unlisted = [...registered].filter((r) => !listed.has(r));
    expect(unlisted, 'routes without an entry in test/helpers/route-matrix.ts').toEqual([]);
    expect([...listed].filter((r) => !registered.has(r)), 'matrix entries for routes that do not exist').toEqual([]);
  });

  const cases = MATRIX.flatMap((entry) =>
    (Object.entries(EXPECTED[entry.rule]) as Array<[Visitor, (typeof EXPECTED)[Rule][Visitor]]>)
      .filter(([, want]) => want !== 'skip')
      .map(([visitor, want]) => ({ name: `${entry.route} as ${visitor} → ${want}`, entry, visitor, want })),
  );

  it.each(cases)('$name', async ({ entry, visitor, want }) => {
    const res = await request(entry, visitor);
    const location = String(res.headers.location ?? '');
    if (want === 'signin') {
      expect(res.statusCode, res.body).toBe(303);
      expect(location).toMatch(/^\/signin/);
    } else if (want === 'ok') {
      const ok = entry.ok ?? (entry.route.startsWith('GET ') ? [200] : [303]);
      expect(ok, `${res.statusCode}: ${res.body.slice(0, 2000)}`).toContain(res.statusCode);
      if (res.statusCode >= 300 && res.statusCode < 400 && visitor !== 'anonymous') {
        expect(location).toMatch(entry.redirectsTo ?? /^\/(?!signin)/);
      }
    } else {
      expect(res.statusCode, res.body.slice(0, 500)).toBe(want);
      // An HTML error page, with nothing of the thing asked for.
      expect(res.headers['content-type']).toMatch(/^text\/html/);
    }
  });
});

describe('what each kind of user sees', () => {
  it('lists only the projects and teams of the viewer’s own teams', async () => {
    const page = (await get(t, '/projects', signedIn(t, fx.outsider.id))).body;
    expect(page).toContain('Beta app');
    expect(page).not.toContain('Alpha app');
    const teams = (await get(t, '/teams', signedIn(t, fx.member.id))).body;
    expect(teams).toContain('Alpha');
    expect(teams).not.toContain('Beta');
  });

  it('shows a superuser every project, team-less ones included', async () => {
    const page = (await get(t, '/projects', signedIn(t, fx.superuser.id))).body;
    expect(page).toContain('Alpha app');
    expect(page).toContain('Beta app');
    expect(page).toContain('Test project'); // made by testApp without a team
    expect(page).toContain('Without a team');
  });

  it('hides team-less projects from everyone but superusers', async () => {
    const res = await get(t, `/projects/${t.project.id}`, signedIn(t, fx.admin.id));
    expect(res.statusCode).toBe(404);
  });

  it('does not offer admin actions to a plain member', async () => {
    const page = (await get(t, `/projects/${fx.alphaProject.id}/settings`, signedIn(t, fx.member.id))).body;
    expect(page).toContain('data-dsn');
    expect(page).not.toContain('/rotate');
    expect(page).not.toContain('Danger zone');
  });

  it('answers a key id of another project with 404', async () => {
    const other = fx.freshProject();
    const res = await post(t, `/projects/${fx.alphaProject.id}/keys/${other.keyId}/disable`, signedIn(t, fx.admin.id));
    expect(res.statusCode).toBe(404);
  });
});
