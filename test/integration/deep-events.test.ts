// What the worker acknowledges the foreman must digest: events nested as deep as the ingest
// check allows (src/ingest/event-json.ts), in every field the foreman normalizes, through real
// processes. One level deeper is the SDK's 400, never a dead letter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DEPTH } from '../../src/ingest/event-json.js';
import { envelope, newEventId } from '../helpers/envelopes.js';
import { Sluice } from '../helpers/processes.js';

const FIELDS = ['extra', 'contexts', 'tags', 'exception', 'threads', 'breadcrumbs', 'request', 'user', 'fingerprint', 'logentry', 'message', 'sdk', 'modules'];

/** An event with `field` holding arrays nested so that the whole payload is `depth` deep. */
function deepEvent(field: string, depth: number): { id: string; body: string } {
  const id = newEventId();
  // The top-level object and the field's own object take two levels.
  const inner = `${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}`;
  return { id, body: `{"event_id":"${id}","message":"deep ${field}","${field}":{"values":${inner},"frames":${inner},"data":${inner}}}` };
}

describe('deeply nested events through real processes', () => {
  let sluice: Sluice;
  let project: Awaited<ReturnType<Sluice['createProject']>>;
  beforeAll(async () => {
    sluice = await Sluice.start();
    project = await sluice.createProject('Deep');
  });
  afterAll(async () => sluice?.stop());

  const post = (endpoint: string, body: string | Buffer) =>
    fetch(`${sluice.url}/api/${project.projectId}/${endpoint}/?sentry_key=${project.key}`, { method: 'POST', body });

  it('digests every event nested to the limit, and refuses one level more', async () => {
    const acked: string[] = [];
    for (const field of FIELDS) {
      const viaStore = deepEvent(field, MAX_DEPTH);
      expect((await post('store', viaStore.body)).status, field).toBe(200);
      const viaEnvelope = deepEvent(field, MAX_DEPTH);
      expect((await post('envelope', envelope({}, [{ type: 'event', payload: viaEnvelope.body }]))).status, field).toBe(200);
      acked.push(viaStore.id, viaEnvelope.id);

      const tooDeep = deepEvent(field, MAX_DEPTH + 1);
      expect((await post('store', tooDeep.body)).status, field).toBe(400);
      expect((await post('envelope', envelope({ event_id: tooDeep.id }, [{ type: 'event', payload: tooDeep.body }]))).status, field).toBe(400);
    }
    await sluice.drained(60_000);
    expect(sluice.queueQuery('SELECT event_id, error FROM dead_letters')).toEqual([]);
    const stored = new Set(sluice.query<{ event_id: string }>('SELECT event_id FROM events').map((r) => r.event_id));
    for (const id of acked) expect(stored.has(id), id).toBe(true);
  });
});
