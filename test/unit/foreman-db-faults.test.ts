// The foreman, run in process, while another connection holds the main DB's write lock past
// busy_timeout (a large deleteIssues does): it neither dead-letters the queued events nor
// dies, and digests them all once the lock is free.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrateAll } from '../../src/db/migrate.js';
import { openMainDb, openQueueDb } from '../../src/db/open.js';
import { Foreman } from '../../src/foreman/foreman.js';
import { createProject } from '../../src/projects/projects.js';
import { errorEvent } from '../helpers/envelopes.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 3000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`gave up waiting: ${what}`);
}

describe('foreman under a held main-DB write lock', () => {
  it('keeps the events queued until it can write them, then digests each once', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-foreman-busy-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const config = loadConfig({ DATA_DIR: dataDir, QUEUE_SYNC: 'normal', FOREMAN_POLL_MS: '50' });
    await migrateAll(config);
    const main = openMainDb(config);
    const queue = openQueueDb(config);
    cleanups.push(() => {
      main.close();
      queue.close();
    });
    const projectId = createProject(main, 'Busy').project.id;
    const insert = queue.sqlite.prepare("INSERT INTO envelopes (project_id, event_id, received_at, source, headers, payload) VALUES (?, ?, ?, 'envelope', '{}', ?)");
    for (let i = 0; i < 10; i++) {
      const e = errorEvent();
      insert.run(projectId, e.event_id, Date.now(), Buffer.from(JSON.stringify(e)));
    }
    main.sqlite.pragma('busy_timeout = 20');
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => done(void warnings.push(String(chunk))) }));

    const other = new Database(config.mainDbPath);
    cleanups.push(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    const foreman = new Foreman(config, main, queue, log);
    let failed: unknown;
    const running = foreman.run().catch((err: unknown) => (failed = err));
    try {
      await until('the foreman finds the lock taken', () => warnings.length >= 2 || failed !== undefined);
      other.exec('ROLLBACK');
      const pending = () => (queue.sqlite.prepare('SELECT count(*) AS n FROM envelopes').get() as { n: number }).n;
      await until('the queue drains', () => pending() === 0 || failed !== undefined);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      foreman.stop();
      await running;
    }
    expect(failed).toBeUndefined();
    expect(queue.sqlite.prepare('SELECT event_id, error FROM dead_letters').all()).toEqual([]);
    expect(main.sqlite.prepare('SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events').get()).toEqual({ n: 10, d: 10 });
    expect(main.sqlite.prepare('SELECT sum(event_count) AS n FROM issues').get()).toEqual({ n: 10 });
  });
});
