/**
 * node --import tsx scripts/bench/ingest-ab.ts --ref DIR — two builds of the server under the
 * same load at the same time: `dist/` (or SLUICE_DIST) and `--ref DIR` (a copy of dist/ from
 * before a change, with node_modules and views reachable from it), each with its own workers
 * and its own autocannon instance of `--connections`, QUEUE_SYNC=full, no foreman.
 *
 * On a shared machine, runs one after the other (bench:ingest) see different neighbours; side
 * by side, both see the same ones, so the difference in server CPU per event (workers and
 * primary) is the change's, even when the absolute figures are not what an idle machine gives.
 * The two compete for the cores, so their events/s are only comparable with each other. Each
 * round starts fresh servers; the order alternates.
 *
 * Options: --rounds 4 --duration 10 --warmup 2 --connections 16 --workers 1 --mix small
 *          --foreman (each side with its foreman digesting meanwhile; its CPU is counted too)
 */
import path from 'node:path';
import { drive } from './load.js';
import { args, CpuMeter, fmt, intArg, isMain, machineLine, median, printTable, sleep, startSluice, type SluiceRun } from './lib.js';
import { mixTemplates, sdkHeaders, type Mix } from './payloads.js';

interface Side {
  label: 'new' | 'ref';
  dist?: string;
}

interface Sample {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  serverMicros: number;
}

interface AbOptions {
  duration: number;
  warmup: number;
  connections: number;
  workers: number;
  mix: Mix;
  foreman: boolean;
}

function loadFor(s: SluiceRun, mix: Mix, connections: number) {
  const { projectId, key, dsn } = s.project;
  return {
    url: s.url,
    path: `/api/${projectId}/envelope/?sentry_key=${key}&sentry_version=7`,
    templates: mixTemplates(mix, dsn),
    headers: (gz: boolean) => sdkHeaders(key, gz),
    connections,
  };
}

async function round(sides: Side[], o: AbOptions): Promise<Sample[]> {
  const servers: SluiceRun[] = [];
  try {
    for (const side of sides) {
      servers.push(await startSluice({ workers: o.workers, foreman: o.foreman, env: { QUEUE_SYNC: 'full' }, ...(side.dist ? { dist: side.dist } : {}) }));
    }
    const loads = servers.map((s) => loadFor(s, o.mix, o.connections));
    await Promise.all(loads.map((l) => drive({ ...l, duration: o.warmup })));
    const meters = servers.map((s) => new CpuMeter(s.pids()));
    const results = await Promise.all(loads.map((l) => drive({ ...l, duration: o.duration })));
    return results.map((r, i) => {
      const percent = meters[i]!.read().filter((c) => !c.process.startsWith('load generator')).reduce((n, c) => n + c.percent, 0);
      return { rate: r.rate, p50: r.p50, p99: r.p99, errors: r.errors, serverMicros: ((percent / 100) * 1e6) / r.rate };
    });
  } finally {
    for (const s of servers) await s.stop();
  }
}

if (isMain(import.meta.url)) {
  const a = args();
  const ref = a.get('ref');
  if (!ref) throw new Error('--ref DIR: the build to compare with (a copy of dist/)');
  const o = {
    rounds: intArg(a, 'rounds', 4),
    duration: intArg(a, 'duration', 10),
    warmup: intArg(a, 'warmup', 2),
    connections: intArg(a, 'connections', 16),
    workers: intArg(a, 'workers', 1),
    mix: (a.get('mix') ?? 'small') as Mix,
    foreman: a.has('foreman'),
  };
  const samples = new Map<Side['label'], Sample[]>([['new', []], ['ref', []]]);
  let better = 0;
  for (let i = 0; i < o.rounds; i++) {
    const sides: Side[] = [{ label: 'new' }, { label: 'ref', dist: path.resolve(ref) }];
    if (i % 2 === 1) sides.reverse();
    const got = await round(sides, o);
    got.forEach((s, k) => samples.get(sides[k]!.label)!.push(s));
    const [n, r] = (['new', 'ref'] as const).map((l) => samples.get(l)!.at(-1)!);
    if (n!.serverMicros < r!.serverMicros) better++;
    console.error(`round ${i + 1}/${o.rounds}: new ${fmt(n!.rate)}/s ${fmt(n!.serverMicros)} µs/event | ref ${fmt(r!.rate)}/s ${fmt(r!.serverMicros)} µs/event`);
    await sleep(300);
  }
  printTable(
    `ingest A/B, side by side: median of ${o.rounds} rounds, ${o.duration} s each, ${o.connections} connections and ${o.workers} worker(s) per side${o.foreman ? ' and a foreman' : ''}, ${o.mix} mix; new used less CPU per event in ${better} of ${o.rounds}`,
    ['build', 'events/s', 'p50 ms', 'p99 ms', 'errors (all rounds)', o.foreman ? 'server + foreman CPU µs/event' : 'server CPU µs/event'],
    (['new', 'ref'] as const).map((l) => {
      const xs = samples.get(l)!;
      return [
        l === 'new' ? 'new (dist/)' : `ref (${ref})`,
        fmt(median(xs.map((x) => x.rate))),
        median(xs.map((x) => x.p50)).toFixed(2),
        median(xs.map((x) => x.p99)).toFixed(2),
        String(xs.reduce((n, x) => n + x.errors, 0)),
        fmt(median(xs.map((x) => x.serverMicros))),
      ];
    }),
  );
  console.log(`\nmachine: ${machineLine()}`);
  process.exit(0);
}
