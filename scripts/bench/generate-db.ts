/**
 * A big main DB for the pages benchmark: one project with N issues and M events
 * (default 100k / 1M), the per-issue counters the digest keeps (hourly counts,
 * tag values, releases) and realistic event JSON. Written with raw batched
 * inserts, not through the digest: this is about reading a big DB, and the
 * digest has its own benchmark.
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

const HOUR_MS = 3_600_000;
const RELEASES = Array.from({ length: 40 }, (_, i) => `shop@1.${Math.floor(i / 10)}.${i % 10}`);
const BROWSERS = ['Chrome 120', 'Chrome 119', 'Firefox 121', 'Safari 17.2', 'Edge 120'];
const ENVIRONMENTS = ['production', 'staging'];
const TYPES = ['TypeError', 'ReferenceError', 'RangeError', 'SyntaxError', 'Error', 'KeyError', 'ValueError'];

function eventJson(i: number, type: string, value: string, ts: number, release: string, browser: string): string {
  return JSON.stringify({
    event_id: '',
    timestamp: ts / 1000,
    level: 'error',
    platform: 'javascript',
    release,
    environment: ENVIRONMENTS[i % 2],
    tags: [['browser', browser], ['region', `eu-${i % 3}`]],
    exception: {
      values: [
        {
          type,
          value,
          stacktrace: {
            frames: Array.from({ length: 8 }, (_, f) => ({
              filename: `src/module${f}.js`,
              function: `handler${f}`,
              lineno: 10 + f,
              colno: 5,
              in_app: f > 4,
              context_line: `  doSomething(${f});`,
              pre_context: ['function x() {', '  const a = 1;'],
              post_context: ['}', ''],
            })),
          },
        },
      ],
    },
    breadcrumbs: { values: Array.from({ length: 5 }, (_, b) => ({ timestamp: ts / 1000 - b, category: 'http', message: `GET /api/items/${b}` })) },
    contexts: { browser: { name: browser }, os: { name: 'Windows', version: '10' } },
    request: { url: 'https://shop.example/checkout', method: 'GET' },
  });
}

export function generateMainDb(file: string, projectId: number, issues: number, events: number, now = Date.now()): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insIssue = db.prepare(
    `INSERT INTO issues (project_id, grouping_hash, grouping_key, title, culprit, type, value, level, platform, first_seen, last_seen, event_count, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'javascript', ?, ?, ?, ?)`,
  );
  const insEvent = db.prepare(
    `INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, release, environment, data) VALUES (?, ?, ?, ?, ?, 'error', ?, ?, ?)`,
  );
  const insHour = db.prepare('INSERT INTO issue_hourly (issue_id, hour, count) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count');
  const insTag = db.prepare(
    `INSERT INTO issue_tags (issue_id, key, value, count, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT DO UPDATE SET count = count + excluded.count, first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
  );
  const insRelease = db.prepare('INSERT OR IGNORE INTO releases (project_id, version, first_seen, last_seen) VALUES (?, ?, ?, ?)');
  RELEASES.forEach((r, i) => insRelease.run(projectId, r, now - (RELEASES.length - i) * 86_400_000, now));

  // A skewed spread, like real projects: a few issues have most events.
  const perIssue = (k: number) => Math.max(1, Math.round((events / issues) * 0.4 + (k % 97 === 0 ? (events / issues) * 50 : 0)));
  let remaining = events;
  const chunk = db.transaction((from: number, to: number) => {
    for (let k = from; k < to && k < issues; k++) {
      const type = TYPES[k % TYPES.length]!;
      const value = `Failure ${k} in step ${k % 13}`;
      const n = k === issues - 1 ? Math.max(1, remaining) : Math.min(remaining - (issues - k - 1), perIssue(k));
      remaining -= n;
      const lastSeen = now - (k % 5000) * 60_000;
      const firstSeen = lastSeen - (k % 30) * 86_400_000;
      const status = k % 10 === 0 ? 'resolved' : k % 25 === 0 ? 'muted' : 'unresolved';
      const { lastInsertRowid } = insIssue.run(projectId, randomBytes(16).toString('hex'), `${type}: Failure <num> ${k}`, `${type}: ${value}`, `src/module${k % 50}.js in handler${k % 7}`, type, value, k % 9 === 0 ? 'warning' : 'error', firstSeen, lastSeen, n, status);
      const issueId = Number(lastInsertRowid);
      const tags = new Map<string, number>();
      for (let e = 0; e < n; e++) {
        const ts = lastSeen - e * 37_000;
        const release = RELEASES[(k + e) % RELEASES.length]!;
        const browser = BROWSERS[(k + e) % BROWSERS.length]!;
        insEvent.run(projectId, randomBytes(16).toString('hex'), issueId, ts, ts, release, ENVIRONMENTS[e % 2], eventJson(e, type, value, ts, release, browser));
        insHour.run(issueId, Math.floor(ts / HOUR_MS), 1);
        for (const kv of [`release\0${release}`, `browser\0${browser}`, `environment\0${ENVIRONMENTS[e % 2]}`, `level\0error`, `region\0eu-${e % 3}`]) {
          tags.set(kv, (tags.get(kv) ?? 0) + 1);
        }
      }
      for (const [kv, c] of tags) {
        const [key, v] = kv.split('\0') as [string, string];
        insTag.run(issueId, key, v, c, firstSeen, lastSeen);
      }
    }
  });
  for (let k = 0; k < issues; k += 1000) chunk(k, k + 1000);
  // No ANALYZE: a real install has no statistics either, and the plans must be good without them.
  db.close();
}
