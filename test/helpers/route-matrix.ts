/**
 * The authorization matrix of the web UI: one entry per route, with who may use
 * it. test/integration/web-access.test.ts checks every entry against every kind
 * of visitor and fails when the app has a route this table does not list;
 * web-csrf.test.ts sends every POST here without a valid token.
 */
import { createInvitation } from '../../src/teams/invitations.js';
import { upsertMember } from '../../src/teams/members.js';
import { createTeam, type Team } from '../../src/teams/teams.js';
import { createProject } from '../../src/projects/projects.js';
import { writeTransaction } from '../../src/db/transaction.js';
import { createPasswordToken } from '../../src/users/password-tokens.js';
import type { User } from '../../src/users/users.js';
import type { TestApp } from './app.js';
import { addUser, FIXTURE_PASSWORD, uniqueEmail } from './web.js';
import { digestInto } from './digest.js';
import { sendVerification } from '../../src/users/email-links.js';

/**
 * - public: anyone, signed in or not.
 * - user: any signed-in user; anonymous visitors go to the sign-in page.
 * - member: members of the team (or the project's team); others get 404.
 * - admin: like member, but a plain member gets 403.
 * - superuser: site administration; signed-in non-superusers get 403.
 */
export type Rule = 'public' | 'user' | 'member' | 'admin' | 'superuser';

export interface Fixture {
  readonly superuser: User;
  /** Admin of team alpha. */
  readonly admin: User;
  /** Plain member of team alpha. */
  readonly member: User;
  /** Admin of team beta only: sees nothing of alpha. */
  readonly outsider: User;
  readonly alpha: Team;
  readonly beta: Team;
  readonly alphaProject: { id: number; keyId: number };
  /** A throwaway team where admin and superuser are admins and member is a member. */
  freshTeam(): Team;
  /** A throwaway project (with its key) in team alpha. */
  freshProject(): { id: number; slug: string; keyId: number };
  freshUser(): Promise<User>;
}

export async function buildFixture(t: TestApp): Promise<Fixture> {
  const superuser = await addUser(t, uniqueEmail('super'), { superuser: true });
  const admin = await addUser(t, uniqueEmail('admin'));
  const member = await addUser(t, uniqueEmail('member'));
  const outsider = await addUser(t, uniqueEmail('outsider'));
  const join = (teamId: number, userId: number, role: 'admin' | 'member') =>
    writeTransaction(t.main.sqlite, 'test.join', () => upsertMember(t.main, teamId, userId, role, Date.now()));
  const alpha = createTeam(t.main, 'Alpha', admin.id);
  join(alpha.id, member.id, 'member');
  const beta = createTeam(t.main, 'Beta', outsider.id);
  const p = createProject(t.main, 'Alpha app', Date.now(), alpha.id);
  createProject(t.main, 'Beta app', Date.now(), beta.id);
  let n = 0;
  return {
    superuser,
    admin,
    member,
    outsider,
    alpha,
    beta,
    alphaProject: { id: p.project.id, keyId: p.key.id },
    freshTeam() {
      const team = createTeam(t.main, `Fresh ${++n}`, admin.id);
      join(team.id, superuser.id, 'admin');
      join(team.id, member.id, 'member');
      return team;
    },
    freshProject() {
      const { project, key } = createProject(t.main, `Fresh project ${++n}`, Date.now(), alpha.id);
      return { id: project.id, slug: project.slug, keyId: key.id };
    },
    freshUser: () => addUser(t),
  };
}

/** Path params and form fields for one request; called anew for each visitor, so destructive actions get fresh targets. */
export type Setup = (fx: Fixture, t: TestApp) => Promise<{ params?: Record<string, string | number>; form?: Record<string, string> }>;

export interface Entry {
  readonly route: string;
  readonly rule: Rule;
  readonly setup?: Setup;
  /** Statuses that mean "allowed and done" (default: GET 200, POST 303). */
  readonly ok?: readonly number[];
  /** Where an allowed redirect goes (default: anywhere but the sign-in page). */
  readonly redirectsTo?: RegExp;
}

const alphaParams: Setup = async (fx) => ({ params: { team: fx.alpha.slug } });
const projectParams: Setup = async (fx) => ({ params: { project: fx.alphaProject.id } });
/** A new issue (with one event) in team alpha's project, so destructive actions have their own target. */
const freshIssue = (t: TestApp, fx: Fixture) =>
  digestInto(t.main, fx.alphaProject.id, [{ exception: { values: [{ type: `MatrixError${Math.random().toString(36).slice(2)}`, value: 'boom' } ] } }])[0]!;
const issueParams: Setup = async (fx, t) => {
  const { issueId, eventId } = freshIssue(t, fx);
  return { params: { issue: issueId, event: eventId } };
};
const freshKey: Setup = async (fx) => {
  const p = fx.freshProject();
  return { params: { project: p.id, key: p.keyId } };
};

export const MATRIX: readonly Entry[] = [
  // Signing in, registration (the matrix app runs with USER_REGISTRATION=open), links
  { route: 'GET /', rule: 'user', ok: [303] },
  { route: 'GET /signin', rule: 'public' },
  { route: 'POST /signin', rule: 'public', setup: async () => ({ form: { email: 'nobody@example.com', password: 'wrong-password' } }), ok: [401] },
  { route: 'POST /signout', rule: 'user', redirectsTo: /^\/signin\?notice=signed-out$/ },
  { route: 'GET /register', rule: 'public' },
  {
    route: 'POST /register',
    rule: 'public',
    setup: async () => ({ form: { email: uniqueEmail('registered'), password: FIXTURE_PASSWORD, confirm: FIXTURE_PASSWORD } }),
  },
  {
    route: 'GET /invite/:token',
    rule: 'public',
    setup: async (fx, t) => ({ params: { token: createInvitation(t.main, fx.alpha.id, { role: 'member', createdBy: fx.admin.id }).token } }),
  },
  {
    route: 'POST /invite/:token',
    rule: 'public',
    setup: async (fx, t) => ({
      params: { token: createInvitation(t.main, fx.alpha.id, { role: 'member', createdBy: fx.admin.id }).token },
      form: { email: uniqueEmail('invited'), password: FIXTURE_PASSWORD, confirm: FIXTURE_PASSWORD },
    }),
  },
  {
    route: 'GET /set-password/:token',
    rule: 'public',
    setup: async (fx, t) => ({ params: { token: createPasswordToken(t.main, (await fx.freshUser()).id) } }),
  },
  {
    route: 'POST /set-password/:token',
    rule: 'public',
    setup: async (fx, t) => ({
      params: { token: createPasswordToken(t.main, (await fx.freshUser()).id) },
      form: { password: FIXTURE_PASSWORD, confirm: FIXTURE_PASSWORD },
    }),
  },
  // Links by mail
  { route: 'GET /forgot-password', rule: 'public' },
  { route: 'POST /forgot-password', rule: 'public', setup: async (fx) => ({ form: { email: fx.member.email } }), ok: [200] },
  { route: 'POST /account/verify', rule: 'user' },
  {
    route: 'GET /verify-email/:token',
    rule: 'public',
    setup: async (fx, t) => ({ params: { token: sendVerification(t.main, 'http://sluice.test', await fx.freshUser())! } }),
    ok: [303],
  },
  // Own account
  { route: 'GET /account', rule: 'user' },
  {
    route: 'POST /account/password',
    rule: 'user',
    setup: async () => ({ form: { current: FIXTURE_PASSWORD, password: FIXTURE_PASSWORD, confirm: FIXTURE_PASSWORD } }),
  },
  { route: 'POST /account/sessions', rule: 'user' },
  // Teams
  { route: 'GET /teams', rule: 'user' },
  { route: 'POST /teams', rule: 'user', setup: async () => ({ form: { name: 'Created in the matrix' } }) },
  { route: 'GET /teams/:team', rule: 'member', setup: alphaParams },
  { route: 'POST /teams/:team/rename', rule: 'admin', setup: async (fx) => ({ params: { team: fx.alpha.slug }, form: { name: 'Alpha' } }) },
  { route: 'GET /teams/:team/delete', rule: 'admin', setup: alphaParams },
  {
    route: 'POST /teams/:team/delete',
    rule: 'admin',
    setup: async (fx) => {
      const team = fx.freshTeam();
      return { params: { team: team.slug }, form: { confirm: team.slug } };
    },
  },
  { route: 'POST /teams/:team/leave', rule: 'member', setup: async (fx) => ({ params: { team: fx.freshTeam().slug } }) },
  {
    route: 'POST /teams/:team/members/:user/role',
    rule: 'admin',
    setup: async (fx) => ({ params: { team: fx.alpha.slug, user: fx.member.id }, form: { role: 'member' } }),
  },
  {
    route: 'POST /teams/:team/members/:user/remove',
    rule: 'admin',
    setup: async (fx) => ({ params: { team: fx.freshTeam().slug, user: fx.member.id } }),
  },
  { route: 'POST /teams/:team/invitations', rule: 'admin', setup: async (fx) => ({ params: { team: fx.alpha.slug }, form: { role: 'member' } }), ok: [200] },
  {
    route: 'POST /teams/:team/invitations/:invitation/revoke',
    rule: 'admin',
    setup: async (fx, t) => ({
      params: { team: fx.alpha.slug, invitation: createInvitation(t.main, fx.alpha.id, { role: 'member', createdBy: fx.admin.id }).invitation.id },
    }),
  },
  // Projects
  { route: 'GET /projects', rule: 'user' },
  { route: 'GET /projects/new', rule: 'user' },
  // Creating is a team-admin action: the team comes in the form.
  { route: 'POST /projects', rule: 'admin', setup: async (fx) => ({ form: { team: fx.alpha.slug, name: 'Made in the matrix' } }) },
  { route: 'GET /projects/:project', rule: 'member', setup: projectParams },
  { route: 'GET /projects/:project/settings', rule: 'member', setup: projectParams },
  { route: 'POST /projects/:project/rename', rule: 'admin', setup: async (fx) => ({ params: { project: fx.alphaProject.id }, form: { name: 'Alpha app' } }) },
  {
    route: 'POST /projects/:project/team',
    rule: 'admin',
    setup: async (fx) => ({ params: { project: fx.freshProject().id }, form: { team: fx.freshTeam().slug } }),
  },
  { route: 'GET /projects/:project/delete', rule: 'admin', setup: projectParams },
  {
    route: 'POST /projects/:project/delete',
    rule: 'admin',
    setup: async (fx) => {
      const p = fx.freshProject();
      return { params: { project: p.id }, form: { confirm: p.slug } };
    },
  },
  { route: 'POST /projects/:project/keys', rule: 'admin', setup: async (fx) => ({ params: { project: fx.freshProject().id }, form: { label: 'CI' } }) },
  { route: 'POST /projects/:project/keys/:key/disable', rule: 'admin', setup: freshKey },
  { route: 'POST /projects/:project/keys/:key/enable', rule: 'admin', setup: freshKey },
  { route: 'POST /projects/:project/keys/:key/rotate', rule: 'admin', setup: freshKey },
  // Issues
  { route: 'GET /issues', rule: 'user' },
  { route: 'GET /projects/:project/issues', rule: 'member', setup: projectParams },
  {
    route: 'POST /issues/bulk',
    rule: 'user',
    setup: async (fx, t) => ({ form: { issue: String(freshIssue(t, fx).issueId), action: 'resolve', back: '/issues' } }),
  },
  { route: 'GET /issues/:issue', rule: 'member', setup: issueParams },
  { route: 'GET /issues/:issue/events', rule: 'member', setup: issueParams },
  { route: 'GET /issues/:issue/events/:event', rule: 'member', setup: issueParams },
  { route: 'GET /issues/:issue/events/:event/json', rule: 'member', setup: issueParams },
  { route: 'POST /issues/:issue/resolve', rule: 'member', setup: async (fx, t) => ({ ...(await issueParams(fx, t)), form: { resolution: 'now' } }) },
  { route: 'POST /issues/:issue/mute', rule: 'member', setup: async (fx, t) => ({ ...(await issueParams(fx, t)), form: { mute: '1d' } }) },
  { route: 'POST /issues/:issue/reopen', rule: 'member', setup: issueParams },
  { route: 'GET /issues/:issue/delete', rule: 'admin', setup: issueParams },
  { route: 'POST /issues/:issue/delete', rule: 'admin', setup: async (fx, t) => ({ ...(await issueParams(fx, t)), form: { confirm: 'delete' } }) },
  // Releases and alerts
  { route: 'GET /projects/:project/releases', rule: 'member', setup: projectParams },
  { route: 'GET /projects/:project/alerts', rule: 'member', setup: projectParams },
  { route: 'POST /projects/:project/alerts', rule: 'admin', setup: async (fx) => ({ params: { project: fx.alphaProject.id }, form: { on_new_issue: 'on', on_regression: 'on', on_unmute: 'on' } }) },
  { route: 'POST /projects/:project/alerts/me', rule: 'member', setup: async (fx) => ({ params: { project: fx.alphaProject.id }, form: { receive: 'on' } }) },
  // Site administration
  { route: 'GET /admin/mail', rule: 'superuser' },
  { route: 'GET /admin/dead-letters', rule: 'superuser' },
  { route: 'GET /admin/users', rule: 'superuser' },
  { route: 'POST /admin/users', rule: 'superuser', setup: async () => ({ form: { email: uniqueEmail('added') } }), ok: [200] },
  { route: 'POST /admin/users/:user/password-link', rule: 'superuser', setup: async (fx) => ({ params: { user: fx.member.id } }), ok: [200] },
  { route: 'POST /admin/users/:user/superuser', rule: 'superuser', setup: async (fx) => ({ params: { user: (await fx.freshUser()).id }, form: { value: '1' } }) },
  { route: 'GET /admin/users/:user/delete', rule: 'superuser', setup: async (fx) => ({ params: { user: fx.member.id } }) },
  {
    route: 'POST /admin/users/:user/delete',
    rule: 'superuser',
    setup: async (fx) => {
      const u = await fx.freshUser();
      return { params: { user: u.id }, form: { confirm: u.email } };
    },
  },
];

/** Routes outside the web UI's session gate, public on purpose: SDK ingest, health check, static files. */
export const PUBLIC_INFRASTRUCTURE: readonly string[] = [
  'GET /health',
  'OPTIONS /api/:projectId/envelope/',
  'POST /api/:projectId/envelope/',
  'OPTIONS /api/:projectId/store/',
  'POST /api/:projectId/store/',
  'GET /assets/*',
];

export function fillPath(route: string, params: Record<string, string | number> = {}): string {
  const path = route.split(' ')[1]!;
  return path.replace(/:(\w+)/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`${route}: no value for :${name}`);
    return encodeURIComponent(String(params[name]));
  });
}
