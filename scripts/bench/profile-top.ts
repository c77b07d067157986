/**
 * Top functions of a V8 .cpuprofile (from `node --cpu-prof`), by self time and by total time.
 *
 *   node --import tsx scripts/bench/profile-top.ts FILE.cpuprofile [--top 25]
 */
import fs from 'node:fs';
import path from 'node:path';
import { args, intArg, isMain } from './lib.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function label(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const file = url ? path.basename(url.replace(/^file:\/\//, '')) : '';
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
}

export function topFunctions(file: string, top: number): string {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = p.endTime - p.startTime;
  const selfByLabel = new Map<string, number>();
  const totalByLabel = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    selfByLabel.set(label(n), (selfByLabel.get(label(n)) ?? 0) + t);
    // Inclusive time: count each label once per sample stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      totalByLabel.set(l, (totalByLabel.get(l) ?? 0) + t);
    }
  }
  const idle = selfByLabel.get('(idle)') ?? 0;
  const busy = total - idle;
  const lines = [`${path.basename(file)}: ${(total / 1e6).toFixed(1)} s profiled, ${((busy / total) * 100).toFixed(0)}% busy`];
  const fmtRow = ([l, t]: [string, number]) => `  ${((t / busy) * 100).toFixed(1).padStart(5)}%  ${l}`;
  lines.push(' self time (% of busy):');
  lines.push(...[...selfByLabel].filter(([l]) => l !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top).map(fmtRow));
  lines.push(' total time (% of busy):');
  lines.push(
    ...[...totalByLabel]
      .filter(([l]) => !['(root)', '(idle)', '(program)'].includes(l))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(fmtRow),
  );
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  const a = args();
  const files = process.argv.slice(2).filter((f) => f.endsWith('.cpuprofile'));
  for (const f of files) console.log(topFunctions(f, intArg(a, 'top', 25)));
}
