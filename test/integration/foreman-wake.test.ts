// The foreman wakes on inotify alone: with the safety poll set to a minute, events that
// arrive one at a time — each after the queue was drained, so SQLite hands out queue ids
// that earlier rows had — are each digested, exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorEvent, eventEnvelope } from '../helpers/envelopes.js';
import { Sluice } from '../helpers/processes.js';

describe('foreman wake-up', () => {
  let sluice: Sluice;
  beforeAll(async () => {
    sluice = await Sluice.start({ env: { FOREMAN_POLL_MS: '60000' } });
  });
  afterAll(async () => sluice?.stop());

  it('digests each event that arrives into a drained queue, without the poll', async () => {
    const { key, projectId } = await sluice.createProject('Wake');
    const url = `${sluice.url}/api/${projectId}/envelope/?sentry_key=${key}`;
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) {
      const event = errorEvent();
      sent.push(String(event.event_id));
      expect((await fetch(url, { method: 'POST', body: eventEnvelope(event) })).status).toBe(200);
      // Well under the poll: only a wake-up from the queue's change can drain it in time.
      await sluice.drained(10_000);
    }
    const stored = sluice.query<{ event_id: string }>('SELECT event_id FROM events WHERE project_id = ?', projectId);
    expect(stored.map((r) => r.event_id).sort()).toEqual([...sent].sort());
  });
});
