/**
 * npm run bench:memory — peak RSS (VmHWM from /proc/PID/status) of every Sluice process during
 * the ingest and digest benchmarks: one round of each (`--runs` to change), their usual
 * workloads. The same figures are printed by bench:ingest and bench:digest; this collects them.
 *
 * Options: --runs 1 --duration 10 (ingest) --small 100000 --large 10000 (digest)
 */
import { benchDigest, digestOptions } from './digest.js';
import { benchIngest, ingestOptions } from './ingest.js';
import { args, fmt, intArg, isMain, machineLine, printTable } from './lib.js';

const TARGET_MIB = 200;

if (isMain(import.meta.url)) {
  const a = args();
  a.set('runs', String(intArg(a, 'runs', 1)));
  const rows: Array<[string, string, number]> = [];
  const ingest = await benchIngest({ ...ingestOptions(a), variants: ['sluice', 'sluice+foreman'] });
  for (const s of ingest) for (const m of s.memory) rows.push([`ingest ${s.mix} / ${s.variant}`, m.process, m.peakMiB]);
  const digest = await benchDigest(digestOptions(a));
  for (const s of digest) for (const m of s.memory) rows.push([`digest ${s.workload} (fill + drain)`, m.process, m.peakMiB]);

  const peak = new Map<string, number>();
  for (const [bench, proc, mib] of rows) {
    const role = proc.startsWith('worker') ? 'worker (each)' : proc;
    const k = `${bench}\u0000${role}`;
    peak.set(k, Math.max(peak.get(k) ?? 0, mib));
  }
  printTable(
    `memory: peak RSS per process (target < ${TARGET_MIB} MiB each)`,
    ['benchmark', 'process', 'peak MiB', 'target'],
    [...peak].map(([k, v]) => {
      const [bench, proc] = k.split('\u0000') as [string, string];
      return [bench, proc, fmt(v), v < TARGET_MIB ? 'ok' : 'OVER'];
    }),
  );
  console.log(`\nmachine: ${machineLine()}`);
  process.exit(0);
}
