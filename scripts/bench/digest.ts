/**
 * npm run bench:digest — how fast the foreman drains a full queue, against a raw batched SQLite
 * insert of the same payload bytes into a plain table, measured in the same round.
 *
 * Per workload and round: a fresh data dir; `node dist/server.js` (no foreman) takes the events
 * over HTTP, so the queue holds exactly what ingest writes; the server stays up (idle) as in
 * production. Then, with the same sync mode and PRAGMAs (src/db/sqlite.ts):
 *   baseline — the queued payloads read into memory, then inserted into `raw(id, payload)` of a
 *              new database in transactions of FOREMAN_BATCH_SIZE rows / FOREMAN_BATCH_BYTES;
 *   foreman  — `node dist/foreman.js` started; timed from its "foreman started" log line until
 *              the queue is empty; then checked: every event stored once, no dead letters.
 *
 * Workloads: small = --small events (default 100,000) of ~2 KB over 1,000 issues with 10–20 tags
 * each (issue drawn uniformly at random: the worst case for per-issue aggregation within a batch);
 * large = --large events (default 10,000) of ~50 KB with source context over 100 issues.
 *
 * Options: --runs 3 --small 100000 --large 10000 --workload small,large --workers 2
 *          --cpu-prof DIR (profile the foreman)
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { drive } from './load.js';
import {
  args, CpuMeter, fmt, intArg, isMain, machineLine, median, pct, printTable, sleep, startSluice, tempDir, waitQuiet, type SluiceRun,
} from './lib.js';
import { envelopeTemplate, generatedEvent, largeCorpusEvents, prng, sdkHeaders, type BodyTemplate } from './payloads.js';

export type Workload = 'small' | 'large';

export interface DigestOptions {
  runs: number;
  small: number;
  large: number;
  workloads: Workload[];
  workers: number;
  cpuProf?: string;
}

export interface DigestSample {
  workload: Workload;
  events: number;
  payloadMiB: number;
  baselineRate: number;
  foremanRate: number;
  foremanSeconds: number;
  foremanCpuPercent: number;
  memory: Array<{ process: string; peakMiB: number }>;
}

/** The foreman's batch limits (FOREMAN_BATCH_SIZE / FOREMAN_BATCH_BYTES or their defaults). */
const { batchSize: BATCH_ROWS, batchBytes: BATCH_BYTES } = loadConfig({ ...process.env, BASE_URL: undefined }).foreman;

/** Makes the workload's events in order, a slice at a time; the same events every run. */
function workloadMaker(w: Workload, dsn: string): (from: number, to: number) => BodyTemplate[] {
  const rnd = prng(42);
  const now = Date.now() / 1000;
  const bases = w === 'large' ? largeCorpusEvents() : [];
  return (from, to) => {
    const out: BodyTemplate[] = [];
    for (let i = from; i < to; i++) {
      if (w === 'small') {
        out.push(envelopeTemplate(generatedEvent(i, Math.floor(rnd() * 1000), rnd, now), dsn, i % 3 === 2));
        continue;
      }
      const ev = structuredClone(bases[i % bases.length]!);
      const values = (ev.exception as { values: Array<{ value?: string }> }).values;
      const main = values[values.length - 1]!;
      main.value = `${main.value ?? 'failure'} (variant${Math.floor(rnd() * 100)})`;
      ev.timestamp = now - rnd() * 6 * 3600;
      out.push(envelopeTemplate(ev, dsn, i % 3 === 2));
    }
    return out;
  };
}

function queueRows(dataDir: string): number {
  const db = new Database(path.join(dataDir, 'queue.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM envelopes').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function fill(s: SluiceRun, w: Workload, count: number): Promise<void> {
  const { projectId, key, dsn } = s.project;
  // Built in slices so that the client never holds every body at once.
  const slice = w === 'small' ? 20_000 : 2_000;
  const make = workloadMaker(w, dsn);
  for (let start = 0; start < count; start += slice) {
    const templates = make(start, Math.min(count, start + slice));
    const r = await drive({
      url: s.url,
      path: `/api/${projectId}/envelope/?sentry_key=${key}&sentry_version=7`,
      templates,
      headers: (gz) => sdkHeaders(key, gz),
      connections: 32,
      amount: templates.length,
    });
    if (r.errors > 0 || r.ok !== templates.length) throw new Error(`filling the queue: ${r.ok} of ${templates.length} accepted, ${r.errors} errors`);
  }
  const queued = queueRows(s.dataDir);
  if (queued !== count) throw new Error(`queue holds ${queued} rows, expected ${count}`);
}

/** The same payload bytes, inserted as they are into a plain table, batched like the foreman. */
function baseline(dataDir: string, sync: 'full' | 'normal'): { rate: number; bytes: number; count: number } {
  const q = new Database(path.join(dataDir, 'queue.db'), { readonly: true, fileMustExist: true });
  const payloads = (q.prepare('SELECT payload FROM envelopes ORDER BY id').all() as Array<{ payload: Buffer }>).map((r) => r.payload);
  q.close();
  const tmp = tempDir('raw');
  const db = openSqlite(path.join(tmp.dir, 'raw.db'), { sync });
  try {
    db.exec('CREATE TABLE raw (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO raw (payload) VALUES (?)');
    const t0 = performance.now();
    let i = 0;
    let bytes = 0;
    while (i < payloads.length) {
      db.exec('BEGIN IMMEDIATE');
      let rows = 0;
      let batchBytes = 0;
      while (i < payloads.length && rows < BATCH_ROWS && batchBytes < BATCH_BYTES) {
        const p = payloads[i++]!;
        insert.run(p);
        rows++;
        batchBytes += p.length;
      }
      db.exec('COMMIT');
      bytes += batchBytes;
    }
    const seconds = (performance.now() - t0) / 1000;
    return { rate: payloads.length / seconds, bytes, count: payloads.length };
  } finally {
    db.close();
    tmp.remove();
  }
}

async function drained(dataDir: string, timeoutMs: number): Promise<void> {
  const db = new Database(path.join(dataDir, 'queue.db'), { readonly: true, fileMustExist: true });
  const probe = db.prepare('SELECT 1 FROM envelopes LIMIT 1');
  const deadline = performance.now() + timeoutMs;
  try {
    while (probe.get() !== undefined) {
      if (performance.now() > deadline) throw new Error(`queue not drained within ${timeoutMs / 1000} s`);
      await sleep(20);
    }
  } finally {
    db.close();
  }
}

function verify(dataDir: string, expected: number): void {
  const main = new Database(path.join(dataDir, 'sluice.db'), { readonly: true, fileMustExist: true });
  const q = new Database(path.join(dataDir, 'queue.db'), { readonly: true, fileMustExist: true });
  try {
    const ev = main.prepare('SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events').get() as { n: number; d: number };
    const sum = main.prepare('SELECT sum(event_count) AS n FROM issues').get() as { n: number };
    const dead = q.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number };
    // The key probe of startSluice posts `{}` envelopes (no event item), so only bench events count.
    if (ev.n !== expected || ev.d !== expected || sum.n !== expected || dead.n !== 0) {
      throw new Error(`digest check failed: ${JSON.stringify({ events: ev, issueCounts: sum.n, dead: dead.n, expected })}`);
    }
  } finally {
    main.close();
    q.close();
  }
}

export async function digestRound(o: DigestOptions, w: Workload): Promise<DigestSample> {
  const count = w === 'small' ? o.small : o.large;
  const s = await startSluice({
    workers: o.workers,
    foreman: false,
    env: { QUEUE_SYNC: 'full' },
    ...(o.cpuProf ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', path.resolve(o.cpuProf)] } : {}),
  });
  try {
    await fill(s, w, count);
    await waitQuiet();
    const base = baseline(s.dataDir, 'full');
    await waitQuiet();
    const foreman = await s.startForeman();
    const t0 = performance.now();
    const meter = new CpuMeter([{ process: 'foreman', pid: foreman.pid }]);
    await drained(s.dataDir, 600_000);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = meter.read().find((c) => c.process === 'foreman')!.percent;
    const memory = s.peakRss();
    verify(s.dataDir, count);
    return {
      workload: w,
      events: count,
      payloadMiB: base.bytes / 1024 / 1024,
      baselineRate: base.rate,
      foremanRate: count / seconds,
      foremanSeconds: seconds,
      foremanCpuPercent: cpu,
      memory,
    };
  } finally {
    await s.stop();
  }
}

export async function benchDigest(o: DigestOptions): Promise<DigestSample[]> {
  const samples: DigestSample[] = [];
  for (let run = 1; run <= o.runs; run++) {
    for (const w of o.workloads) {
      const d = await digestRound(o, w);
      samples.push(d);
      console.error(
        `run ${run}/${o.runs} ${w}: foreman ${fmt(d.foremanRate)}/s (${d.foremanSeconds.toFixed(1)} s, CPU ${fmt(d.foremanCpuPercent)}%), raw insert ${fmt(d.baselineRate)}/s, ratio ${pct(d.foremanRate / d.baselineRate)}`,
      );
    }
  }
  return samples;
}

export function printDigest(samples: DigestSample[], o: DigestOptions): void {
  const rows: string[][] = [];
  for (const w of o.workloads) {
    const mine = samples.filter((s) => s.workload === w);
    const f = median(mine.map((s) => s.foremanRate));
    const b = median(mine.map((s) => s.baselineRate));
    rows.push([
      w,
      fmt(mine[0]!.events),
      fmt(mine[0]!.payloadMiB),
      fmt(f),
      fmt(b),
      pct(median(mine.map((s) => s.foremanRate / s.baselineRate))),
      fmt(median(mine.map((s) => s.foremanCpuPercent))),
    ]);
  }
  printTable(
    `digest: median of ${o.runs} runs (QUEUE_SYNC=full; batches of ${BATCH_ROWS} rows / ${BATCH_BYTES / 1024 / 1024} MiB)`,
    ['workload', 'events', 'payload MiB', 'foreman events/s', 'raw insert events/s', 'ratio', 'foreman CPU %'],
    rows,
  );
  const mem = new Map<string, number>();
  for (const s of samples) for (const m of s.memory) mem.set(`${s.workload}: ${m.process}`, Math.max(mem.get(`${s.workload}: ${m.process}`) ?? 0, m.peakMiB));
  printTable('digest: peak RSS (VmHWM, max over runs)', ['process', 'MiB'], [...mem].map(([k, v]) => [k, fmt(v)]));
  console.log(`\nmachine: ${machineLine()}`);
}

export function digestOptions(a: Map<string, string>): DigestOptions {
  return {
    runs: intArg(a, 'runs', 3),
    small: intArg(a, 'small', 100_000),
    large: intArg(a, 'large', 10_000),
    workloads: (a.get('workload') ?? 'small,large').split(',') as Workload[],
    workers: intArg(a, 'workers', 2),
    ...(a.get('cpu-prof') ? { cpuProf: a.get('cpu-prof')! } : {}),
  };
}

if (isMain(import.meta.url)) {
  const o = digestOptions(args());
  printDigest(await benchDigest(o), o);
  process.exit(0);
}
