// Ingest edges with real processes on loopback: a `dsn` header naming another project, zstd
// over real HTTP, kill -9 of one HTTP worker mid-stream, and /health on a database that
// cannot be read. One server for the file (two workers, so one can die while the other
// serves); the health case needs a data directory of its own, corrupted before its server starts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorEvent, eventEnvelope } from '../helpers/envelopes.js';
import { childEnv, DIST, freePort, Sluice } from '../helpers/processes.js';
import { zstdRawFrame } from '../helpers/zstd-raw.js';

let sluice: Sluice;
let a: { key: string; projectId: number };
let b: { key: string; projectId: number };
beforeAll(async () => {
  sluice = await Sluice.start({ workers: 2, foreman: false });
  a = await sluice.createProject('Edges A');
  b = await sluice.createProject('Edges B');
});
afterAll(async () => sluice?.stop());

const queuedIds = (eventId: string) => sluice.queueQuery<{ n: number }>('SELECT count(*) AS n FROM envelopes WHERE event_id = ?', eventId)[0]!.n;

async function post(pathAndQuery: string, body: Buffer, headers: Record<string, string> = {}) {
  const r = await fetch(`${sluice.url}${pathAndQuery}`, { method: 'POST', body, headers });
  return { status: r.status, body: (await r.json()) as { id?: string; detail?: string }, sentryError: r.headers.get('x-sentry-error') };
}

describe('envelope header dsn naming another project than the URL', () => {
  const dsn = (key: string, projectId: number) => `http://${key}@127.0.0.1:${sluice.port}/${projectId}`;

  it.each([
    ['with agreeing ?sentry_key', () => `/api/${a.projectId}/envelope/?sentry_key=${a.key}`, () => ({}), () => dsn(a.key, b.projectId)],
    ['with agreeing X-Sentry-Auth', () => `/api/${a.projectId}/envelope/`, () => ({ 'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${a.key}` }), () => dsn(a.key, b.projectId)],
    ['by the dsn alone, with the URL project key', () => `/api/${a.projectId}/envelope/`, () => ({}), () => dsn(a.key, b.projectId)],
    ['by the dsn alone, with that other project key', () => `/api/${a.projectId}/envelope/`, () => ({}), () => dsn(b.key, b.projectId)],
  ])('%s: 403 saying which project, nothing queued', async (_, url, headers, header) => {
    const event = errorEvent();
    const r = await post(url(), eventEnvelope(event, { dsn: header() }), headers());
    expect(r.status).toBe(403);
    const detail = `envelope header "dsn" names project ${b.projectId}, not ${a.projectId}`;
    expect(r.body).toEqual({ detail });
    expect(r.sentryError).toBe(detail);
    expect(queuedIds(event.event_id as string)).toBe(0);
  });

  it('the same envelope with a dsn of the URL project is taken (the refusal above is about the project)', async () => {
    const event = errorEvent();
    const r = await post(`/api/${a.projectId}/envelope/`, eventEnvelope(event, { dsn: dsn(a.key, a.projectId) }));
    expect(r).toMatchObject({ status: 200, body: { id: event.event_id } });
    expect(queuedIds(event.event_id as string)).toBe(1);
  });
});

describe('zstd over real HTTP', () => {
  it('a Content-Encoding: zstd envelope of several raw blocks is answered 200 and digested', async () => {
    const marker = `zstd-over-http-${Date.now()}`;
    // Padding past a few blocks, so the decoder is fed across block (and TCP chunk) boundaries.
    const event = errorEvent({ message: marker, extra: { padding: 'x'.repeat(40_000) } });
    const plain = eventEnvelope(event);
    const body = zstdRawFrame(plain, 16 * 1024);
    expect(body.length).toBeGreaterThan(plain.length); // raw blocks: framed, not compressed
    const r = await post(`/api/${a.projectId}/envelope/?sentry_key=${a.key}`, body, { 'content-encoding': 'zstd' });
    expect(r).toMatchObject({ status: 200, body: { id: event.event_id } });

    if (!sluice.foreman || sluice.foreman.exitCode !== null || sluice.foreman.signalCode !== null) sluice.startForeman();
    await sluice.drained();
    const rows = sluice.query<{ data: string }>('SELECT data FROM events WHERE project_id = ? AND event_id = ?', a.projectId, event.event_id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.data).toContain(marker);
    expect(rows[0]!.data).toContain('x'.repeat(40_000));
    expect(sluice.queueQuery('SELECT * FROM dead_letters')).toEqual([]);
  });
});

/** Pids of the live child processes of `pid` (the cluster primary's workers). */
function childPids(pid: number): number[] {
  const pids = new Set<number>();
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    for (const p of text ? text.split(/\s+/) : []) pids.add(Number(p));
  }
  return [...pids].sort((x, y) => x - y);
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${sluice.logs.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kill -9 of one HTTP worker mid-stream', () => {
  it('every acknowledged event is queued exactly once, the primary starts a new worker, and all get digested once', async () => {
    // The queue is checked before the foreman empties it: an acknowledgement must mean a committed row.
    await sluice.killForeman('SIGTERM');
    const primary = sluice.server!.pid!;
    const before = await waitFor('two workers', () => (childPids(primary).length === 2 ? childPids(primary) : undefined));
    const { key, projectId } = await sluice.createProject('Worker crash');
    const url = `${sluice.url}/api/${projectId}/envelope/?sentry_key=${key}&sentry_version=7`;

    const sent: string[] = [];
    const acked: string[] = [];
    const refused: string[] = [];
    const total = 1200;
    const killAt = 300;
    let next = 0;
    let reachedKillAt: () => void = () => undefined;
    const atKillPoint = new Promise<void>((r) => (reachedKillAt = r));
    const sender = async () => {
      while (next < total) {
        const n = next++;
        if (n === killAt) reachedKillAt();
        const event = errorEvent({ exception: { values: [{ type: `Crash${n % 5}`, value: `event ${n}` }] } });
        const id = event.event_id as string;
        sent.push(id);
        try {
          const r = await fetch(url, { method: 'POST', body: eventEnvelope(event) });
          const text = await r.text();
          if (r.status === 200 && text === JSON.stringify({ id })) acked.push(id);
          else refused.push(`${r.status} ${text}`);
        } catch (err) {
          refused.push(String((err as Error).cause ?? err)); // connection reset by the dying worker
        }
      }
    };
    const sending = Promise.all(Array.from({ length: 8 }, sender));

    // Mid-stream, hold the queue's write lock so that the requests now arriving wait for their
    // commit inside the workers, then kill one worker. A worker that answered before its commit
    // would have acknowledged events that die with it; a correct one has answered none of them.
    // The pause under the lock is the requests' way into the workers, which nothing outside a
    // worker can see; it decides how many are caught waiting, not whether the test passes.
    // (Well under the workers' 5 s busy timeout, past which they would answer 503.)
    await atKillPoint;
    const lock = new Database(path.join(sluice.dataDir, 'queue.db'));
    lock.exec('BEGIN IMMEDIATE');
    const killed = before[0]!;
    try {
      await new Promise((r) => setTimeout(r, 300));
      process.kill(killed, 'SIGKILL');
      await waitFor('the killed worker to go', () => (childPids(primary).includes(killed) ? undefined : true));
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    await sending;

    // server.ts replaces a dead worker (after a second's pause).
    const after = await waitFor('a replacement worker', () => {
      const now = childPids(primary);
      return now.length === 2 && !now.includes(killed) ? now : undefined;
    });
    expect(after).toContain(before[1]);
    const replacement = after.find((p) => !before.includes(p))!;
    expect(sluice.logs.join('')).toMatch(/worker died; starting another/);

    // With the cluster whole again, every request is taken.
    const later = Array.from({ length: 40 }, () => errorEvent({ exception: { values: [{ type: 'After', value: 'recovered' }] } }));
    for (const event of later) {
      const r = await fetch(url, { method: 'POST', body: eventEnvelope(event) });
      expect(r.status).toBe(200);
      acked.push(event.event_id as string);
      sent.push(event.event_id as string);
    }
    expect(fs.existsSync(`/proc/${replacement}`)).toBe(true);

    // Most requests went through; a few at the killed worker may have been reset.
    expect(acked.length + refused.length).toBe(total + later.length);
    expect(acked.length).toBeGreaterThan(total / 2);
    for (const r of refused) expect(r).not.toMatch(/^[45]\d\d /); // refused only by a dead connection, never by an answer

    // Acknowledged → in the queue exactly once; nothing (acknowledged or not) in it twice.
    const queue = new Map(
      sluice.queueQuery<{ event_id: string; n: number }>('SELECT event_id, count(*) AS n FROM envelopes WHERE project_id = ? GROUP BY event_id', projectId).map((r) => [r.event_id, r.n]),
    );
    expect(acked.filter((id) => queue.get(id) !== 1)).toEqual([]);
    expect([...queue].filter(([, n]) => n !== 1)).toEqual([]);
    const sentSet = new Set(sent);
    expect([...queue.keys()].filter((id) => !sentSet.has(id))).toEqual([]);

    // And digested: exactly once each in the main DB, counted once.
    sluice.startForeman();
    await sluice.drained();
    const stored = sluice.query<{ event_id: string; n: number }>('SELECT event_id, count(*) AS n FROM events WHERE project_id = ? GROUP BY event_id', projectId);
    expect(stored.filter((r) => r.n !== 1)).toEqual([]);
    const storedIds = new Set(stored.map((r) => r.event_id));
    expect(acked.filter((id) => !storedIds.has(id))).toEqual([]);
    expect(stored.length).toBe(queue.size);
    const [count] = sluice.query<{ n: number }>('SELECT sum(event_count) AS n FROM issues WHERE project_id = ?', projectId);
    expect(count!.n).toBe(queue.size);
    expect(sluice.queueQuery('SELECT * FROM dead_letters')).toEqual([]);
  });
});

describe('GET /health', () => {
  it('answers 200 with the queue counts while both databases can be read', async () => {
    const r = await fetch(`${sluice.url}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok', queue: { pending: expect.any(Number), dead: 0 } });
  });

  it.each([
    ['queue.db', 'dead_letters'],
    ['sluice.db', 'key_version'],
  ])('answers 503 with a JSON reason and no internals when %s has a corrupt %s page on disk', async (file, table) => {
    // A data directory of its own: migrated, then the table's pages overwritten while nothing
    // has the file open. The server starts fine (it does not need that table to start: a failed
    // key refresh keeps the old keys), and the health check's read hits SQLITE_CORRUPT for real.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-health-'));
    const port = await freePort();
    const env = childEnv({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', BASE_URL: `http://127.0.0.1:${port}`, WEB_CONCURRENCY: '1', LOG_LEVEL: 'warn' });
    const logs: string[] = [];
    let server: ReturnType<typeof spawn> | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const m = spawn(process.execPath, [path.join(DIST, 'cli.js'), 'migrate'], { env, stdio: 'ignore' });
        m.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`migrate exited ${code}`))));
      });
      const dbFile = path.join(dataDir, file);
      const db = new Database(dbFile);
      db.pragma('wal_checkpoint(TRUNCATE)'); // every page in the main file, none in a WAL
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      const roots = db.prepare('SELECT rootpage FROM sqlite_master WHERE tbl_name = ? AND rootpage > 0').pluck().all(table) as number[];
      db.close();
      expect(roots.length).toBeGreaterThan(0);
      const fd = fs.openSync(dbFile, 'r+');
      for (const page of roots) fs.writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (page - 1) * pageSize);
      fs.closeSync(fd);

      server = spawn(process.execPath, [path.join(DIST, 'server.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      server.stdout!.on('data', (d: Buffer) => logs.push(d.toString()));
      server.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
      const deadline = Date.now() + 20_000;
      let r: Response | undefined;
      while (!r) {
        r = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        if (!r && Date.now() > deadline) throw new Error(`no answer from /health:\n${logs.join('')}`);
        if (!r) await new Promise((res) => setTimeout(res, 100));
      }
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const text = await r.text();
      expect(JSON.parse(text)).toEqual({ status: 'unavailable', detail: 'a database cannot be read' });
      expect(text).not.toMatch(new RegExp(`malformed|sqlite|corrupt|${table}|${file}|${dataDir}`, 'i'));
      // The reason is in the log, for the operator.
      await waitFor('the logged cause', () => (/health check failed/.test(logs.join('')) ? true : undefined));
      expect(logs.join('')).toMatch(/malformed/);
    } finally {
      if (server && server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((res) => server!.once('exit', res));
        server.kill('SIGTERM');
        await Promise.race([exited, new Promise((res) => setTimeout(res, 5000))]);
        if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
