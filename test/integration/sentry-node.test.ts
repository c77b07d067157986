// An unmodified @sentry/node application sends to a real Sluice (server + foreman
// processes on loopback): errors and a message arrive grouped into issues.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, ROOT, Sluice } from '../helpers/processes.js';

const run = promisify(execFile);

describe('@sentry/node end to end', () => {
  let sluice: Sluice;
  beforeAll(async () => {
    sluice = await Sluice.start({ workers: 2 });
  });
  afterAll(async () => sluice?.stop());

  it('digests exceptions and a message into 2 + 1 issues', async () => {
    const { dsn, projectId } = await sluice.createProject('Shop backend');
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'test/fixtures/sentry-node-client.mjs')], {
      env: childEnv({ SENTRY_DSN: dsn }),
    });
    const sent = JSON.parse(stdout.trim().split('\n').at(-1)!) as { flushed: boolean; ids: string[] };
    expect(sent.flushed).toBe(true);
    expect(sent.ids).toHaveLength(4);

    await sluice.drained();
    const stats = await sluice.stats();
    expect(stats).toMatchObject({ projects: 1, issues: 3, events: 4, queue: { pending: 0, dead: 0 } });

    const issues = sluice.query<{ title: string; event_count: number; level: string; culprit: string }>(
      'SELECT title, event_count, level, culprit FROM issues WHERE project_id = ? ORDER BY title',
      projectId,
    );
    expect(issues).toEqual([
      expect.objectContaining({ title: 'Nightly export finished with warnings', event_count: 1, level: 'warning' }),
      expect.objectContaining({ title: expect.stringMatching(/^SyntaxError: /), event_count: 1, level: 'error' }),
      expect.objectContaining({ title: 'TypeError: Order 1234 could not be loaded', event_count: 2, level: 'error' }),
    ]);
    expect(issues[2]!.culprit).toContain('loadOrder');

    // The ids the SDK generated are the ids we stored.
    const stored = sluice.query<{ event_id: string }>('SELECT event_id FROM events').map((r) => r.event_id);
    expect(stored.sort()).toEqual([...sent.ids].sort());

    // Release, environment, tags and user arrive as issue tags.
    const tags = sluice.query<{ key: string; value: string; count: number }>(
      `SELECT t.key, t.value, t.count FROM issue_tags t JOIN issues i ON i.id = t.issue_id
       WHERE i.title LIKE 'TypeError%' ORDER BY t.key`,
    );
    expect(tags).toEqual(
      expect.arrayContaining([
        { key: 'release', value: 'shop@1.4.2', count: 2 },
        { key: 'environment', value: 'staging', count: 2 },
        { key: 'region', value: 'eu-west', count: 2 },
        { key: 'user', value: 'id:42', count: 2 },
      ]),
    );
    const breadcrumbs = sluice.query<{ data: string }>('SELECT data FROM events LIMIT 1')[0]!;
    expect(JSON.parse(breadcrumbs.data).breadcrumbs.values).toEqual(
      expect.arrayContaining([expect.objectContaining({ category: 'auth', message: 'signed in' })]),
    );
  });
});
