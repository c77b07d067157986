/**
 * npm run bench:lag — at a steady offered load (default 1,000 events/s of the small corpus mix,
 * server and foreman running, QUEUE_SYNC=full), the time from an event's 200 answer to the
 * moment its row is visible in the main DB.
 *
 * The bench process polls the main DB read-only every --poll-ms (default 5) for new rows and
 * stamps each with the poll's time; lag = seen - acknowledged, so it over-states by at most the
 * poll interval plus this process's own scheduling. The first --warmup seconds are not counted.
 *
 * Options: --runs 3 --rate 1000 --duration 10 --warmup 3 --connections 16 --workers 2 --poll-ms 5
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { drive } from './load.js';
import { args, fmt, intArg, isMain, machineLine, median, percentile, printTable, sleep, startSluice, waitQuiet } from './lib.js';
import { mixTemplates, sdkHeaders } from './payloads.js';

export interface LagOptions {
  runs: number;
  rate: number;
  duration: number;
  warmup: number;
  connections: number;
  workers: number;
  pollMs: number;
}

export interface LagSample {
  offered: number;
  achieved: number;
  acked: number;
  seen: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  memory: Array<{ process: string; peakMiB: number }>;
}

export async function lagRound(o: LagOptions): Promise<LagSample> {
  const s = await startSluice({ workers: o.workers, foreman: true, env: { QUEUE_SYNC: 'full' } });
  const db = new Database(path.join(s.dataDir, 'sluice.db'), { readonly: true, fileMustExist: true });
  try {
    const { projectId, key, dsn } = s.project;
    const acked = new Map<string, number>();
    const seen = new Map<string, number>();
    let measuring = false;
    const poll = db.prepare('SELECT id, event_id FROM events WHERE id > ? ORDER BY id');
    let lastId = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const rows = poll.all(lastId) as Array<{ id: number; event_id: string }>;
        const now = performance.now();
        for (const r of rows) {
          seen.set(r.event_id, now);
          lastId = r.id;
        }
        await sleep(o.pollMs);
      }
    })();
    const load = {
      url: s.url,
      path: `/api/${projectId}/envelope/?sentry_key=${key}&sentry_version=7`,
      templates: mixTemplates('small', dsn),
      headers: (gz: boolean) => sdkHeaders(key, gz),
      connections: o.connections,
      overallRate: o.rate,
      onAck: (id: string, at: number) => {
        if (measuring) acked.set(id, at);
      },
    };
    await waitQuiet(0.5);
    await drive({ ...load, duration: o.warmup });
    measuring = true;
    const r = await drive({ ...load, duration: o.duration });
    measuring = false;
    // Let the last events through.
    const deadline = performance.now() + 10_000;
    while ([...acked.keys()].some((id) => !seen.has(id)) && performance.now() < deadline) await sleep(50);
    polling = false;
    await poller;
    const lags: number[] = [];
    for (const [id, at] of acked) {
      const t = seen.get(id);
      if (t !== undefined) lags.push(Math.max(0, t - at));
    }
    const sorted = Float64Array.from(lags).sort();
    return {
      offered: o.rate,
      achieved: r.rate,
      acked: acked.size,
      seen: lags.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? NaN,
      errors: r.errors,
      memory: s.peakRss(),
    };
  } finally {
    db.close();
    await s.stop();
  }
}

export async function benchLag(o: LagOptions): Promise<LagSample[]> {
  const out: LagSample[] = [];
  for (let run = 1; run <= o.runs; run++) {
    const l = await lagRound(o);
    out.push(l);
    console.error(
      `run ${run}/${o.runs}: ${fmt(l.achieved)}/s answered, ${l.seen}/${l.acked} seen, lag p50 ${l.p50.toFixed(1)} ms p99 ${l.p99.toFixed(1)} ms max ${l.max.toFixed(1)} ms, errors ${l.errors}`,
    );
  }
  return out;
}

export function printLag(samples: LagSample[], o: LagOptions): void {
  printTable(
    `lag: 200 answer → row visible in the main DB, median of ${o.runs} runs, ${o.duration} s at ${fmt(o.rate)} events/s offered (poll every ${o.pollMs} ms)`,
    ['offered/s', 'answered/s', 'events seen', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'errors (all runs)'],
    [[
      fmt(o.rate),
      fmt(median(samples.map((s) => s.achieved))),
      `${fmt(median(samples.map((s) => s.seen)))} of ${fmt(median(samples.map((s) => s.acked)))}`,
      median(samples.map((s) => s.p50)).toFixed(1),
      median(samples.map((s) => s.p99)).toFixed(1),
      median(samples.map((s) => s.max)).toFixed(1),
      String(samples.reduce((n, s) => n + s.errors, 0)),
    ]],
  );
  const mem = new Map<string, number>();
  for (const s of samples) for (const m of s.memory) mem.set(m.process, Math.max(mem.get(m.process) ?? 0, m.peakMiB));
  printTable('lag: peak RSS (VmHWM, max over runs)', ['process', 'MiB'], [...mem].map(([k, v]) => [k, fmt(v)]));
  console.log(`\nmachine: ${machineLine()}`);
}

export function lagOptions(a: Map<string, string>): LagOptions {
  return {
    runs: intArg(a, 'runs', 3),
    rate: intArg(a, 'rate', 1000),
    duration: intArg(a, 'duration', 10),
    warmup: intArg(a, 'warmup', 3),
    connections: intArg(a, 'connections', 16),
    workers: intArg(a, 'workers', 2),
    pollMs: intArg(a, 'poll-ms', 5),
  };
}

if (isMain(import.meta.url)) {
  const o = lagOptions(args());
  printLag(await benchLag(o), o);
  process.exit(0);
}
