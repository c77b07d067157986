// The Enqueuer's commit paths: QUEUE_SYNC=full (commit, then an fdatasync of the WAL before
// anyone hears "ok") and normal, with several writers sharing the queue file as the cluster's
// workers do. No timing: only that every promise settles and every row is there once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrateAll } from '../../src/db/migrate.js';
import { openQueueDb, type QueueDb } from '../../src/db/open.js';
import { Enqueuer } from '../../src/queue/enqueue.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function queueDir(sync: 'full' | 'normal') {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-enqueue-'));
  dirs.push(dataDir);
  const config = loadConfig({ DATA_DIR: dataDir, QUEUE_SYNC: sync });
  await migrateAll(config);
  return config;
}

function row(i: number) {
  return { projectId: 1, eventId: i.toString(16).padStart(32, '0'), receivedAt: Date.now(), source: 'envelope' as const, headers: '{}', payload: Buffer.from(`{"n":${i}}`) };
}

describe.each(['full', 'normal'] as const)('Enqueuer with QUEUE_SYNC=%s', (sync) => {
  it('three writers on one file: every event is committed once and every caller answered', async () => {
    const config = await queueDir(sync);
    const conns: QueueDb[] = [0, 1, 2].map(() => openQueueDb(config));
    const writers = conns.map((c) => new Enqueuer(c, pino({ level: 'silent' })));
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < 600; i++) {
      sends.push(writers[i % 3]!.enqueue(row(i)));
      if (i % 50 === 0) await new Promise((r) => setImmediate(r)); // several batches per writer
    }
    await Promise.all(sends);
    const check = openQueueDb(config);
    const counts = check.sqlite.prepare('SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM envelopes').get();
    expect(counts).toEqual({ n: 600, d: 600 });
    // The queue connections keep the setting they were opened with; the writers commit through their own.
    expect(Number(conns[0]!.sqlite.pragma('synchronous', { simple: true }))).toBe(sync === 'full' ? 2 : 1);
    for (const w of writers) w.close();
    for (const c of [...conns, check]) c.close();
  });

  it('refuses events after close(), and close() waits for what is pending', async () => {
    const config = await queueDir(sync);
    const conn = openQueueDb(config);
    const w = new Enqueuer(conn, pino({ level: 'silent' }));
    const pending = w.enqueue(row(1));
    w.close();
    await pending;
    await expect(w.enqueue(row(2))).rejects.toThrow(/shutting down/);
    expect(conn.sqlite.prepare('SELECT count(*) AS n FROM envelopes').get()).toEqual({ n: 1 });
    conn.close();
  });
});
