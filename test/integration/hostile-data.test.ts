// Hostile event data in a real browser. Events whose every string field is an
// HTML/JS payload go through the real ingest endpoint and the real foreman;
// then Chromium opens every page that shows them. On each page: no payload ran
// (each would set window.__pwned to the name of its field), the CSP reported
// nothing, no payload became an element or an attribute (no on* handler, no
// javascript: link, no frame), the <title> and the SVG charts' <title>s were
// not broken out of, and the payload text is on the page as text.
import fs from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, recordCspViolations, SCREENSHOTS, signIn, type TestBrowser } from '../helpers/browser.js';
import { eventEnvelope, newEventId } from '../helpers/envelopes.js';
import { Sluice } from '../helpers/processes.js';

const EMAIL = 'mallory-watcher@example.com';
const PASSWORD = 'hostile-data-watcher-1';

/** Ways out of text into markup, each naming the field it came in (so a leak says where). */
const VARIANTS: Array<(field: string) => string> = [
  (f) => `<img src=x onerror="window.__pwned='${f}'">`,
  (f) => `<script>window.__pwned='${f}'</script>`,
  (f) => `"><svg onload="window.__pwned='${f}'">`,
  (f) => `'><img src=x onerror=window.__pwned='${f}'>`,
  (f) => `</textarea></title></style><img src=x onerror="window.__pwned='${f}'">`,
  (f) => `</title></svg><svg onload="window.__pwned='${f}'"><title>`,
  (f) => `javascript:window.__pwned='${f}'`,
  (f) => `<%~ it.csrf %>{{constructor.constructor('window.__pwned="${f}"')()}}<iframe srcdoc="<script>parent.__pwned='${f}'</script>">`,
];

const payloads = new Map<string, string>();
let variant = 0;
/** The payload for `field` (made once, then the same string every time). */
function x(field: string): string {
  let p = payloads.get(field);
  if (p === undefined) payloads.set(field, (p = VARIANTS[variant++ % VARIANTS.length]!(field)));
  return p;
}

function hostileError(): Record<string, unknown> {
  const now = Date.now() / 1000;
  return {
    event_id: newEventId(),
    timestamp: now,
    platform: 'javascript',
    level: x('level'),
    logger: x('logger'),
    transaction: x('transaction'),
    server_name: x('server_name'),
    release: x('release'),
    environment: x('environment'),
    dist: x('dist'),
    fingerprint: [x('fingerprint'), '{{ default }}'],
    logentry: { message: `${x('logentry')} %s`, params: [x('logentry-param')] },
    exception: {
      values: [
        {
          type: x('cause-type'),
          value: x('cause-value'),
          mechanism: { type: x('mechanism'), handled: false },
          stacktrace: { frames: [{ filename: x('cause-filename'), function: x('cause-function'), lineno: 3, in_app: true }] },
        },
        {
          type: x('exc-type'),
          value: `${x('exc-value')}\n${x('exc-value-line2')}`,
          module: x('exc-module'),
          stacktrace: {
            frames: [
              { filename: x('frame2-filename'), function: x('frame2-function'), lineno: 1, colno: 1, in_app: false, package: x('frame2-package'), instruction_addr: x('frame2-addr') },
              {
                module: x('frame-module'),
                filename: 'shadowed-by-module.js',
                abs_path: x('frame-abs-path'),
                function: x('frame-function'),
                lineno: 42,
                colno: 7,
                in_app: true,
                pre_context: [x('pre-context')],
                context_line: x('context-line'),
                post_context: [x('post-context')],
                vars: { [x('var-key')]: x('var-value'), nested: { deep: x('var-nested') } },
              },
            ],
          },
        },
      ],
    },
    breadcrumbs: {
      values: [
        {
          timestamp: now - 5,
          type: x('crumb-type'),
          category: x('crumb-category'),
          level: x('crumb-level'),
          message: x('crumb-message'),
          data: { [x('crumb-data-key')]: x('crumb-data-value') },
        },
      ],
    },
    request: {
      method: x('request-method'),
      url: x('request-url'),
      query_string: x('request-query'),
      cookies: x('request-cookies'),
      data: { field: x('request-data') },
      headers: { [x('header-name')]: x('header-value'), Referer: "javascript:window.__pwned='referer'" },
      env: { REMOTE_ADDR: x('request-env') },
    },
    user: { id: x('user-id'), email: x('user-email'), username: x('user-name'), ip_address: '10.0.0.1', data: { note: x('user-data') } },
    contexts: {
      os: { name: x('os-name'), version: x('os-version') },
      browser: { name: x('browser-name'), version: '1' },
      runtime: { name: x('runtime-name') },
      device: { model: x('device-model') },
      [x('context-name')]: { type: x('context-type'), [x('context-key')]: x('context-value') },
    },
    tags: { [x('tag-key')]: x('tag-value'), plain: x('plain-tag-value'), link: "javascript:window.__pwned='tag-link'" },
    extra: { [x('extra-key')]: x('extra-value'), obj: { inner: x('extra-nested') } },
    modules: { [x('module-name')]: x('module-version') },
    sdk: { name: x('sdk-name'), version: x('sdk-version'), integrations: [x('sdk-integration')] },
  };
}

function hostileMessage(): Record<string, unknown> {
  return {
    event_id: newEventId(),
    timestamp: Date.now() / 1000,
    platform: 'python',
    level: 'warning',
    message: x('message'),
    release: x('release-2'),
    threads: {
      values: [
        { id: x('thread-id'), name: x('thread-name'), crashed: true, stacktrace: { frames: [{ function: x('thread-function'), filename: x('thread-file'), lineno: 1, in_app: true }] } },
      ],
    },
  };
}

/** Fields nested in an object show as JSON, where `"` reads `\"`. */
const AS_JSON = new Set(['var-nested', 'crumb-data-key', 'crumb-data-value', 'request-data', 'request-env', 'user-data', 'extra-nested', 'sdk-integration']);
const shown = (field: string) => (AS_JSON.has(field) ? JSON.stringify(x(field)).slice(1, -1) : x(field));

const EXCEPTIONS = ['cause-type', 'cause-value', 'mechanism', 'cause-filename', 'cause-function', 'exc-type', 'exc-value', 'exc-value-line2'];
const APP_FRAME = ['frame-module', 'frame-function', 'pre-context', 'context-line', 'post-context', 'var-key', 'var-value', 'var-nested'];
const SYSTEM_FRAME = ['frame2-filename', 'frame2-function', 'frame2-addr'];
const DETAILS = [
  'logentry', 'logentry-param', 'crumb-category', 'crumb-level', 'crumb-message', 'crumb-data-key', 'crumb-data-value',
  'request-method', 'request-url', 'request-query', 'request-cookies', 'request-data', 'header-name', 'header-value', 'request-env',
  'user-id', 'user-email', 'user-name', 'user-data', 'os-name', 'os-version', 'browser-name', 'runtime-name', 'device-model',
  'context-name', 'context-type', 'context-key', 'context-value', 'tag-key', 'tag-value', 'plain-tag-value',
  'extra-key', 'extra-value', 'extra-nested', 'module-name', 'module-version', 'sdk-name', 'sdk-version', 'sdk-integration',
  'release', 'environment',
];
const EVENT_ALL_FRAMES = [...EXCEPTIONS, ...APP_FRAME, ...SYSTEM_FRAME, ...DETAILS];
/** The issue page adds the tag distributions, derived tags included. */
const SIDEBAR = ['transaction', 'server_name', 'release', 'environment', 'user-id', 'os-name', 'browser-name', 'runtime-name', 'device-model', 'tag-key', 'tag-value', 'plain-tag-value'];

let sluice: Sluice;
let browser: TestBrowser;
let page: Page;
let csp: { console: string[] };
let project: { projectId: number; key: string };
let errorIssue: number;
let messageIssue: number;
let errorEvents: string[];
let messageEvent: string;
const PROJECT_NAME = x('project-name');

async function send(event: Record<string, unknown>): Promise<void> {
  const r = await fetch(`${sluice.url}/api/${project.projectId}/envelope/`, {
    method: 'POST',
    body: eventEnvelope(event),
    headers: { 'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${project.key}, sentry_client=hostile/1.0` },
  });
  expect(r.status, await r.clone().text()).toBe(200);
}

beforeAll(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  [sluice, browser] = await Promise.all([Sluice.start({ env: { CREATE_SUPERUSER: `${EMAIL}:${PASSWORD}` } }), launchBrowser()]);
  csp = await recordCspViolations(browser.context);
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  project = await sluice.createProject(PROJECT_NAME);
  const first = hostileError();
  // A second event of the same issue (same fingerprint), in another release: event navigation and two releases.
  const second = { ...hostileError(), event_id: newEventId(), release: x('release-3'), timestamp: Date.now() / 1000 + 1 };
  const message = hostileMessage();
  for (const e of [first, second, message]) await send(e);
  await sluice.drained();
  errorEvents = [first.event_id as string, second.event_id as string];
  messageEvent = message.event_id as string;
  const issueOf = (id: string) => sluice.query<{ issue_id: number }>('SELECT issue_id FROM events WHERE event_id = ?', id)[0]!.issue_id;
  errorIssue = issueOf(errorEvents[0]!);
  expect(issueOf(errorEvents[1]!)).toBe(errorIssue);
  messageIssue = issueOf(messageEvent);
  await signIn(page, sluice.url, EMAIL, PASSWORD);
});
afterAll(async () => {
  await browser?.close();
  await sluice?.stop();
});

interface Seen {
  /** How far the page scrolls sideways: long payloads must wrap or scroll inside their boxes. */
  overflow: number;
  pwned: unknown;
  csp: string[];
  injected: string[];
  text: string;
  content: string;
  title: string;
  svgTitles: string[];
  status: number;
}

/** Opens `path`, lets every image fail and every handler have its chance, and reads what the page became. */
async function visit(path: string): Promise<Seen> {
  const res = await page.goto(`${sluice.url}${path}`);
  await page.waitForLoadState('load');
  // Page-side code as text: this project compiles without the DOM's types.
  const seen = await page.evaluate<Omit<Seen, 'status'>>(`(() => {
    // Collapsed sections (frames, headers, modules) count as shown: open them before reading the text.
    for (const d of document.querySelectorAll('details')) d.open = true;
    const injected = [];
    for (const el of document.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (['iframe', 'object', 'embed', 'frame', 'base'].includes(tag)) injected.push(el.outerHTML.slice(0, 200));
      if (tag === 'meta' && !el.closest('head')) injected.push(el.outerHTML.slice(0, 200));
      if (tag === 'script' && el.getAttribute('src') !== '/assets/app.js') injected.push(el.outerHTML.slice(0, 200));
      if (tag === 'img' && el.getAttribute('src') === 'x') injected.push(el.outerHTML.slice(0, 200));
      for (const a of el.attributes) {
        if (/^on/i.test(a.name) || a.name === 'srcdoc' || a.name === 'style') injected.push(tag + '[' + a.name + '=' + a.value.slice(0, 80) + ']');
        if (/^(href|src|action|formaction|xlink:href|data)$/i.test(a.name) && /^\\s*javascript:/i.test(a.value)) injected.push(tag + '[' + a.name + '=' + a.value.slice(0, 80) + ']');
      }
    }
    return {
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      pwned: window.__pwned,
      csp: window.__csp ?? ['no CSP recorder in this page'],
      injected,
      text: document.body.innerText,
      content: document.body.textContent ?? '',
      title: document.title,
      svgTitles: [...document.querySelectorAll('svg title')].map((t) => t.textContent ?? ''),
    };
  })()`);
  return { ...seen, status: res?.status() ?? 0 };
}

/** Nothing ran, nothing was injected, and each field's payload is on the page as text. */
function expectInert(path: string, seen: Seen, fields: readonly string[]): void {
  expect(seen.status, path).toBe(200);
  expect(seen.pwned, `${path}: a payload ran`).toBeUndefined();
  expect(seen.csp, `${path}: CSP violations`).toEqual([]);
  expect(seen.injected, `${path}: markup from event data`).toEqual([]);
  expect(seen.overflow, `${path}: the page scrolls sideways`).toBe(0);
  for (const t of seen.svgTitles) expect(t, `${path}: an SVG title holds more than ours`).toMatch(/^(\d+ events in the last 24 hours|\d{4}-\d{2}-\d{2}: \d+ events?)$/);
  const missing = fields.filter((f) => !seen.content.includes(shown(f)));
  expect(missing, `${path}: payloads not shown as text`).toEqual([]);
  // Visible, not merely present: innerText is what a person sees (text-transform applied, hence the case folding).
  const visible = seen.text.toLowerCase();
  expect(fields.filter((f) => !visible.includes(shown(f).toLowerCase())), `${path}: payloads not visible`).toEqual([]);
}

const issueTitle = (id: number) => sluice.query<{ title: string }>('SELECT title FROM issues WHERE id = ?', id)[0]!.title;

describe('hostile event data in Chromium', () => {
  it('stored the payloads as sent (the test would prove nothing otherwise)', () => {
    expect(issueTitle(errorIssue)).toBe(`${x('exc-type')}: ${x('exc-value')}`);
    expect(issueTitle(messageIssue)).toBe(x('message'));
  });

  it('issue lists: all projects, one project, and a hostile search', async () => {
    for (const path of ['/issues', `/projects/${project.projectId}/issues?tab=all`]) {
      const seen = await visit(path);
      expectInert(path, seen, ['exc-type', 'exc-value', 'frame-module', 'frame-function', 'message', 'project-name']);
      // Sparklines: one per row, their <title> ours alone.
      expect(seen.svgTitles.length, path).toBeGreaterThanOrEqual(2);
    }
    // Unreadable on purpose: the page repeats the query in the box and quotes the bad term in its explanation.
    const term = `level:<img/src=x/onerror=window.__pwned='search'>`;
    const query = `${term} '><svg/onload=window.__pwned='search-box'>`;
    const path = `/projects/${project.projectId}/issues?query=${encodeURIComponent(query)}`;
    const seen = await visit(path);
    expectInert(path, seen, []);
    expect(await page.inputValue('input[name=query]')).toBe(query);
    expect(seen.text).toContain(`This search is not understood: "${term}" is not a level`);
  });

  it('the issue page, in both frame modes and both orders, and each event page', async () => {
    const latest = errorEvents[1]!;
    const pages: Array<[number, string, string[]]> = [
      [errorIssue, `/issues/${errorIssue}`, [...EXCEPTIONS, ...APP_FRAME, ...DETAILS.filter((f) => f !== 'release'), 'release-3', ...SIDEBAR, 'project-name']],
      [errorIssue, `/issues/${errorIssue}/events/${latest}?frames=all&order=cause`, [...EVENT_ALL_FRAMES.filter((f) => f !== 'release'), 'release-3']],
      [errorIssue, `/issues/${errorIssue}/events/${latest}?frames=app&order=thrown`, [...EXCEPTIONS, ...APP_FRAME]],
      [errorIssue, `/issues/${errorIssue}/events/${errorEvents[0]}?frames=all&order=thrown`, EVENT_ALL_FRAMES],
      [messageIssue, `/issues/${messageIssue}`, ['message', 'release-2', 'thread-id', 'thread-name', 'thread-function', 'thread-file']],
      [messageIssue, `/issues/${messageIssue}/events/${messageEvent}?frames=all`, ['message', 'release-2', 'thread-name', 'thread-function']],
    ];
    for (const [issue, path, fields] of pages) {
      const seen = await visit(path);
      // For a person to look at: what hostile data looks like on the page (test-output/hostile-issue.png).
      if (path === `/issues/${errorIssue}`) await page.screenshot({ path: join(SCREENSHOTS, 'hostile-issue.png'), fullPage: true });
      expectInert(path, seen, fields);
      // The <title> was not broken out of: it holds the whole title as text.
      expect(seen.title, path).toBe(`${issueTitle(issue)} · Sluice`);
      expect(seen.svgTitles.length, `${path}: the 30-day histogram`).toBe(30);
    }
  });

  it('the events list, the releases page, the delete confirmation and the project pages', async () => {
    const pages: Array<[string, string[]]> = [
      [`/issues/${errorIssue}/events`, ['exc-type', 'exc-value', 'release', 'release-3', 'environment']],
      [`/projects/${project.projectId}/releases`, ['release', 'release-2', 'release-3', 'project-name']],
      [`/issues/${errorIssue}/delete`, ['exc-type', 'exc-value']],
      [`/projects/${project.projectId}`, ['project-name']],
      ['/projects', ['project-name']],
    ];
    for (const [path, fields] of pages) expectInert(path, await visit(path), fields);
  });

  it('the raw JSON view is JSON, not a page', async () => {
    const path = `/issues/${errorIssue}/events/${errorEvents[0]}/json`;
    const res = await page.goto(`${sluice.url}${path}`);
    expect(res?.headers()['content-type']).toMatch(/^application\/json/);
    expect(res?.headers()['x-content-type-options']).toBe('nosniff');
    const seen = await visit(path);
    expect(seen.pwned).toBeUndefined();
    expect(seen.injected).toEqual([]);
    expect(JSON.parse(seen.content)).toMatchObject({ event_id: errorEvents[0], release: x('release') });
  });

  it('follows every tag and release search link to a search that is understood and finds the issue', async () => {
    const links = new Set<string>();
    for (const path of [`/issues/${errorIssue}`, `/projects/${project.projectId}/releases`]) {
      await page.goto(`${sluice.url}${path}`);
      for (const href of await page.$$eval('a.tag-bar, .release-table a', (as) => as.map((a) => a.getAttribute('href') ?? ''))) links.add(href);
    }
    // Every tag value but the hostile key's (not a key a search can name) and level (the issue's own level filter).
    expect(links.size).toBeGreaterThanOrEqual(12);
    for (const href of links) {
      expect(href, 'a search link stays on this site').toMatch(/^\/projects\/\d+\/issues\?/);
      const seen = await visit(href);
      expectInert(href, seen, []);
      expect(seen.text, href).not.toContain('This search is not understood');
      const listed = await page.$$eval('a.issue-title', (as) => as.map((a) => a.getAttribute('href')));
      expect(listed.some((h) => h === `/issues/${errorIssue}` || h === `/issues/${messageIssue}`), `${href} lists neither issue`).toBe(true);
    }
  });

  it('reported no CSP violation on any page', () => {
    expect(csp.console).toEqual([]);
  });
});
