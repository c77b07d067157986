// A batch that fails because of the database (its write lock held too long, the disk full),
// not because of one of its events, must not be dead-lettered: the events are good, and a
// dead letter is never digested. The digest throws instead, the batch stays queued, and the
// same rows go in once the database takes writes again.
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { MainDb } from '../../src/db/open.js';
import { Digester } from '../../src/digest/digest-batch.js';
import { createProject } from '../../src/projects/projects.js';
import type { QueueRow } from '../../src/queue/take-batch.js';
import { freshMainDb } from '../helpers/digest.js';
import { errorEvent } from '../helpers/envelopes.js';

const log = pino({ level: 'silent' });
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function freshDb(): Promise<{ main: MainDb; projectId: number; file: string }> {
  const { main, config, remove } = await freshMainDb('faults');
  cleanups.push(remove);
  return { main, projectId: createProject(main, 'Faults').project.id, file: config.mainDbPath };
}

let queueId = 1;
function rows(projectId: number, n: number): QueueRow[] {
  return Array.from({ length: n }, () => {
    const e = errorEvent({ tags: { shard: 'a' } });
    return { id: queueId++, project_id: projectId, event_id: String(e.event_id), received_at: Date.now(), source: 'envelope', headers: '{}', payload: Buffer.from(JSON.stringify(e)) };
  });
}

const count = (main: MainDb, sql: string) => (main.sqlite.prepare(sql).get() as { n: number | null }).n ?? 0;

describe('digest under database faults', () => {
  it('throws, dead-letters nothing, and stores the batch once the write lock is free again', async () => {
    const db = await freshDb();
    db.main.sqlite.pragma('busy_timeout = 0');
    const d = new Digester(db.main, log);
    const batch = rows(db.projectId, 5);
    const other = new Database(db.file);
    cleanups.push(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    expect(() => d.digest(batch)).toThrow(/locked|busy/i);
    other.exec('ROLLBACK');
    const out = d.digest(batch);
    expect(out.dead).toEqual([]);
    expect(out.stored).toBe(5);
    expect(count(db.main, "SELECT sum(count) AS n FROM issue_tags WHERE key = 'shard'")).toBe(5);
  });

  it('throws, dead-letters nothing, when the database is full', async () => {
    const db = await freshDb();
    const pages = Number(db.main.sqlite.pragma('page_count', { simple: true }));
    db.main.sqlite.pragma(`max_page_count = ${pages}`);
    const d = new Digester(db.main, log);
    const batch = rows(db.projectId, 50);
    expect(() => d.digest(batch)).toThrow(/full/i);
    db.main.sqlite.pragma('max_page_count = 1073741823');
    const out = d.digest(batch);
    expect(out.dead).toEqual([]);
    expect(out.stored).toBe(50);
    expect(count(db.main, 'SELECT count(*) AS n FROM events')).toBe(50);
  });
});
