// The conformance corpus (../shared/corpus, real SDK payloads nobody here wrote)
// through real processes: every event via /store/ and wrapped in an envelope,
// every raw envelope as captured. All answered 200, all digested, no dead letters.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFiles } from '../helpers/corpus-files.js';
import { envelope, newEventId } from '../helpers/envelopes.js';
import { CORPUS, Sluice } from '../helpers/processes.js';


/** Captured envelopes name the DSN they were sent with; a real SDK would name ours. */
function withOurDsn(raw: Buffer, dsn: string): Buffer {
  const nl = raw.indexOf(0x0a);
  const first = raw.subarray(0, nl === -1 ? raw.length : nl).toString('utf8');
  if (!first.includes('"dsn"')) return raw;
  const headers = JSON.parse(first) as Record<string, unknown>;
  headers.dsn = dsn;
  return Buffer.concat([Buffer.from(JSON.stringify(headers)), nl === -1 ? Buffer.alloc(0) : raw.subarray(nl)]);
}

describe('conformance corpus through real processes', () => {
  let sluice: Sluice;
  let project: Awaited<ReturnType<Sluice['createProject']>>;
  beforeAll(async () => {
    sluice = await Sluice.start({ workers: 2 });
    project = await sluice.createProject('Corpus');
  });
  afterAll(async () => sluice?.stop());

  const auth = () => ({ 'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${project.key}, sentry_client=corpus-test/1.0` });
  const post = (endpoint: string, body: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${sluice.url}/api/${project.projectId}/${endpoint}/`, { method: 'POST', body, headers: { ...auth(), ...headers } });

  const events = corpusFiles(path.join(CORPUS, 'events'));
  const envelopes = corpusFiles(path.join(CORPUS, 'envelopes'));

  it('has the corpus', () => {
    expect(events.length).toBeGreaterThanOrEqual(161);
    expect(envelopes.length).toBeGreaterThanOrEqual(57);
  });

  it('takes every event through /store/ and through /envelope/, and digests all of them', async () => {
    const acked = new Set<string>();
    for (const file of events) {
      const body = fs.readFileSync(file);
      const store = await post('store', body, { 'content-type': 'application/json' });
      expect(store.status, `${path.basename(file)} via store: ${await store.clone().text()}`).toBe(200);
      acked.add(((await store.json()) as { id: string }).id);

      // A fresh envelope event_id: it wins over the payload's, so both copies are kept.
      const id = newEventId();
      const env = await post('envelope', envelope({ event_id: id }, [{ type: 'event', payload: body }]));
      expect(env.status, `${path.basename(file)} via envelope: ${await env.clone().text()}`).toBe(200);
      expect(await env.json()).toEqual({ id });
      acked.add(id);
    }
    await sluice.drained(60_000);
    const dead = sluice.queueQuery<{ event_id: string; error: string }>('SELECT event_id, error FROM dead_letters');
    expect(dead).toEqual([]);
    const stored = new Set(sluice.query<{ event_id: string }>('SELECT event_id FROM events').map((r) => r.event_id));
    for (const id of acked) expect(stored.has(id), `event ${id} was acknowledged but not stored`).toBe(true);
  });

  it('answers 200 to every captured envelope and digests the events in them', async () => {
    for (const file of envelopes) {
      const body = withOurDsn(fs.readFileSync(file), project.dsn);
      const r = await post('envelope', body);
      expect(r.status, `${path.relative(CORPUS, file)}: ${await r.clone().text()}`).toBe(200);
    }
    await sluice.drained(60_000);
    expect(sluice.queueQuery('SELECT event_id, error FROM dead_letters')).toEqual([]);
  });
});
