/**
 * npm run bench:ingest — events/s that `node dist/server.js` accepts (cluster, WEB_CONCURRENCY
 * workers, loopback, fresh temp DATA_DIR, QUEUE_SYNC=full unless told), against the no-op
 * Fastify baseline (scripts/bench/noop-server.ts, same worker count) measured in the same round.
 *
 * Variants per round, each on a freshly started server: `baseline`; `sluice` with no foreman
 * (ingest alone: the queue only grows); `sluice+foreman` with the foreman digesting at the same
 * time, competing for the same cores (what a real deployment under a burst sees).
 * Each variant: a warm-up, then `--duration` seconds measured. Median of `--runs` rounds.
 *
 * Options: --runs 3 --duration 10 --warmup 3 --connections 32 --workers 2
 *          --mix small,mixed --variants baseline,sluice,sluice+foreman[,sluice-normal] [--ref DIR]
 *   sluice-normal = ingest alone with QUEUE_SYNC=normal (no fsync per commit);
 *   sluice-sched-none = ingest alone with NODE_CLUSTER_SCHED_POLICY=none (kernel balancing);
 *   sluice-ref = ingest alone, served by the build in `--ref DIR` (a copy of dist/ from before a
 *   change, with node_modules and views reachable from it): before and after in the same round.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { drive, type LoadResult } from './load.js';
import {
  args, BENCH_DIR, waitQuiet, fmt, freePort, intArg, isMain, machineLine, median, pct, printTable, sleep, sluiceEnv, spawnNode, startSluice, tempDir, waitHttp,
  childPids, CpuMeter, peakRssMiB,
} from './lib.js';
import { mixTemplates, sdkHeaders, type Mix } from './payloads.js';

export type Variant = 'baseline' | 'sluice' | 'sluice+foreman' | 'sluice-normal' | 'sluice-sched-none' | 'sluice-ref';

export interface IngestOptions {
  runs: number;
  duration: number;
  warmup: number;
  connections: number;
  workers: number;
  mixes: Mix[];
  variants: Variant[];
  /** Write .cpuprofile files of the Sluice processes here. */
  cpuProf?: string;
  /** The build the `sluice-ref` variant runs. */
  ref?: string;
}

export interface IngestSample extends LoadResult {
  mix: Mix;
  variant: Variant;
  memory: Array<{ process: string; peakMiB: number }>;
  /** CPU use per process during the measured window, % of one core. */
  cpu: Array<{ process: string; percent: number }>;
  /** Events the foreman digested during the measured window (sluice+foreman). */
  digested?: number;
}

const PATH_OF = (projectId: number, key: string) => `/api/${projectId}/envelope/?sentry_key=${key}&sentry_version=7`;

async function runBaseline(o: IngestOptions, mix: Mix): Promise<IngestSample> {
  const port = await freePort();
  const tmp = tempDir('noop');
  const env = sluiceEnv(tmp.dir, port, { WEB_CONCURRENCY: String(o.workers) });
  const server = spawnNode(['--import', 'tsx', path.join(BENCH_DIR, 'noop-server.ts')], env);
  try {
    await server.waitFor(/noop listening/);
    await waitHttp(`http://127.0.0.1:${port}/health`);
    const dsn = `http://${'0'.repeat(32)}@127.0.0.1:${port}/1`;
    const load = { url: `http://127.0.0.1:${port}`, path: PATH_OF(1, '0'.repeat(32)), templates: mixTemplates(mix, dsn), headers: (gz: boolean) => sdkHeaders('0'.repeat(32), gz), connections: o.connections };
    await drive({ ...load, duration: o.warmup });
    await waitQuiet();
    const procs = [{ process: 'server primary', pid: server.pid }];
    childPids(server.pid).forEach((pid, i) => procs.push({ process: `worker ${i + 1}`, pid }));
    const meter = new CpuMeter(procs);
    const r = await drive({ ...load, duration: o.duration });
    const cpu = meter.read();
    const memory = procs.map(({ process, pid }) => ({ process, peakMiB: peakRssMiB(pid) }));
    return { ...r, mix, variant: 'baseline', memory, cpu };
  } finally {
    await server.stop();
    tmp.remove();
  }
}

async function runSluice(o: IngestOptions, mix: Mix, variant: Exclude<Variant, 'baseline'>): Promise<IngestSample> {
  const s = await startSluice({
    workers: o.workers,
    foreman: variant === 'sluice+foreman',
    env: {
      QUEUE_SYNC: variant === 'sluice-normal' ? 'normal' : 'full',
      // node:cluster's default on Linux is round-robin by the primary (SCHED_RR); 'none' lets
      // the kernel hand connections to whichever worker accepts first.
      ...(variant === 'sluice-sched-none' ? { NODE_CLUSTER_SCHED_POLICY: 'none' } : {}),
    },
    ...(o.cpuProf ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', path.resolve(o.cpuProf)] } : {}),
    ...(variant === 'sluice-ref' ? { dist: refDist(o) } : {}),
  });
  try {
    const { projectId, key, dsn } = s.project;
    const load = { url: s.url, path: PATH_OF(projectId, key), templates: mixTemplates(mix, dsn), headers: (gz: boolean) => sdkHeaders(key, gz), connections: o.connections };
    await drive({ ...load, duration: o.warmup });
    await waitQuiet(variant === 'sluice+foreman' ? 0.75 : 0.25); // a digesting foreman keeps a core busy
    const before = variant === 'sluice+foreman' ? eventCount(s.dataDir) : 0;
    const meter = new CpuMeter(s.pids());
    const r = await drive({ ...load, duration: o.duration });
    const cpu = meter.read();
    const digested = variant === 'sluice+foreman' ? eventCount(s.dataDir) - before : undefined;
    return { ...r, mix, variant, memory: s.peakRss(), cpu, ...(digested !== undefined ? { digested } : {}) };
  } finally {
    await s.stop();
  }
}

function refDist(o: IngestOptions): string {
  if (!o.ref) throw new Error('the sluice-ref variant needs --ref DIR (a copy of dist/)');
  return path.resolve(o.ref);
}

function eventCount(dataDir: string): number {
  const db = new Database(path.join(dataDir, 'sluice.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export async function benchIngest(o: IngestOptions): Promise<IngestSample[]> {
  const samples: IngestSample[] = [];
  for (let run = 1; run <= o.runs; run++) {
    for (const mix of o.mixes) {
      for (const variant of o.variants) {
        const sample = variant === 'baseline' ? await runBaseline(o, mix) : await runSluice(o, mix, variant);
        samples.push(sample);
        const extra = sample.digested !== undefined ? `, foreman digested ${fmt(sample.digested / sample.seconds)}/s` : '';
        console.error(
          `run ${run}/${o.runs} ${mix} ${variant}: ${fmt(sample.rate)}/s p50 ${sample.p50.toFixed(2)} ms p99 ${sample.p99.toFixed(2)} ms errors ${sample.errors}, worker CPU ${fmt(workerMicros(sample))} µs/event, server ${fmt(serverMicros(sample))}${extra}`,
        );
        await sleep(500);
      }
    }
  }
  return samples;
}

/** CPU time the HTTP workers spent per accepted event: steadier than events/s on a shared machine. */
function workerMicros(s: IngestSample): number {
  return cpuMicros(s, (p) => p.startsWith('worker'));
}

/** The same for the whole server: workers and primary (which checkpoints the queue). */
function serverMicros(s: IngestSample): number {
  return cpuMicros(s, (p) => p.startsWith('worker') || p === 'server primary');
}

function cpuMicros(s: IngestSample, counts: (process: string) => boolean): number {
  const percent = s.cpu.filter((c) => counts(c.process)).reduce((n, c) => n + c.percent, 0);
  return ((percent / 100) * 1e6) / s.rate;
}

export function printIngest(samples: IngestSample[], o: IngestOptions): void {
  const rows: string[][] = [];
  for (const mix of o.mixes) {
    const base = median(samples.filter((s) => s.mix === mix && s.variant === 'baseline').map((s) => s.rate));
    for (const variant of o.variants) {
      const mine = samples.filter((s) => s.mix === mix && s.variant === variant);
      if (mine.length === 0) continue;
      const rate = median(mine.map((s) => s.rate));
      const digested = mine.filter((s) => s.digested !== undefined);
      rows.push([
        `${mix} / ${variant}`,
        fmt(rate),
        variant === 'baseline' ? '100%' : pct(rate / base),
        median(mine.map((s) => s.p50)).toFixed(2),
        median(mine.map((s) => s.p99)).toFixed(2),
        String(mine.reduce((n, s) => n + s.errors, 0)),
        digested.length ? fmt(median(digested.map((s) => s.digested! / s.seconds))) : '',
        fmt(median(mine.map(workerMicros))),
        fmt(median(mine.map(serverMicros))),
      ]);
    }
  }
  printTable(
    `ingest: median of ${o.runs} runs, ${o.duration} s each after ${o.warmup} s warm-up, ${o.connections} connections, ${o.workers} workers`,
    ['mix / variant', 'events/s', 'vs baseline', 'p50 ms', 'p99 ms', 'errors (all runs)', 'digested/s', 'worker CPU µs/event', 'server CPU µs/event'],
    rows,
  );
  const mem = new Map<string, number>();
  for (const s of samples) for (const m of s.memory) {
    const k = `${s.variant} ${m.process}`;
    mem.set(k, Math.max(mem.get(k) ?? 0, m.peakMiB));
  }
  printTable('ingest: peak RSS (VmHWM, max over runs)', ['process', 'MiB'], [...mem].map(([k, v]) => [k, fmt(v)]));
  const cpu = new Map<string, number[]>();
  for (const s of samples) for (const c of s.cpu) {
    const k = `${s.mix} / ${s.variant}: ${c.process}`;
    cpu.set(k, [...(cpu.get(k) ?? []), c.percent]);
  }
  printTable('ingest: CPU during the measured window (% of one core, median)', ['process', 'CPU %'], [...cpu].map(([k, v]) => [k, fmt(median(v))]));
  console.log(`\nmachine: ${machineLine()}`);
}

export function ingestOptions(a: Map<string, string>): IngestOptions {
  return {
    runs: intArg(a, 'runs', 3),
    duration: intArg(a, 'duration', 10),
    warmup: intArg(a, 'warmup', 3),
    connections: intArg(a, 'connections', 32),
    workers: intArg(a, 'workers', 2),
    mixes: (a.get('mix') ?? 'small,mixed').split(',') as Mix[],
    variants: (a.get('variants') ?? 'baseline,sluice,sluice+foreman').split(',') as Variant[],
    ...(a.get('cpu-prof') ? { cpuProf: a.get('cpu-prof')! } : {}),
    ...(a.get('ref') ? { ref: a.get('ref')! } : {}),
  };
}

if (isMain(import.meta.url)) {
  const o = ingestOptions(args());
  printIngest(await benchIngest(o), o);
  process.exit(0);
}
