/**
 * Shared plumbing of the benchmarks (scripts/bench/*.ts, run with `node --import tsx`):
 * temp data dirs and child processes that are cleaned up whatever happens, Sluice started
 * from dist/ on loopback, peak RSS from /proc, medians and tables.
 *
 * Every process a benchmark starts is spawned detached (its own process group) and
 * killed by group at exit, so a cluster's workers go with their primary even on a crash.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** SLUICE_DIST: benchmark another build (e.g. a copy of the code before a change) with the same scripts. */
export const DIST = process.env.SLUICE_DIST ? path.resolve(process.env.SLUICE_DIST) : path.join(ROOT, 'dist');
export const CORPUS = path.resolve(ROOT, '..', 'shared', 'corpus');
export const BENCH_DIR = path.join(ROOT, 'scripts', 'bench');

// ---------------------------------------------------------------- cleanup

const cleanups: Array<() => void> = [];
let cleaned = false;

/** Runs every registered cleanup once, newest first; synchronous so that it works in 'exit'. */
export function cleanupNow(): void {
  if (cleaned) return;
  cleaned = true;
  for (const fn of cleanups.reverse()) {
    try {
      fn();
    } catch {
      // best effort: the next one must still run
    }
  }
}

export function onCleanup(fn: () => void): () => void {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

process.once('exit', cleanupNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    cleanupNow();
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => {
  console.error(err);
  cleanupNow();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  console.error(err);
  cleanupNow();
  process.exit(1);
});

/** A fresh directory under the OS temp dir (a real disk here, so fsync costs what it costs). */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-bench-${prefix}-`));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  const unregister = onCleanup(remove);
  return {
    dir,
    remove: () => {
      unregister();
      remove();
    },
  };
}

// ---------------------------------------------------------------- processes

export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** stdout+stderr, the last few hundred lines. */
  readonly logs: string[];
  /** Resolves with the first output line matching. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM to the group, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<void>;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function spawnNode(args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`could not start node ${args.join(' ')}`);
  const unregister = onCleanup(() => killGroup(pid, 'SIGKILL'));
  const logs: string[] = [];
  const watchers: Array<{ re: RegExp; resolve(line: string): void }> = [];
  let partial = '';
  const onData = (b: Buffer) => {
    const text = partial + b.toString();
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      logs.push(line);
      if (logs.length > 400) logs.shift();
      for (let i = watchers.length - 1; i >= 0; i--) {
        const w = watchers[i]!;
        if (w.re.test(line)) {
          watchers.splice(i, 1);
          w.resolve(line);
        }
      }
    }
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  void exited.then(unregister);
  return {
    proc,
    pid,
    logs,
    exited,
    waitFor(re, timeoutMs = 30_000) {
      const seen = logs.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} from ${args.join(' ')}:\n${logs.join('\n')}`)), timeoutMs);
        watchers.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exited.then(() => reject(new Error(`${args.join(' ')} exited while waiting for ${re}:\n${logs.join('\n')}`)));
      });
    },
    async stop(graceMs = 5000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      killGroup(pid, 'SIGKILL'); // stragglers of the group (cluster workers)
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The environment for Sluice children: ours plus the given settings. */
export function sluiceEnv(dataDir: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return {
    ...env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    BASE_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export async function cli(env: Record<string, string>, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(DIST, 'cli.js'), ...args], { env });
  return stdout;
}

export interface Project {
  dsn: string;
  key: string;
  projectId: number;
}

export async function createProject(env: Record<string, string>, name: string): Promise<Project> {
  const out = await cli(env, ['createproject', '--name', name]);
  const dsn = out.trim().split('\n').at(-1)!;
  const u = new URL(dsn);
  return { dsn, key: u.username, projectId: Number(u.pathname.split('/').at(-1)) };
}

export interface SluiceRun {
  readonly dataDir: string;
  readonly port: number;
  readonly url: string;
  readonly env: Record<string, string>;
  readonly project: Project;
  readonly server: Child;
  foreman: Child | undefined;
  startForeman(): Promise<Child>;
  /** Peak RSS (VmHWM) of every process, read now: call before stop(). */
  peakRss(): Array<{ process: string; peakMiB: number }>;
  /** The processes by role, for CPU accounting. */
  pids(): Array<{ process: string; pid: number }>;
  stop(): Promise<void>;
}

export function assertBuilt(dist = DIST): void {
  if (!fs.existsSync(path.join(dist, 'server.js'))) throw new Error(`${dist} is missing: run \`npm run build\` first`);
}

/** `node dist/server.js` (cluster) on a fresh temp DATA_DIR, with one project, optionally the foreman. */
export async function startSluice(opts: {
  workers: number;
  foreman: boolean;
  env?: Record<string, string>;
  /** Extra node flags for the server and foreman, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Another build to run (a copy of dist/ from before a change), for same-run comparisons. */
  dist?: string;
}): Promise<SluiceRun> {
  const nodeArgs = opts.nodeArgs ?? [];
  const dist = opts.dist ?? DIST;
  assertBuilt(dist);
  const tmp = tempDir('data');
  const port = await freePort();
  const env = sluiceEnv(tmp.dir, port, { WEB_CONCURRENCY: String(opts.workers), ...opts.env });
  await cli(env, ['migrate']);
  const project = await createProject(env, 'Bench');
  const server = spawnNode([...nodeArgs, path.join(dist, 'server.js')], env);
  const url = `http://127.0.0.1:${port}`;
  const s: SluiceRun = {
    dataDir: tmp.dir,
    port,
    url,
    env,
    project,
    server,
    foreman: undefined,
    async startForeman() {
      const f = spawnNode([...nodeArgs, path.join(dist, 'foreman.js')], { ...env, LOG_LEVEL: 'info' });
      this.foreman = f;
      await f.waitFor(/foreman started/);
      return f;
    },
    pids() {
      const out = [{ process: 'server primary', pid: server.pid }];
      childPids(server.pid).forEach((pid, i) => out.push({ process: `worker ${i + 1}`, pid }));
      if (this.foreman) out.push({ process: 'foreman', pid: this.foreman.pid });
      return out;
    },
    peakRss() {
      return this.pids().map(({ process, pid }) => ({ process, peakMiB: peakRssMiB(pid) }));
    },
    async stop() {
      await this.foreman?.stop();
      await server.stop();
      tmp.remove();
    },
  };
  try {
    await waitHttp(`${url}/health`);
    if (opts.foreman) await s.startForeman();
    await keyAccepted(url, project);
  } catch (err) {
    await s.stop();
    throw err;
  }
  return s;
}

/** Workers load keys within KEY_REFRESH_MS (an unknown key also triggers a reload). */
async function keyAccepted(url: string, p: Project, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ok = 0;
  for (;;) {
    const r = await fetch(`${url}/api/${p.projectId}/envelope/?sentry_key=${p.key}`, { method: 'POST', body: '{}' });
    // Several in a row, so that every worker has seen the key.
    if (r.status === 200 && ++ok >= 8) return;
    if (Date.now() > deadline) throw new Error(`key not accepted: ${r.status} ${await r.text()}`);
    if (r.status !== 200) await sleep(50);
  }
}

// ---------------------------------------------------------------- memory

/** VmHWM: the peak resident set size of the process so far, in MiB (0 when it is gone). */
export function peakRssMiB(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) the process has used so far; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}
const CLK_TCK = 100;

/** CPU use of each process over a stretch of time, in % of one core. */
export class CpuMeter {
  readonly #start: Array<{ process: string; pid: number; cpu: number }>;
  readonly #t0 = performance.now();
  constructor(procs: Array<{ process: string; pid: number }>) {
    this.#start = [...procs, { process: 'load generator (this process)', pid: process.pid }].map((p) => ({ ...p, cpu: cpuSeconds(p.pid) }));
  }
  read(): Array<{ process: string; percent: number }> {
    const secs = (performance.now() - this.#t0) / 1000;
    return this.#start.map((p) => ({ process: p.process, percent: ((cpuSeconds(p.pid) - p.cpu) / secs) * 100 }));
  }
}

export function childPids(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------- a quiet machine

function cpuTimes(): { idle: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  return { idle, total: line.reduce((a, b) => a + b, 0) };
}

/** Share of the machine's CPU time that was busy over the next `ms`. */
export async function machineBusy(ms = 1000): Promise<number> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/**
 * The machine is shared (other people's test suites): before a measurement, wait up to
 * `maxWaitMs` for a second in which at most `maxBusy` of the CPU was in use. Returns the
 * busy share found, so a table can say how quiet it was.
 */
export async function waitQuiet(maxBusy = 0.25, maxWaitMs = 90_000): Promise<number> {
  const deadline = performance.now() + maxWaitMs;
  for (;;) {
    const busy = await machineBusy();
    if (busy <= maxBusy || performance.now() > deadline) {
      if (busy > maxBusy) console.error(`note: machine still ${(busy * 100).toFixed(0)}% busy before this measurement`);
      return busy;
    }
  }
}

// ---------------------------------------------------------------- numbers and tables

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Percentile of a sorted array (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)}%` : '—';
}

export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(`| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`);
  for (const r of rows) console.log(line(r));
}

export function machineLine(): string {
  const cpu = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? '?';
  return `${os.availableParallelism()} cores, ${cpu.trim()}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`;
}

/** `--name=value` / `--name value` / `--flag`. */
export function args(): Map<string, string> {
  const out = new Map<string, string>();
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) out.set(a.slice(2), argv[++i]!);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

export function intArg(a: Map<string, string>, name: string, fallback: number): number {
  const v = a.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
}

/** True when this module is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(metaUrl);
}
