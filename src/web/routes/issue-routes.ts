/**
 * One issue: its page (header, histogram, the event shown, tags, history),
 * its events, one event (page and raw JSON), and its state changes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { projectAccess, requireAdmin, type ProjectAccess } from '../../auth/access.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { eventView } from '../../issues/event-view.js';
import { dailyCounts, getIssue, issueProjectIds, tagDistributions, tagValues, type IssueDetail, type TagValueCount } from '../../issues/issue-detail.js';
import { eventNavigation, getEvent, listEvents } from '../../issues/issue-events.js';
import { deleteIssues, historyWording, issueHistory, muteIssues, reopenIssues, resolveIssues, stateWording, type Actor, type HistoryEntry } from '../../issues/lifecycle.js';
import { tagSearchUrl } from '../../issues/search-query.js';
import { projectReleases, type ReleaseRow } from '../../releases/releases.js';
import { page, seeOther, type WebContext } from '../page.js';
import { idParam, param, queryValue, viewerOf } from '../request-context.js';
import { histogram } from '../svg-charts.js';
import { muteChoices, muteSpec, resolution } from './issue-forms.js';

const EVENTS_PAGE = 50;

interface IssueContext extends ProjectAccess {
  issue: IssueDetail;
  actor: Actor;
}

/** Releases shown in the header before "+N more". */
const HEADER_RELEASES = 3;
/**
 * Shown in the header (level, releases, environments), so not again among the
 * tag distributions — except level when the issue's events differ in level,
 * which the header's one level does not tell.
 */
const HEADER_TAGS = new Set(['release', 'environment']);

/** The issue's releases newest first, in the project's release order (semver where it parses), each with its share of events. */
function releasesNewestFirst(seen: TagValueCount[], ordered: readonly ReleaseRow[]) {
  const rank = new Map(ordered.map((r, i) => [r.version, i]));
  return withShares([...seen].sort((a, b) => (rank.get(a.value) ?? Infinity) - (rank.get(b.value) ?? Infinity) || b.last_seen - a.last_seen));
}

function withShares<T extends { count: number }>(rows: T[]): Array<T & { pct: number }> {
  const total = rows.reduce((a, r) => a + r.count, 0);
  return rows.map((r) => ({ ...r, pct: total ? Math.round((r.count / total) * 100) : 0 }));
}

/** What the header says about the state, and who brought it about when (the newest entry that did). */
function stateLine(issue: IssueDetail, history: HistoryEntry[]) {
  const kinds: Record<string, string[]> = { resolved: ['resolved'], muted: ['muted'], unresolved: ['regressed', 'unmuted', 'reopened'] };
  const last = history.find((h) => kinds[issue.status]?.includes(h.kind));
  const state = stateWording(issue);
  // An unresolved issue says how it came back, if it did: "regressed", "unmuted", "reopened".
  const detail = issue.status === 'unresolved' && last ? [last.kind] : state.detail;
  return { ...state, detail, by: last ? { user: last.user_email, at: last.created_at } : null };
}

export async function issueRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { main } = ctx;

  /** The issue, if the viewer may see its project; a 404 otherwise, whether it exists or not. */
  function issueContext(req: FastifyRequest): IssueContext {
    const id = idParam(req, 'issue');
    const [projectId] = issueProjectIds(main, [id]);
    if (projectId === undefined) throw new NotFoundError('no such issue');
    const access = projectAccess(main, viewerOf(req), projectId);
    return { ...access, issue: getIssue(main, id, [projectId]), actor: { userId: viewerOf(req).id, projectIds: [projectId] } };
  }

  function showEvent(req: FastifyRequest, reply: FastifyReply, eventId: string) {
    const c = issueContext(req);
    const event = getEvent(main, c.issue.id, eventId);
    const days = dailyCounts(main, c.issue.id, 30);
    const frames = queryValue(req, 'frames') === 'all' ? 'all' : 'app';
    const order = queryValue(req, 'order') === 'cause' ? 'cause' : 'thrown';
    const view = eventView(event.data, c.issue.title);
    const known = projectReleases(main, c.project.id);
    const history = issueHistory(main, c.issue.id);
    return page(ctx, req, reply, 'issue', {
      ...c,
      event,
      view,
      exceptions: order === 'thrown' ? [...view.exceptions].reverse() : view.exceptions,
      frames,
      order,
      nav: eventNavigation(main, c.issue.id, event.id),
      histogram: histogram(days.map((d) => ({ label: new Date(d.day * 86_400_000).toISOString().slice(0, 10), count: d.count }))),
      // The chart stretches, so it holds no text: its first day and its scale go around it.
      histogramAxis: { first: (days[0]?.day ?? 0) * 86_400_000, max: Math.max(0, ...days.map((d) => d.count)) },
      releases: releasesNewestFirst(tagValues(main, c.issue.id, 'release'), known).map((r) => ({ ...r, search: tagSearchUrl(c.project.id, 'release', r.value) })),
      headerReleases: HEADER_RELEASES,
      environments: withShares(tagValues(main, c.issue.id, 'environment').sort((a, b) => b.count - a.count)).map((e) => ({ ...e, search: tagSearchUrl(c.project.id, 'environment', e.value) })),
      tags: tagDistributions(main, c.issue.id)
        .filter((t) => !HEADER_TAGS.has(t.key) && !(t.key === 'level' && t.distinct === 1))
        .map((t) => ({
          ...t,
          top: t.top.map((v) => ({ ...v, pct: Math.round((v.count / t.total) * 100), search: tagSearchUrl(c.project.id, t.key, v.value) })),
        })),
      state: stateLine(c.issue, history),
      history: history.map((h) => ({ ...h, wording: historyWording(h) })),
      muteChoices: muteChoices(ctx.config),
      knownReleases: known.slice(0, 50),
      eventBase: `/issues/${c.issue.id}/events/${event.event_id}`,
    });
  }

  app.get('/issues/:issue', { config: { access: 'user' } }, async (req, reply) => showEvent(req, reply, 'latest'));

  app.get('/issues/:issue/events/:event', { config: { access: 'user' } }, async (req, reply) => {
    const eventId = param(req, 'event');
    if (eventId !== 'latest' && !/^[0-9a-f]{32}$/.test(eventId)) throw new NotFoundError('no such event');
    return showEvent(req, reply, eventId);
  });

  app.get('/issues/:issue/events', { config: { access: 'user' } }, async (req, reply) => {
    const c = issueContext(req);
    const before = queryValue(req, 'before');
    if (before && !/^\d{1,15}$/.test(before)) throw new BadRequestError('the page cursor is not valid');
    const list = listEvents(main, c.issue.id, EVENTS_PAGE, before ? Number(before) : undefined);
    return page(ctx, req, reply, 'issue-events', { ...c, events: list.events, next: list.next, first: !!before });
  });

  /** The stored event as JSON, to read in the browser or (?download=1) to save; never rendered as HTML. */
  app.get('/issues/:issue/events/:event/json', { config: { access: 'user' } }, async (req, reply) => {
    const c = issueContext(req);
    const eventId = param(req, 'event');
    if (!/^[0-9a-f]{32}$/.test(eventId)) throw new NotFoundError('no such event');
    const event = getEvent(main, c.issue.id, eventId);
    reply.type('application/json; charset=utf-8');
    if (queryValue(req, 'download')) reply.header('content-disposition', `attachment; filename="event-${event.event_id}.json"`);
    return JSON.stringify(event.data, null, 2);
  });

  app.post('/issues/:issue/resolve', { config: { access: 'user' } }, async (req, reply) => {
    const c = issueContext(req);
    resolveIssues(main, [c.issue.id], resolution(req), c.actor);
    return seeOther(reply, `/issues/${c.issue.id}`, 'issue-resolved');
  });

  app.post('/issues/:issue/mute', { config: { access: 'user' } }, async (req, reply) => {
    const c = issueContext(req);
    muteIssues(main, [c.issue.id], muteSpec(req, ctx.config), c.actor);
    return seeOther(reply, `/issues/${c.issue.id}`, 'issue-muted');
  });

  app.post('/issues/:issue/reopen', { config: { access: 'user' } }, async (req, reply) => {
    const c = issueContext(req);
    reopenIssues(main, [c.issue.id], c.actor);
    return seeOther(reply, `/issues/${c.issue.id}`, 'issue-reopened');
  });

  app.get('/issues/:issue/delete', { config: { access: 'user' } }, async (req, reply) => {
    const c = issueContext(req);
    requireAdmin(c, 'delete issues');
    return page(ctx, req, reply, 'confirm-delete', {
      title: 'Delete issue',
      what: `the issue “${c.issue.title}”`,
      consequence: `Its ${c.issue.event_count} events are deleted with it. If the error happens again, it comes back as a new issue. This cannot be undone.`,
      confirmWord: 'delete',
      action: `/issues/${c.issue.id}/delete`,
      cancel: `/issues/${c.issue.id}`,
    });
  });

  app.post('/issues/:issue/delete', { config: { access: 'user' } }, async (req, reply) => {
    const c = issueContext(req);
    requireAdmin(c, 'delete issues');
    const confirm = (req.body as Record<string, unknown> | undefined)?.confirm;
    if (confirm !== 'delete') throw new BadRequestError('type “delete” to confirm');
    deleteIssues(main, [c.issue.id], c.actor);
    return seeOther(reply, `/projects/${c.project.id}/issues`, 'issue-deleted');
  });
}
