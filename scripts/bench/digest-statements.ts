/**
 * Where the digesting thread's time goes, statement by statement: the small digest workload
 * (generated events, 1,000 issues, 10–20 tags) prepared up front, then written by the real
 * Digester in batches on this thread, in process, with every better-sqlite3 statement and each
 * COMMIT timed. Not a rate to quote (no pipeline, no fsync thread); a breakdown that shows what
 * bounds the foreman's digesting thread, which bench:digest --cpu-prof shows as a whole.
 *
 *   node --import tsx scripts/bench/digest-statements.ts [--events 50000 --batch 500 --top 10]
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { migrateAll } from '../../src/db/migrate.js';
import { openMainDb } from '../../src/db/open.js';
import { Digester } from '../../src/digest/digest-batch.js';
import { prepareAll } from '../../src/digest/prepare-event.js';
import { createProject } from '../../src/projects/projects.js';
import type { QueueRow } from '../../src/queue/take-batch.js';
import { args, fmt, intArg, machineLine, printTable, tempDir } from './lib.js';
import { generatedEvent, prng } from './payloads.js';

const a = args();
const N = intArg(a, 'events', 50_000);
const BATCH = intArg(a, 'batch', 500);
const TOP = intArg(a, 'top', 10);

const { dir, remove } = tempDir('stmts');
const config = loadConfig({ DATA_DIR: dir, QUEUE_SYNC: 'full', LOG_LEVEL: 'silent' });
await migrateAll(config);
const main = openMainDb(config, { sync: 'normal', cacheKiB: 8 * 1024 }); // as the foreman opens it
// As in the foreman (checkpointer.ts): no checkpoint inside COMMIT; another connection
// checkpoints between batches, and that time is left out of the figures (another thread's).
main.sqlite.pragma('wal_autocheckpoint = 0');
const checkpointer = new Database(config.mainDbPath);
checkpointer.pragma('synchronous = NORMAL');
const projectId = createProject(main, 'bench').project.id;

const rnd = prng(42);
const now = Date.now() / 1000;
const rows: QueueRow[] = [];
for (let i = 0; i < N; i++) {
  const ev = generatedEvent(i, Math.floor(rnd() * 1000), rnd, now) as Record<string, unknown>;
  const eventId = randomBytes(16).toString('hex');
  ev.event_id = eventId;
  rows.push({ id: i + 1, project_id: projectId, event_id: eventId, received_at: Date.now(), source: 'envelope', headers: '{}', payload: Buffer.from(JSON.stringify(ev)) });
}
const preps = prepareAll(rows); // the prepare worker's part, not timed here

// Time every statement call and every COMMIT (writeTransaction commits with exec('COMMIT')).
const spent = new Map<string, { ms: number; calls: number }>();
function account(label: string, t0: number): void {
  const e = spent.get(label) ?? { ms: 0, calls: 0 };
  e.ms += performance.now() - t0;
  e.calls++;
  spent.set(label, e);
}
const proto = Object.getPrototypeOf(main.sqlite.prepare('SELECT 1')) as Record<string, (...x: unknown[]) => unknown>;
for (const m of ['run', 'get', 'all']) {
  const orig = proto[m]!;
  proto[m] = function (this: { source: string }, ...x: unknown[]) {
    const t0 = performance.now();
    try {
      return orig.apply(this, x);
    } finally {
      if (!this.source.includes('wal_checkpoint')) account(this.source.replace(/\s+/g, ' ').slice(0, 70), t0);
    }
  };
}
const exec = main.sqlite.exec.bind(main.sqlite);
main.sqlite.exec = ((q: string) => {
  const t0 = performance.now();
  try {
    return exec(q);
  } finally {
    if (q === 'COMMIT') account('COMMIT', t0);
  }
}) as typeof main.sqlite.exec;

const digester = new Digester(main, pino({ level: 'silent' }), { tagFlush: { maxRows: config.foreman.tagFlushRows, maxAgeMs: config.foreman.tagFlushMs } });
const cpu0 = process.cpuUsage();
let checkpointMs = 0;
let checkpointCpu = 0;
const t0 = performance.now();
for (let i = 0; i < N; i += BATCH) {
  digester.write(rows.slice(i, i + BATCH), preps.slice(i, i + BATCH), i + BATCH >= N);
  if ((i / BATCH) % 4 === 3) {
    const c0 = process.cpuUsage();
    const c = performance.now();
    checkpointer.pragma('wal_checkpoint(PASSIVE)');
    checkpointMs += performance.now() - c;
    const dc = process.cpuUsage(c0);
    checkpointCpu += dc.user + dc.system;
  }
}
const wallUs = ((performance.now() - t0 - checkpointMs) * 1000) / N;
const cpu = process.cpuUsage(cpu0);
const cpuUs = (cpu.user + cpu.system - checkpointCpu) / N;

const timed = [...spent.values()].reduce((s, e) => s + e.ms, 0);
const rowsOut = [...spent]
  .sort((x, y) => y[1].ms - x[1].ms)
  .slice(0, TOP)
  .map(([label, e]) => [label, fmt((e.ms * 1000) / N, 1), fmt(e.calls), fmt((e.ms * 1000) / e.calls, 1)]);
rowsOut.push(['(everything else: JS of the digest, tag sums, GC)', fmt(wallUs - (timed * 1000) / N, 1), '', '']);
printTable(
  `digest statements: ${fmt(N)} events in batches of ${BATCH}; ${fmt(wallUs)} µs/event wall, ${fmt(cpuUs)} µs/event CPU on this thread (checkpoints left out)`,
  ['statement', 'µs/event', 'calls', 'µs/call'],
  rowsOut,
);
console.log(machineLine());
checkpointer.close();
main.close();
remove();
