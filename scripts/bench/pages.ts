/**
 * Pages benchmark: server time of the issue list (sorts, tabs, a tag search, a
 * text search, a later page) and of issue and event pages, on a main DB of
 * 100k issues and 1M events. In process through app.inject, so the figure is
 * routing + queries + rendering, without the network. The baseline, measured
 * in the same run, is GET /health (routing and two trivial queries).
 *
 *   npm run bench:pages [-- --issues 100000 --events 1000000 --runs 40]
 */
import path from 'node:path';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { migrateAll } from '../../src/db/migrate.js';
import { openMainDb } from '../../src/db/open.js';
import { createProject } from '../../src/projects/projects.js';
import { createSession } from '../../src/sessions/sessions.js';
import { createUser } from '../../src/users/users.js';
import { generateMainDb } from './generate-db.js';
import { args, fmt, intArg, machineLine, percentile, printTable, tempDir } from './lib.js';

const a = args();
const ISSUES = intArg(a, 'issues', 100_000);
const EVENTS = intArg(a, 'events', 1_000_000);
const RUNS = intArg(a, 'runs', 40);

const { dir } = tempDir('sluice-bench-pages-');
const config = loadConfig({ DATA_DIR: dir, QUEUE_SYNC: 'normal', LOG_LEVEL: 'silent', BASE_URL: 'http://bench.test' });
await migrateAll(config);
const setup = openMainDb(config);
const projectId = createProject(setup, 'Big shop').project.id;
const user = createUser(setup, { email: 'bench@example.com', passwordHash: null, isSuperuser: true });
const session = createSession(setup, user.id, config.accounts.sessionLifetimeMs);
setup.close();

const t0 = performance.now();
generateMainDb(config.mainDbPath, projectId, ISSUES, EVENTS);
console.log(`generated ${fmt(ISSUES)} issues and ${fmt(EVENTS)} events in ${fmt((performance.now() - t0) / 1000, 1)} s (${path.basename(config.mainDbPath)})`);

const app = await buildApp(config, pino({ level: process.env.BENCH_LOG ?? 'silent' }));
await app.ready();
const cookie = `sluice_session=${session.token}`;

async function time(url: string): Promise<number> {
  const start = performance.now();
  const res = await app.inject({ method: 'GET', url, headers: { cookie } });
  const ms = performance.now() - start;
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  return ms;
}

async function measure(urls: () => string): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 5; i++) await time(urls());
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await time(urls()));
  samples.sort((x, y) => x - y);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

// Issues of several sizes for the issue pages, and the cursor of a later list page.
const db = openMainDb(config);
const issueIds = db.sqlite.prepare('SELECT id FROM issues ORDER BY random() LIMIT 200').pluck().all() as number[];
const hot = db.sqlite.prepare('SELECT id FROM issues ORDER BY event_count DESC LIMIT 1').pluck().get() as number;
const oldestEvent = db.sqlite.prepare('SELECT event_id FROM events WHERE issue_id = ? ORDER BY id LIMIT 1').pluck();
const eventOf = new Map(issueIds.map((id) => [id, oldestEvent.get(id) as string]));
db.close();
let n = 0;
const nextIssue = () => issueIds[n++ % issueIds.length]!;
const base = `/projects/${projectId}/issues`;
const cursorMatch = (await app.inject({ method: 'GET', url: `${base}?tab=all`, headers: { cookie } })).body.match(/cursor=([\w-]+)/);

const cases: Array<[string, () => string]> = [
  ['baseline: GET /health', () => '/health'],
  ['issue list, open, last seen', () => base],
  ['issue list, all, first seen', () => `${base}?tab=all&sort=first_seen`],
  ['issue list, all, events', () => `${base}?tab=all&sort=event_count`],
  ['issue list, resolved', () => `${base}?tab=resolved`],
  ['issue list, tag search', () => `${base}?tab=all&query=${encodeURIComponent('browser:"Firefox 121"')}`],
  ['issue list, text search', () => `${base}?tab=all&query=RangeError`],
  ['issue list, page 2', () => (cursorMatch ? `${base}?tab=all&cursor=${cursorMatch[1]}` : base)],
  ['issues across projects', () => '/issues'],
  ['issue page', () => `/issues/${nextIssue()}`],
  ['issue page, hottest issue', () => `/issues/${hot}`],
  ['event page, oldest event', () => {
    const id = nextIssue();
    return `/issues/${id}/events/${eventOf.get(id)!}`;
  }],
];

const rows: string[][] = [];
let baseline = NaN;
for (const [name, url] of cases) {
  const r = await measure(url);
  if (Number.isNaN(baseline)) baseline = r.p50;
  rows.push([name, fmt(r.p50, 1), fmt(r.p95, 1), `${fmt(r.p50 / baseline, 1)}×`, r.p95 < 100 ? 'yes' : 'NO']);
}
await app.close();
printTable(`Pages: ${fmt(ISSUES)} issues, ${fmt(EVENTS)} events, ${RUNS} requests each (ms, server time via inject)`, ['page', 'p50', 'p95', 'p50 / baseline', 'p95 < 100 ms'], rows);
console.log(machineLine());
