// loadConfig: every invalid value is refused with the variable's name, the defaults are the
// README's settings table row by row, and the result cannot be changed afterwards.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import { childEnv, DIST, ROOT } from '../helpers/processes.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Env = Record<string, string>;
const base: Env = { DATA_DIR: '/tmp/sluice-config-test' };

function configError(env: Env): ConfigError | undefined {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  return undefined;
}

describe('invalid values stop loadConfig with a ConfigError naming the variable', () => {
  const invalid: Array<[variable: string, values: string[]]> = [
    ['PORT', ['abc', '-1', '65536', '80.5', '8000x']],
    ['HOST', ['not a host', 'http://example.com', 'example.com:8000', 'a/b', '-leading.example', 'dots..example', '[::1]']],
    ['BASE_URL', ['not a URL', 'ftp://example.com', 'localhost:8000', '/', 'mailto:ops@example.com']],
    ['WEB_CONCURRENCY', ['0', '-1', 'x', '1.5', '257']],
    ['LOG_LEVEL', ['bogus', 'verbose', 'warning']],
    ['MAX_REQUEST_BYTES', ['20XB', '20TiB', '-1', '-20MiB', '1.5MiB', 'MiB', '0', '1023']],
    ['MAX_ENVELOPE_BYTES', ['100 MiBs', '-1', 'lots', '0']],
    ['MAX_EVENT_BYTES', ['1MB!', '-1KiB', '1e6', '512']],
    ['FOREMAN_BATCH_BYTES', ['4TiB', '-4MiB']],
    ['QUEUE_SYNC', ['off', 'extra', 'true', 'fsync']],
    ['FOREMAN_BATCH_SIZE', ['0', '-5', 'many', '100001', '2.5']],
    ['FOREMAN_POLL_MS', ['49', '-1', 'x', '600001']],
    ['FOREMAN_TAG_FLUSH_MS', ['-1', '60001', 'soon', '0.5']],
    ['FOREMAN_TAG_FLUSH_ROWS', ['-1', '1000001', 'lots']],
    ['KEY_REFRESH_MS', ['0', '49', 'x', '600001']],
    ['SESSION_LIFETIME', ['forever', '10s', '4m', '366d', '-1d', '14', '14 days', '1w']],
    ['MUTE_VOLUME_CHOICES', ['0/1h', '5/0h', '5 per hour', '5/1h,', '5/1w']],
    ['ALERT_CONCURRENCY', ['0', '65']],
    ['ALERT_MAX_ATTEMPTS', ['0', 'x']],
    ['ALERT_RETRY_BASE_MS', ['9', '3600001']],
    ['ALERT_HOURLY_CAP', ['0', '-1']],
  ];
  const cases = invalid.flatMap(([variable, values]) => values.map((value) => [variable, value] as const));

  it.each(cases)('%s=%j', (variable, value) => {
    const err = configError({ [variable]: value });
    expect(err, `${variable}=${JSON.stringify(value)} was accepted`).toBeInstanceOf(ConfigError);
    expect(err!.message).toMatch(new RegExp(`^invalid ${variable}=.*: expected `));
  });

  // The other side of each refusal: these pass, so the refusals above are about the values.
  it.each<[string, string, (c: Config) => unknown, unknown]>([
    ['PORT', ' 9000 ', (c) => c.port, 9000],
    ['HOST', '::', (c) => c.host, '::'],
    ['HOST', '127.0.0.1', (c) => c.host, '127.0.0.1'],
    ['HOST', 'localhost', (c) => c.host, 'localhost'],
    ['HOST', 'sluice_web.internal', (c) => c.host, 'sluice_web.internal'],
    ['BASE_URL', 'https://errors.example.com/', (c) => c.baseUrl, 'https://errors.example.com'],
    ['WEB_CONCURRENCY', '256', (c) => c.webConcurrency, 256],
    ['LOG_LEVEL', 'WARN', (c) => c.logLevel, 'warn'],
    ['MAX_REQUEST_BYTES', '512k', (c) => c.limits.maxRequestBytes, 512 * KiB],
    ['MAX_ENVELOPE_BYTES', '1GiB', (c) => c.limits.maxEnvelopeBytes, 1024 * MiB],
    ['MAX_EVENT_BYTES', '1024', (c) => c.limits.maxEventBytes, 1024],
    ['QUEUE_SYNC', 'Normal', (c) => c.queue.sync, 'normal'],
    ['FOREMAN_BATCH_SIZE', '1', (c) => c.foreman.batchSize, 1],
    ['FOREMAN_POLL_MS', '50', (c) => c.foreman.pollMs, 50],
    ['FOREMAN_TAG_FLUSH_MS', '0', (c) => c.foreman.tagFlushMs, 0],
    ['FOREMAN_TAG_FLUSH_ROWS', '0', (c) => c.foreman.tagFlushRows, 0],
    ['KEY_REFRESH_MS', '50', (c) => c.keyRefreshMs, 50],
    ['SESSION_LIFETIME', '30m', (c) => c.accounts.sessionLifetimeMs, 30 * MINUTE],
  ])('%s=%j is accepted', (variable, value, read, expected) => {
    expect(read(loadConfig({ ...base, [variable]: value }))).toEqual(expected);
  });

  it('a stop at the process level: `cli.js stats` with PORT=abc exits non-zero, naming PORT, without a stack trace', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-config-'));
    try {
      const run = promisify(execFile)(process.execPath, [path.join(DIST, 'cli.js'), 'stats'], { env: childEnv({ DATA_DIR: dataDir, PORT: 'abc' }) });
      const failure = (await run.then(
        () => undefined,
        (err: unknown) => err,
      )) as { code?: number; stderr?: string } | undefined;
      expect(failure, 'stats ran with PORT=abc').toBeDefined();
      expect(failure!.code).toBe(78); // EX_CONFIG
      expect(failure!.stderr).toMatch(/^sluice: invalid PORT="abc": expected an integer/);
      expect(failure!.stderr).not.toMatch(/\n\s+at /);
      // Refused before anything was opened: no database files appeared.
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("defaults are the README's settings table", () => {
  type Load = (env?: Env) => Config;
  /** README row (first cell) → its default cell, and what loadConfig makes of an environment without the variable. */
  const rows: Record<string, [readme: string, actual: (load: Load) => unknown, expected: unknown]> = {
    '`DATA_DIR`': ['`./data`', (l) => [l().dataDir, l().mainDbPath, l().queueDbPath], [path.resolve('data'), path.resolve('data', 'sluice.db'), path.resolve('data', 'queue.db')]],
    '`PORT` / `HOST`': ['`8000` / `0.0.0.0`', (l) => [l().port, l().host], [8000, '0.0.0.0']],
    '`BASE_URL`': ['`http://localhost:$PORT`', (l) => [l().baseUrl, l({ PORT: '9123' }).baseUrl], ['http://localhost:8000', 'http://localhost:9123']],
    '`WEB_CONCURRENCY`': ['number of cores', (l) => l().webConcurrency, os.availableParallelism()],
    '`TRUST_PROXY`': ['`false`', (l) => l().trustProxy, false],
    '`LOG_LEVEL`': ['`info`', (l) => l().logLevel, 'info'],
    '`MAX_REQUEST_BYTES`': ['`20MiB`', (l) => l().limits.maxRequestBytes, 20 * MiB],
    '`MAX_ENVELOPE_BYTES`': ['`100MiB`', (l) => l().limits.maxEnvelopeBytes, 100 * MiB],
    '`MAX_EVENT_BYTES`': ['`1MiB`', (l) => l().limits.maxEventBytes, MiB],
    '`QUEUE_SYNC`': ['`full`', (l) => l().queue.sync, 'full'],
    '`FOREMAN_BATCH_SIZE` / `FOREMAN_BATCH_BYTES`': ['`500` / `4MiB`', (l) => [l().foreman.batchSize, l().foreman.batchBytes], [500, 4 * MiB]],
    '`FOREMAN_POLL_MS`': ['`2000`', (l) => l().foreman.pollMs, 2000],
    '`FOREMAN_TAG_FLUSH_MS` / `FOREMAN_TAG_FLUSH_ROWS`': ['`2000` / `50000`', (l) => [l().foreman.tagFlushMs, l().foreman.tagFlushRows], [2000, 50_000]],
    '`KEY_REFRESH_MS`': ['`1000`', (l) => l().keyRefreshMs, 1000],
    '`USER_REGISTRATION`': ['`closed`', (l) => l().accounts.registration, 'closed'],
    '`EMAIL_HOST` / `EMAIL_PORT`': [
      'unset / `587` (`465` with `EMAIL_SECURE=true`)',
      (l) => [l().email.smtp, l({ EMAIL_HOST: 'smtp.example.com' }).email.smtp?.port, l({ EMAIL_HOST: 'smtp.example.com', EMAIL_SECURE: 'true' }).email.smtp?.port],
      [undefined, 587, 465],
    ],
    '`EMAIL_USER` / `EMAIL_PASSWORD`': ['unset', (l) => [l({ EMAIL_HOST: 'smtp.example.com' }).email.smtp?.user, l({ EMAIL_HOST: 'smtp.example.com' }).email.smtp?.password], [undefined, undefined]],
    '`EMAIL_SECURE` / `EMAIL_STARTTLS`': ['`false` / `opportunistic`', (l) => [l({ EMAIL_HOST: 'smtp.example.com' }).email.smtp?.secure, l({ EMAIL_HOST: 'smtp.example.com' }).email.smtp?.starttls], [false, 'opportunistic']],
    '`EMAIL_FROM`': [
      '`Sluice <sluice@host of BASE_URL>`',
      (l) => [l().email.from, l({ BASE_URL: 'https://errors.example.com:8443/sluice' }).email.from],
      ['Sluice <sluice@localhost>', 'Sluice <sluice@errors.example.com>'],
    ],
    '`ALERT_CONCURRENCY`': ['`4`', (l) => l().alerts.concurrency, 4],
    '`ALERT_MAX_ATTEMPTS` / `ALERT_RETRY_BASE_MS`': ['`8` / `30000`', (l) => [l().alerts.maxAttempts, l().alerts.retryBaseMs], [8, 30_000]],
    '`ALERT_HOURLY_CAP`': ['`20`', (l) => l().alerts.hourlyCap, 20],
    '`MUTE_VOLUME_CHOICES`': [
      '`5/1h,100/24h,1000/7d`',
      (l) => l().muteVolumeChoices,
      [
        { count: 5, windowMs: HOUR },
        { count: 100, windowMs: DAY },
        { count: 1000, windowMs: 7 * DAY },
      ],
    ],
    '`CREATE_SUPERUSER`': ['—', (l) => l().accounts.createSuperuser, undefined],
    '`SESSION_LIFETIME`': ['`14d`', (l) => l().accounts.sessionLifetimeMs, 14 * DAY],
  };

  /** [first cell, default cell] of every row of the table under "## Configuration". */
  function readmeTable(): Array<[string, string]> {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Configuration\n'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration\n') + 1));
    return section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => {
        const [variable = '', fallback = ''] = line.slice(2, -2).split(' | ');
        return [variable.trim(), fallback.trim()];
      });
  }
  const load: Load = (env = {}) => loadConfig(env);

  it('the table has a row for every variable src/config.ts reads, and this test a case for every row', () => {
    const table = readmeTable();
    expect(table.length).toBeGreaterThan(20);
    const documented = new Set(table.flatMap(([cell]) => [...cell.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1])));
    const source = fs.readFileSync(path.join(ROOT, 'src', 'config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/\(env, '([A-Z_]+)'|env\.([A-Z_]+)/g)].map((m) => m[1] ?? m[2]));
    expect([...read].sort()).toEqual([...documented].sort());
    expect(table.map(([cell]) => cell).sort()).toEqual(Object.keys(rows).sort());
  });

  it.each(readmeTable())('%s defaults to %s', (variable, readmeDefault) => {
    const row = rows[variable];
    expect(row, `no case for the README row ${variable}`).toBeDefined();
    const [expectedText, actual, expected] = row!;
    expect(readmeDefault).toBe(expectedText);
    expect(actual(load)).toEqual(expected);
  });
});

describe('the configuration object is frozen, all the way down', () => {
  const full = loadConfig({
    ...base,
    EMAIL_HOST: 'smtp.example.com',
    CREATE_SUPERUSER: 'admin@example.com:long-enough-password',
  });

  /** Every object reachable from `o`, with its path. */
  function objects(o: object, at = 'config'): Array<[string, object]> {
    return [[at, o], ...Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? objects(v as object, `${at}.${k}`) : []))];
  }

  it('every nested object and array is frozen, including SMTP, the superuser and the mute choices', () => {
    const all = objects(full);
    const paths = all.map(([p]) => p);
    expect(paths).toEqual(expect.arrayContaining(['config.limits', 'config.email.smtp', 'config.accounts.createSuperuser', 'config.muteVolumeChoices', 'config.muteVolumeChoices.0']));
    expect(all.filter(([, o]) => !Object.isFrozen(o)).map(([p]) => p)).toEqual([]);
  });

  it('assignments throw (modules are strict) and change nothing', () => {
    const c = full as unknown as Record<string, any>;
    expect(() => (c.port = 1)).toThrow(TypeError);
    expect(() => (c.limits.maxEventBytes = 1)).toThrow(TypeError);
    expect(() => (c.email.smtp.host = 'evil.example.com')).toThrow(TypeError);
    expect(() => c.muteVolumeChoices.push({ count: 1, windowMs: 1 })).toThrow(TypeError);
    expect(() => (c.muteVolumeChoices[0].count = 1)).toThrow(TypeError);
    expect(() => (c.accounts.createSuperuser.password = 'x')).toThrow(TypeError);
    expect(full.port).toBe(8000);
    expect(full.limits.maxEventBytes).toBe(MiB);
    expect(full.muteVolumeChoices).toHaveLength(3);
  });

  it('each call builds a new object: one frozen config does not leak into the next', () => {
    expect(loadConfig({ ...base, PORT: '9001' }).port).toBe(9001);
    expect(loadConfig(base).port).toBe(8000);
  });
});
