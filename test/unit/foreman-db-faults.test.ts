// The foreman, run in process, while another connection holds the main DB's write lock past
// busy_timeout (a large deleteIssues does), or the queue DB's: it neither dead-letters the
// queued events nor dies, and digests them all once, and empties the queue, once the lock is free.
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

async function setup(label: string) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-foreman-${label}-`));
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
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => done(void warnings.push(String(chunk))) }));
  return { config, main, queue, warnings, log };
}

/** Runs a foreman while `locked` holds its write lock until `released()` says it may let go. */
async function runWithLockHeld(t: Awaited<ReturnType<typeof setup>>, locked: string, release: () => boolean): Promise<unknown> {
  const other = new Database(locked);
  cleanups.push(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  const foreman = new Foreman(t.config, t.main, t.queue, t.log);
  let failed: unknown;
  const running = foreman.run().catch((err: unknown) => (failed = err));
  try {
    await until('the foreman finds the lock taken', () => release() || failed !== undefined);
    other.exec('ROLLBACK');
    const pending = () => (t.queue.sqlite.prepare('SELECT count(*) AS n FROM envelopes').get() as { n: number }).n;
    await until('the queue drains', () => pending() === 0 || failed !== undefined);
  } finally {
    if (other.inTransaction) other.exec('ROLLBACK');
    foreman.stop();
    await running;
  }
  return failed;
}

function expectDigestedOnce(t: Awaited<ReturnType<typeof setup>>): void {
  expect(t.queue.sqlite.prepare('SELECT event_id, error FROM dead_letters').all()).toEqual([]);
  expect(t.queue.sqlite.prepare('SELECT count(*) AS n FROM envelopes').get()).toEqual({ n: 0 });
  expect(t.main.sqlite.prepare('SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events').get()).toEqual({ n: 10, d: 10 });
  expect(t.main.sqlite.prepare('SELECT sum(event_count) AS n FROM issues').get()).toEqual({ n: 10 });
}

describe('foreman under a held write lock', () => {
  it('main DB: keeps the events queued until it can write them, then digests each once', async () => {
    const t = await setup('busy-main');
    t.main.sqlite.pragma('busy_timeout = 20');
    const failed = await runWithLockHeld(t, t.config.mainDbPath, () => t.warnings.length >= 2);
    expect(failed).toBeUndefined();
    expectDigestedOnce(t);
  });

  it('queue DB: digests the events, and removes them from the queue once it may', async () => {
    const t = await setup('busy-queue');
    t.queue.sqlite.pragma('busy_timeout = 20');
    const refused = () => t.warnings.some((w) => w.includes('refused to remove digested rows'));
    const failed = await runWithLockHeld(t, t.config.queueDbPath, refused);
    expect(failed).toBeUndefined();
    expect(refused()).toBe(true);
    expectDigestedOnce(t);
  });
});
