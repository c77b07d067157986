// CSRF: every state-changing web route refuses a form without a valid token.
// The list of POST routes comes from the app itself (every registered POST
// outside the SDK endpoints), so a new form is covered the day it is added.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newToken } from '../../src/auth/tokens.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { buildFixture, fillPath, MATRIX, type Fixture } from '../helpers/route-matrix.js';
import { anonymous, get, post, signedIn, type Browser } from '../helpers/web.js';

let t: TestApp;
let fx: Fixture;
beforeAll(async () => {
  t = await testApp({ USER_REGISTRATION: 'open' });
  fx = await buildFixture(t);
});
afterAll(async () => t?.close());

const webPosts = () => t.routes.filter((r) => r.startsWith('POST ') && !r.startsWith('POST /api/'));

async function attempt(route: string, as: Browser, csrf: string | false) {
  const entry = MATRIX.find((e) => e.route === route);
  if (!entry) throw new Error(`${route} has no matrix entry (see web-access.test.ts)`);
  const { params, form } = (await entry.setup?.(fx, t)) ?? {};
  // Signed-in routes are tried as a superuser, who passes every authorization check:
  // the only thing wrong with the request is the token.
  return post(t, fillPath(route, params), as, form, csrf);
}

const visitorFor = (route: string): Browser =>
  MATRIX.find((e) => e.route === route)?.rule === 'public' ? anonymous() : signedIn(t, fx.superuser.id);

describe('CSRF protection', () => {
  it('covers a sensible number of forms', () => {
    expect(webPosts().length).toBeGreaterThan(25);
  });

  it('refuses every POST without a token', async () => {
    for (const route of webPosts()) {
      const res = await attempt(route, visitorFor(route), false);
      expect(res.statusCode, `${route}: ${res.body.slice(0, 300)}`).toBe(403);
      expect(res.body, route).toContain('CSRF');
    }
  });

  it('refuses every POST with a token that is not this visitor’s', async () => {
    for (const route of webPosts()) {
      const res = await attempt(route, visitorFor(route), newToken());
      expect(res.statusCode, route).toBe(403);
    }
  });

  it('refuses a signed-in form carrying another session’s token', async () => {
    const mine = signedIn(t, fx.admin.id);
    const theirs = signedIn(t, fx.admin.id);
    const res = await post(t, `/teams/${fx.alpha.slug}/rename`, mine, { name: 'Hijacked' }, theirs.csrf);
    expect(res.statusCode).toBe(403);
    expect((await get(t, `/teams/${fx.alpha.slug}`, mine)).body).not.toContain('Hijacked');
  });

  it('refuses the pre-sign-in token once signed in (the session token takes over)', async () => {
    const before = anonymous();
    const session = signedIn(t, fx.admin.id);
    const res = await post(t, '/teams', { cookie: `${session.cookie}; ${before.cookie}`, csrf: before.csrf }, { name: 'Sneaky' });
    expect(res.statusCode).toBe(403);
  });

  it('accepts the same form with the right token', async () => {
    const res = await post(t, `/teams/${fx.alpha.slug}/rename`, signedIn(t, fx.admin.id), { name: 'Alpha' });
    expect(res.statusCode).toBe(303);
  });

  it('puts the token into every form of a page', async () => {
    const as = signedIn(t, fx.admin.id);
    const page = (await get(t, `/projects/${fx.alphaProject.id}/settings`, as)).body;
    const forms = page.match(/<form method="post"[\s\S]*?<\/form>/g) ?? [];
    expect(forms.length).toBeGreaterThan(4);
    for (const form of forms) expect(form).toContain(`name="_csrf" value="${as.csrf}"`);
  });
});
