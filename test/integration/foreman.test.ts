// The foreman as a process: dead letters, the single-instance lock, migrations
// from several processes at once, and the launcher behind `npm start`.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openQueueDb } from '../../src/db/open.js';
import { Enqueuer } from '../../src/queue/enqueue.js';
import { envelope, errorEvent, eventEnvelope, newEventId } from '../helpers/envelopes.js';
import { childEnv, DIST, freePort, Sluice } from '../helpers/processes.js';

const run = promisify(execFile);

describe('foreman process', () => {
  let sluice: Sluice;
  beforeAll(async () => {
    sluice = await Sluice.start();
  });
  afterAll(async () => sluice?.stop());

  it('dead-letters an undigestible event with its error and bytes, and digests the rest', async () => {
    const { key, projectId } = await sluice.createProject('Dead letters');
    const url = `${sluice.url}/api/${projectId}/envelope/?sentry_key=${key}`;
    const good1 = errorEvent();
    const good2 = errorEvent();
    const badId = newEventId();
    const badPayload = '{"exception": {"values": [ this is not json';
    // Workers refuse such a payload now (400), so it is queued as an older worker would have.
    const bad = envelope({ event_id: badId }, [{ type: 'event', payload: badPayload }]);
    expect((await fetch(url, { method: 'POST', body: bad })).status).toBe(400);
    const queue = openQueueDb(loadConfig({ DATA_DIR: sluice.dataDir }));
    const enqueuer = new Enqueuer(queue, pino({ level: 'silent' }));
    try {
      expect((await fetch(url, { method: 'POST', body: eventEnvelope(good1) })).status).toBe(200);
      await enqueuer.enqueue({ projectId, eventId: badId, receivedAt: Date.now(), source: 'envelope', headers: JSON.stringify({ event_id: badId }), payload: Buffer.from(badPayload) });
      expect((await fetch(url, { method: 'POST', body: eventEnvelope(good2) })).status).toBe(200);
    } finally {
      enqueuer.close();
      queue.close();
    }
    await sluice.drained();
    const dead = sluice.queueQuery<{ event_id: string; error: string; payload: Buffer }>(
      'SELECT event_id, error, payload FROM dead_letters',
    );
    expect(dead).toHaveLength(1);
    expect(dead[0]!.event_id).toBe(badId);
    expect(dead[0]!.error).toMatch(/JSON/);
    expect(dead[0]!.payload.toString()).toBe(badPayload);
    const stored = sluice.query<{ event_id: string }>('SELECT event_id FROM events WHERE project_id = ?', projectId);
    expect(stored.map((r) => r.event_id).sort()).toEqual([good1.event_id, good2.event_id].sort());
    expect((await sluice.stats()).queue).toEqual({ pending: 0, dead: 1 });
  });

  it('refuses to start a second foreman on the same data directory', async () => {
    const second = await run(process.execPath, [path.join(DIST, 'foreman.js')], { env: sluice.env }).catch((e) => e);
    expect(second.code).toBe(75);
    expect(second.stderr).toMatch(/another foreman is already running/);
  });
});

describe('migrations', () => {
  it('are safe to run twice and from several processes at once', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-migrate-'));
    const env = childEnv({ DATA_DIR: dataDir });
    try {
      const results = await Promise.all(
        Array.from({ length: 4 }, () => run(process.execPath, [path.join(DIST, 'cli.js'), 'migrate'], { env })),
      );
      const applied = results.filter((r) => r.stdout.includes('applied')).length;
      expect(applied).toBe(1);
      const again = await run(process.execPath, [path.join(DIST, 'cli.js'), 'migrate'], { env });
      expect(again.stdout).toMatch(/main: up to date\nqueue: up to date/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('launcher (npm start)', () => {
  it('runs server and foreman, and stops both on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-launch-'));
    const port = await freePort();
    const env = childEnv({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', WEB_CONCURRENCY: '1', LOG_LEVEL: 'warn' });
    const child = spawn(process.execPath, [path.join(DIST, 'launcher.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      let healthy = false;
      for (let i = 0; i < 300 && !healthy; i++) {
        await new Promise((r) => setTimeout(r, 100));
        healthy = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
      }
      expect(healthy, stderr).toBe(true);
      const stats = JSON.parse((await run(process.execPath, [path.join(DIST, 'cli.js'), 'stats', '--json'], { env })).stdout);
      expect(stats.foreman).toBe('running');
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
