/**
 * Issue lists: one project's (/projects/:project/issues) and all of the
 * viewer's projects (/issues), with tabs, sorts, search and keyset pages, plus
 * the bulk actions on the selected rows.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { projectAccess, requireAdmin, type Viewer } from '../../auth/access.js';
import { BadRequestError, HttpError } from '../../errors.js';
import { issueProjectIds } from '../../issues/issue-detail.js';
import { countIssuesByTab, ISSUE_SORTS, ISSUE_TABS, listIssues, recentHourlyCounts, unmatchedTags, type IssueRow, type IssueSort, type IssueTab } from '../../issues/issue-list.js';
import { deleteIssues, muteIssues, reopenIssues, resolveIssues, type Actor } from '../../issues/lifecycle.js';
import { parseIssueSearch, searchAsText, type IssueSearch } from '../../issues/search-query.js';
import { projectsFor, type Project } from '../../projects/projects.js';
import { page, seeOther, type WebContext } from '../page.js';
import { field, idParam, queryValue, safeNext, viewerOf } from '../request-context.js';
import { sparkline } from '../svg-charts.js';
import { muteChoices, muteSpec, resolution } from './issue-forms.js';

const PAGE_SIZE = 50;
const NO_SEARCH: IssueSearch = { text: [], states: [], levels: [], tags: [] };

/** Where a bulk action returns: this list as it is, minus the notice of an earlier action (the next one brings its own). */
function withoutNotice(url: string): string {
  const [path = '', query = ''] = url.split('?');
  const params = new URLSearchParams(query);
  params.delete('notice');
  const rest = params.toString();
  return rest ? `${path}?${rest}` : path;
}

function oneOf<T extends string>(value: string, choices: readonly T[], fallback: T): T {
  return (choices as readonly string[]).includes(value) ? (value as T) : fallback;
}

/**
 * Whether the Delete button can work for these rows: deleting needs a team admin
 * in every project it touches. "some": the viewer administers only some of the
 * listed projects, so the button is shown disabled with the reason.
 */
function deleteRight(main: WebContext['main'], viewer: Viewer, issues: readonly IssueRow[]): 'all' | 'some' | 'none' {
  if (viewer.isSuperuser) return 'all';
  const roles = [...new Set(issues.map((i) => i.project_id))].map((pid) => projectAccess(main, viewer, pid).role);
  if (roles.length > 0 && roles.every((r) => r === 'admin')) return 'all';
  return roles.some((r) => r === 'admin') ? 'some' : 'none';
}

export async function issueListRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { main } = ctx;

  function render(req: FastifyRequest, reply: FastifyReply, projects: Project[], scope: { project?: Project; base: string; canChange: boolean } & Record<string, unknown>) {
    const tab = oneOf<IssueTab>(queryValue(req, 'tab'), ISSUE_TABS, 'open');
    const sort = oneOf<IssueSort>(queryValue(req, 'sort'), ISSUE_SORTS, 'last_seen');
    const query = queryValue(req, 'query');
    let search = NO_SEARCH;
    let searchError: string | undefined;
    try {
      search = parseIssueSearch(query);
    } catch (err) {
      // A query we cannot read is explained on the page, not answered with an empty list or an error page.
      if (!(err instanceof HttpError)) throw err;
      searchError = err.message;
    }
    const projectIds = projects.map((p) => p.id);
    const list = searchError ? { issues: [], next: null } : listIssues(main, { projectIds, tab, sort, search, cursor: queryValue(req, 'cursor') || undefined, limit: PAGE_SIZE });
    const counts = searchError ? undefined : countIssuesByTab(main, projectIds, search);
    // A tag term that no issue carries is often a pasted title ("Order:17 failed"): say so, and offer it as text.
    const unmatched = counts && counts.all.n === 0 && search.tags.length ? unmatchedTags(main, projectIds, search) : [];
    const asText = unmatched.length ? searchAsText(query, (t) => unmatched.some((u) => u.key === t.key && u.value === t.value)) : null;
    const hourly = recentHourlyCounts(main, list.issues.map((i) => i.id), 24);
    const names = new Map(projects.map((p) => [p.id, p.name]));
    const link = (over: Record<string, string | undefined>) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries({ tab, sort, query, ...over })) if (v) params.set(k, v);
      return `${scope.base}?${params.toString()}`;
    };
    return page(ctx, req, reply, 'issues', {
      ...scope,
      tab,
      sort,
      query,
      searchError,
      counts,
      unmatched,
      asText: asText === null ? undefined : { query: asText, link: link({ query: asText, cursor: undefined }) },
      muteChoices: muteChoices(ctx.config),
      canDelete: deleteRight(main, viewerOf(req), list.issues),
      tabs: ISSUE_TABS,
      issues: list.issues.map((i) => ({ ...i, projectName: names.get(i.project_id) ?? '', spark: sparkline(hourly.get(i.id) ?? [], { height: 28, label: 'events in the last 24 hours' }) })),
      nextLink: list.next ? link({ cursor: list.next }) : undefined,
      firstLink: queryValue(req, 'cursor') ? link({}) : undefined,
      link,
      back: withoutNotice(req.url),
    });
  }

  app.get('/issues', { config: { access: 'user' } }, async (req, reply) => {
    const viewer = viewerOf(req);
    return render(req, reply, projectsFor(main, viewer.id, viewer.isSuperuser), { base: '/issues', canChange: true });
  });

  app.get('/projects/:project/issues', { config: { access: 'user' } }, async (req, reply) => {
    const a = projectAccess(main, viewerOf(req), idParam(req, 'project'));
    return render(req, reply, [a.project], { ...a, base: `/projects/${a.project.id}/issues`, canChange: true });
  });

  /** Resolve, mute, reopen or delete the selected issues; only those of the viewer's projects change. */
  app.post('/issues/bulk', { config: { access: 'user' } }, async (req, reply) => {
    const viewer = viewerOf(req);
    const raw = (req.body as Record<string, unknown> | undefined)?.issue;
    const ids = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string' && /^\d{1,15}$/.test(v)).map(Number);
    if (ids.length === 0) throw new BadRequestError('select at least one issue');
    const visible = projectsFor(main, viewer.id, viewer.isSuperuser).map((p) => p.id);
    const actor: Actor = { userId: viewer.id, projectIds: visible };
    const action = field(req, 'action');
    let changed: number;
    if (action === 'resolve') changed = resolveIssues(main, ids, resolution(req), actor);
    else if (action === 'mute') changed = muteIssues(main, ids, muteSpec(req, ctx.config), actor);
    else if (action === 'reopen') changed = reopenIssues(main, ids, actor);
    else if (action === 'delete') {
      // Deleting takes event data with it: team admins only, in every project it touches.
      // Ids of projects the viewer cannot see are skipped like ids that do not exist, so neither reveals anything.
      for (const pid of issueProjectIds(main, ids)) if (visible.includes(pid)) requireAdmin(projectAccess(main, viewer, pid), 'delete issues');
      changed = deleteIssues(main, ids, actor);
    } else throw new BadRequestError(`unknown action ${JSON.stringify(action.slice(0, 40))}`);
    req.log.debug({ action, changed }, 'bulk issue action');
    return seeOther(reply, safeNext(field(req, 'back') || '/issues'), `issues-${action}`);
  });
}
