// kill -9 the foreman again and again while events stream in: afterwards every
// acknowledged event is stored exactly once, and no counter counted one twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorEvent, eventEnvelope } from '../helpers/envelopes.js';
import { Sluice } from '../helpers/processes.js';

describe('crash safety of the foreman', () => {
  let sluice: Sluice;
  beforeAll(async () => {
    // Small batches so that the kills land mid-stream, between and inside commits.
    sluice = await Sluice.start({ workers: 2, env: { FOREMAN_BATCH_SIZE: '25' } });
  });
  afterAll(async () => sluice?.stop());

  it('stores every acknowledged event exactly once across repeated kill -9', async () => {
    const { key, projectId } = await sluice.createProject('Crashy');
    const url = `${sluice.url}/api/${projectId}/envelope/?sentry_key=${key}&sentry_version=7`;
    const acked: string[] = [];
    const refused: string[] = [];
    const total = 2000;
    let next = 0;
    const sender = async () => {
      while (next < total) {
        const n = next++;
        const event = errorEvent({
          exception: { values: [{ type: `Error${n % 7}`, value: `failure ${n}` }] },
          tags: { shard: String(n % 3) },
        });
        const r = await fetch(url, { method: 'POST', body: eventEnvelope(event) });
        if (r.status === 200) acked.push(event.event_id as string);
        else refused.push(`${r.status} ${await r.text()}`);
      }
    };
    const sending = Promise.all(Array.from({ length: 8 }, sender));

    let kills = 0;
    const killer = (async () => {
      while (next < total) {
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 200));
        await sluice.killForeman('SIGKILL');
        kills++;
        sluice.startForeman();
      }
    })();
    await Promise.all([sending, killer]);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(refused).toEqual([]);
    expect(acked.length).toBe(total);

    await sluice.drained(60_000);
    const [counts] = sluice.query<{ events: number; distinct_ids: number }>(
      'SELECT count(*) AS events, count(DISTINCT event_id) AS distinct_ids FROM events WHERE project_id = ?',
      projectId,
    );
    expect(counts).toEqual({ events: total, distinct_ids: total });
    const stored = new Set(sluice.query<{ event_id: string }>('SELECT event_id FROM events').map((r) => r.event_id));
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);

    // Aggregates agree with the rows: nothing was counted twice by a re-delivery.
    const [issues] = sluice.query<{ n: number }>('SELECT sum(event_count) AS n FROM issues WHERE project_id = ?', projectId);
    expect(issues!.n).toBe(total);
    const [hourly] = sluice.query<{ n: number }>('SELECT sum(count) AS n FROM issue_hourly');
    expect(hourly!.n).toBe(total);
    const [shards] = sluice.query<{ n: number }>("SELECT sum(count) AS n FROM issue_tags WHERE key = 'shard'");
    expect(shards!.n).toBe(total);
    const perIssue = sluice.query<{ id: number; event_count: number; actual: number }>(
      'SELECT i.id, i.event_count, (SELECT count(*) FROM events e WHERE e.issue_id = i.id) AS actual FROM issues i',
    );
    for (const row of perIssue) expect(row.event_count).toBe(row.actual);
    expect(sluice.queueQuery('SELECT * FROM dead_letters')).toEqual([]);
  });
});
