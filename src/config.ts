/**
 * The one configuration object. Built once from the environment, frozen, typed.
 * Every default sits next to the reason it was chosen; an invalid value stops
 * the process with a message that names the variable.
 */
import os from 'node:os';
import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type SyncMode = 'full' | 'normal';

export interface Config {
  /** Folder holding every SQLite file (main DB, queue DB, lock files). */
  readonly dataDir: string;
  readonly mainDbPath: string;
  readonly queueDbPath: string;
  readonly host: string;
  readonly port: number;
  /** Public URL of this server, without a trailing slash; used for DSNs and absolute links. */
  readonly baseUrl: string;
  readonly webConcurrency: number;
  readonly logLevel: LogLevel;
  readonly limits: {
    /** Whole request body as sent (compressed). */
    readonly maxRequestBytes: number;
    /** Whole envelope after decompression. */
    readonly maxEnvelopeBytes: number;
    /** One event item of an envelope, or one store-endpoint body, decompressed. */
    readonly maxEventBytes: number;
  };
  readonly queue: {
    /** synchronous= for the queue DB: `full` survives power loss, `normal` only process crashes. */
    readonly sync: SyncMode;
  };
  readonly foreman: {
    /** Most queue rows one digest transaction takes. */
    readonly batchSize: number;
    /** Most payload bytes one digest transaction takes. */
    readonly batchBytes: number;
    /** Safety poll in case an inotify wake-up is missed. */
    readonly pollMs: number;
  };
  /** How often workers look for changed project keys. */
  readonly keyRefreshMs: number;
}

export class ConfigError extends Error {
  constructor(variable: string, value: string, expected: string) {
    super(`invalid ${variable}=${JSON.stringify(value)}: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v.trim() === '' ? fallback : v.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = Number(raw.trim());
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(name, raw, `an integer from ${min} to ${max}`);
  }
  return v;
}

/** Sizes accept plain bytes or a KiB/MiB/GiB suffix ("20MiB", "512k"). */
function bytes(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(raw.trim());
  if (!m) throw new ConfigError(name, raw, 'a size such as 1048576, 512KiB or 20MiB');
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const v = Number(m[1]) * factor;
  if (v < 1024) throw new ConfigError(name, raw, 'at least 1KiB');
  return v;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, choices: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim().toLowerCase() as T;
  if (!choices.includes(v)) throw new ConfigError(name, raw, `one of ${choices.join(', ')}`);
  return v;
}

function url(env: Env, name: string, fallback: string): string {
  const raw = str(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, raw, 'an absolute http(s) URL such as https://sluice.example.com');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(name, raw, 'an http or https URL');
  }
  return raw.replace(/\/+$/, '');
}

export function loadConfig(env: Env = process.env): Config {
  // ./data: the embedded default, so `npm start` works on a fresh clone with no setup.
  const dataDir = path.resolve(str(env, 'DATA_DIR', 'data'));
  // 8000: Sentry self-hosted's and Bugsink's port, so existing DSNs and proxies carry over.
  const port = int(env, 'PORT', 8000, 0, 65535);
  // 0.0.0.0: reachable from SDKs on other hosts and inside containers.
  const host = str(env, 'HOST', '0.0.0.0');
  const config: Config = {
    dataDir,
    mainDbPath: path.join(dataDir, 'sluice.db'),
    queueDbPath: path.join(dataDir, 'queue.db'),
    host,
    port,
    // Without a configured URL, DSNs point at this machine's port, right for local trials.
    baseUrl: url(env, 'BASE_URL', `http://localhost:${port}`),
    // One worker per core: ingest is CPU-bound (decompression, parsing), not I/O-bound.
    webConcurrency: int(env, 'WEB_CONCURRENCY', Math.max(1, os.availableParallelism()), 1, 256),
    logLevel: oneOf<LogLevel>(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    limits: {
      // 20 MiB compressed, 100 MiB decompressed, 1 MiB per event: Sentry's published limits,
      // so an SDK that works against sentry.io works here.
      maxRequestBytes: bytes(env, 'MAX_REQUEST_BYTES', 20 * 1024 ** 2),
      maxEnvelopeBytes: bytes(env, 'MAX_ENVELOPE_BYTES', 100 * 1024 ** 2),
      maxEventBytes: bytes(env, 'MAX_EVENT_BYTES', 1024 ** 2),
    },
    queue: {
      // full: an acknowledged event survives power loss too, not only a process crash;
      // group commit makes the extra fsync cheap per event.
      sync: oneOf<SyncMode>(env, 'QUEUE_SYNC', 'full', ['full', 'normal']),
    },
    foreman: {
      // 1000 rows / 16 MiB: long enough to amortize a commit, short enough that
      // a web request waiting on the write lock waits well under a second.
      batchSize: int(env, 'FOREMAN_BATCH_SIZE', 1000, 1, 100_000),
      batchBytes: bytes(env, 'FOREMAN_BATCH_BYTES', 16 * 1024 ** 2),
      // inotify wakes the foreman; this poll only covers a missed wake-up.
      pollMs: int(env, 'FOREMAN_POLL_MS', 2000, 50, 600_000),
    },
    // 1 s: a new or disabled key takes effect within a second or two, at one tiny query per second.
    keyRefreshMs: int(env, 'KEY_REFRESH_MS', 1000, 50, 600_000),
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}

/** For entry points: load or print the reason and exit. */
export function loadConfigOrExit(env: Env = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sluice: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
