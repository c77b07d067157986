/**
 * Real Sluice processes for integration tests: `dist/server.js` and
 * `dist/foreman.js` on loopback, on a fresh temp data directory.
 * (`npm test` builds dist first: see the pretest script.)
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';

const run = promisify(execFile);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = path.join(ROOT, 'dist');
export const CORPUS = path.resolve(ROOT, '..', 'shared', 'corpus');

/**
 * The environment for child processes: ours, minus what vitest adds for Vite
 * (it sets BASE_URL=/ , which Sluice would rightly refuse).
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !['BASE_URL', 'MODE', 'DEV', 'PROD', 'SSR'].includes(k)) env[k] = v;
  }
  return { ...env, ...extra };
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

export interface SluiceOptions {
  workers?: number;
  env?: Record<string, string>;
  foreman?: boolean;
}

export class Sluice {
  server: ChildProcess | undefined;
  foreman: ChildProcess | undefined;
  readonly logs: string[] = [];

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(opts: SluiceOptions = {}): Promise<Sluice> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-'));
    const port = await freePort();
    const env = childEnv({
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      BASE_URL: `http://127.0.0.1:${port}`,
      WEB_CONCURRENCY: String(opts.workers ?? 1),
      LOG_LEVEL: 'warn',
      FOREMAN_POLL_MS: '500',
      KEY_REFRESH_MS: '200',
      // Test data dirs live in tmpfs-like temp dirs; fsync adds nothing there.
      QUEUE_SYNC: 'normal',
      ...opts.env,
    });
    const s = new Sluice(dataDir, port, env);
    await s.cli(['migrate']);
    s.server = s.spawn('server.js');
    if (opts.foreman !== false) s.startForeman();
    await s.waitHealthy();
    return s;
  }

  private spawn(file: string, extraEnv: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, [path.join(DIST, file)], { env: { ...this.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer) => {
      this.logs.push(`[${file}] ${b.toString()}`);
      if (this.logs.length > 500) this.logs.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return child;
  }

  /** `extraEnv` for this foreman only (a SLUICE_FAILPOINT, say). */
  startForeman(extraEnv: Record<string, string> = {}): ChildProcess {
    this.foreman = this.spawn('foreman.js', extraEnv);
    return this.foreman;
  }

  async killForeman(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const f = this.foreman;
    if (!f || f.exitCode !== null || f.signalCode !== null) return;
    const exited = new Promise((r) => f.once('exit', r));
    f.kill(signal);
    await exited;
  }

  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const r = await fetch(`${this.url}/health`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`sluice did not become healthy:\n${this.logs.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async cli(args: string[]): Promise<string> {
    const { stdout } = await run(process.execPath, [path.join(DIST, 'cli.js'), ...args], { env: this.env });
    return stdout;
  }

  /** Creates a project through the CLI and returns its DSN (the CLI's last line). */
  async createProject(name: string): Promise<{ dsn: string; key: string; projectId: number }> {
    const out = await this.cli(['createproject', '--name', name]);
    const dsn = out.trim().split('\n').at(-1)!;
    const u = new URL(dsn);
    const created = { dsn, key: u.username, projectId: Number(u.pathname.split('/').at(-1)) };
    await this.keyAccepted(created.projectId, created.key);
    return created;
  }

  /** Workers pick up new keys within KEY_REFRESH_MS; wait until this one is taken. */
  async keyAccepted(projectId: number, key: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await fetch(`${this.url}/api/${projectId}/envelope/?sentry_key=${key}`, { method: 'POST', body: '{}' });
      if (r.status === 200) return;
      if (Date.now() > deadline) throw new Error(`key ${key} not accepted: ${r.status} ${await r.text()}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  async stats(): Promise<{ projects: number; issues: number; events: number; queue: { pending: number; dead: number } }> {
    return JSON.parse(await this.cli(['stats', '--json']));
  }

  /** A read-only look at the main DB, for polling and assertions. */
  query<T>(sqlText: string, ...params: unknown[]): T[] {
    const db = new Database(path.join(this.dataDir, 'sluice.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sqlText).all(...params) as T[];
    } finally {
      db.close();
    }
  }

  queueQuery<T>(sqlText: string, ...params: unknown[]): T[] {
    const db = new Database(path.join(this.dataDir, 'queue.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sqlText).all(...params) as T[];
    } finally {
      db.close();
    }
  }

  /** Waits until the queue is empty (every accepted event digested or dead-lettered). */
  async drained(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.queueQuery<{ n: number }>('SELECT count(*) AS n FROM envelopes')[0]!.n > 0) {
      if (Date.now() > deadline) throw new Error(`queue not drained:\n${this.logs.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    for (const c of [this.foreman, this.server]) {
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
