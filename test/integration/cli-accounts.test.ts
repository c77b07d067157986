// The account commands of `node dist/cli.js`, run as a person would.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, DIST } from '../helpers/processes.js';

const execFileAsync = promisify(execFile);
let dataDir: string;
let env: Record<string, string>;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cli-'));
  env = childEnv({ DATA_DIR: dataDir, BASE_URL: 'https://errors.example.com', QUEUE_SYNC: 'normal' });
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const cli = async (...args: string[]) => (await execFileAsync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { env })).stdout;

/** Runs the CLI with `input` on stdin; resolves with exit code and output. */
function cliWithStdin(input: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(DIST, 'cli.js'), ...args], { env });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(input);
  });
}

const db = () => new Database(path.join(dataDir, 'sluice.db'), { readonly: true });

describe('cli account commands', () => {
  it('createsuperuser takes the password from stdin and stores only a scrypt hash', async () => {
    const r = await cliWithStdin('a-secret-from-stdin\n', 'createsuperuser', '--email', 'Root@Example.com');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('created superuser root@example.com');
    const d = db();
    const row = d.prepare('SELECT email, is_superuser, password_hash FROM users').get() as Record<string, unknown>;
    d.close();
    expect(row).toMatchObject({ email: 'root@example.com', is_superuser: 1 });
    expect(String(row.password_hash)).toMatch(/^scrypt\$/);
    expect(String(row.password_hash)).not.toContain('a-secret-from-stdin');
  });

  it('createsuperuser refuses a short password and a taken email', async () => {
    expect((await cliWithStdin('short\n', 'createsuperuser', '--email', 'x@example.com')).code).toBe(2);
    const taken = await cliWithStdin('', 'createsuperuser', '--email', 'root@example.com', '--password', 'long-enough-pw');
    expect(taken.code).toBe(1);
    expect(taken.out).toContain('exists already');
  });

  it('setpasswordlink prints a one-time link on BASE_URL', async () => {
    const out = await cli('setpasswordlink', '--email', 'ROOT@example.com');
    expect(out.trim().split('\n').at(-1)).toMatch(/^https:\/\/errors\.example\.com\/set-password\/[A-Za-z0-9_-]{43}$/);
  });

  it('createproject --team puts the project in that team', async () => {
    const w = new Database(path.join(dataDir, 'sluice.db'));
    w.prepare("INSERT INTO teams (name, slug, created_at) VALUES ('Ops', 'ops', 0)").run();
    w.close();
    const out = await cli('createproject', '--name', 'Billing', '--team', 'ops');
    expect(out.trim().split('\n').at(-1)).toMatch(/^https:\/\/[0-9a-f]{32}@errors\.example\.com\/\d+$/);
    const d = db();
    const row = d.prepare("SELECT t.slug FROM projects p JOIN teams t ON t.id = p.team_id WHERE p.name = 'Billing'").get();
    d.close();
    expect(row).toEqual({ slug: 'ops' });
    await expect(cli('createproject', '--name', 'Nowhere', '--team', 'no-such-team')).rejects.toThrow(/no team/);
  });
});
