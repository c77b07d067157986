// The server primary's queue checkpointer (src/queue/queue-checkpointer.ts), as built in dist/
// (its thread is a compiled file; `npm test` builds first): events committed by a worker's
// Enqueuer, whose own autocheckpoint is only a safety net, reach the database file through the
// thread, and close() ends the thread. No timing: it waits for the thread's own report.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrateAll } from '../../src/db/migrate.js';
import { openQueueDb } from '../../src/db/open.js';
import { Enqueuer } from '../../src/queue/enqueue.js';

const DIST_CHECKPOINTER = path.resolve(import.meta.dirname, '../../dist/queue/queue-checkpointer.js');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

it('copies what the workers committed into the database file, off their threads', async () => {
  const { QueueCheckpointer } = (await import(DIST_CHECKPOINTER)) as typeof import('../../src/queue/queue-checkpointer.js');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-checkpoint-'));
  dirs.push(dataDir);
  const config = loadConfig({ DATA_DIR: dataDir, QUEUE_SYNC: 'full' });
  await migrateAll(config);

  const conn = openQueueDb(config);
  const enqueuer = new Enqueuer(conn, pino({ level: 'silent' }));
  const payload = Buffer.alloc(2000, 0x61);
  await Promise.all(
    Array.from({ length: 500 }, (_, i) =>
      enqueuer.enqueue({ projectId: 1, eventId: i.toString(16).padStart(32, '0'), receivedAt: 0, source: 'envelope', headers: '{}', payload }),
    ),
  );
  // ~1 MB committed, far under the writer's safety net: all of it still sits in the WAL.
  const dbBytesBefore = fs.statSync(config.queueDbPath).size;
  expect(dbBytesBefore).toBeLessThan(500 * 2000);

  const reports: Array<{ msg: string; log?: number; checkpointed?: number }> = [];
  let sawFull!: () => void;
  const full = new Promise<void>((resolve) => (sawFull = resolve));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const r = JSON.parse(line) as { msg: string; log?: number; checkpointed?: number };
        reports.push(r);
        if (r.msg === 'queue checkpoint' && r.log !== undefined && r.log > 0 && r.checkpointed === r.log) sawFull();
      }
      done();
    },
  });
  const checkpointer = new QueueCheckpointer(config.queueDbPath, pino({ level: 'trace' }, sink));
  await full;
  expect(fs.statSync(config.queueDbPath).size).toBeGreaterThan(500 * 2000);
  expect(reports.filter((r) => r.msg !== 'queue checkpoint')).toEqual([]);
  await checkpointer.close();

  // Every row is there once, read back from the database file and WAL as any reader would.
  expect(conn.sqlite.prepare('SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM envelopes').get()).toEqual({ n: 500, d: 500 });
  enqueuer.close();
  conn.close();
});
