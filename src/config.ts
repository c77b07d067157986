/**
 * The one configuration object. Built once from the environment, frozen, typed.
 * Every default sits next to the reason it was chosen; an invalid value stops
 * the process with a message that names the variable.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type SyncMode = 'full' | 'normal';
export type RegistrationMode = 'closed' | 'invite' | 'open';

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
  /** Fastify's trustProxy: which peers' X-Forwarded-For/-Proto/-Host to believe (false: none). */
  readonly trustProxy: boolean | string;
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
    /** Tag counts summed in memory are written at least this often under sustained load. */
    readonly tagFlushMs: number;
    /** … or once this many (issue, tag, value) sums are held. */
    readonly tagFlushRows: number;
  };
  readonly email: {
    /** undefined: no SMTP configured; alerts stay in the outbox, marked unsent. */
    readonly smtp:
      | {
          readonly host: string;
          readonly port: number;
          readonly user: string | undefined;
          readonly password: string | undefined;
          /** TLS from the first byte (port 465); otherwise STARTTLS as `starttls` says. */
          readonly secure: boolean;
          readonly starttls: 'require' | 'opportunistic' | 'off';
        }
      | undefined;
    readonly from: string;
  };
  /** The "mute until N events within W" choices offered on issue pages. */
  readonly muteVolumeChoices: ReadonlyArray<{ readonly count: number; readonly windowMs: number }>;
  readonly alerts: {
    /** Mails sent at once by the foreman. */
    readonly concurrency: number;
    /** Attempts before a mail is marked failed. */
    readonly maxAttempts: number;
    /** First retry delay; doubled per attempt. */
    readonly retryBaseMs: number;
    /** Alert mails per recipient per hour; past it, one summary instead. */
    readonly hourlyCap: number;
  };
  /** How often workers look for changed project keys. */
  readonly keyRefreshMs: number;
  readonly accounts: {
    /** Who may create an account: nobody (`closed`), holders of an invitation link (`invite`), anyone (`open`). */
    readonly registration: RegistrationMode;
    /** First start only: the superuser to create while no user exists yet. */
    readonly createSuperuser: { readonly email: string; readonly password: string } | undefined;
    /** A session ends after this long without a request (sliding). */
    readonly sessionLifetimeMs: number;
    /** Cookies get `Secure` (and the `__Host-` prefix) when BASE_URL is https. */
    readonly secureCookies: boolean;
  };
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

/** Durations as a number with a unit: "30m", "12h", "14d". */
function duration(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const m = /^(\d+)\s*(s|m|h|d)$/i.exec(raw.trim());
  const units = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const v = m ? Number(m[1]) * units[m[2]!.toLowerCase() as keyof typeof units] : NaN;
  if (!(v >= min && v <= max)) throw new ConfigError(name, raw, `a duration such as 30m, 12h or 14d, from ${min / 60_000} minutes to ${max / 86_400_000} days`);
  return v;
}

/** `email:password`, split at the first colon (an email has none; a password may). */
function superuser(env: Env, name: string): { email: string; password: string } | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const i = raw.indexOf(':');
  const email = raw.slice(0, i).trim().toLowerCase();
  const password = raw.slice(i + 1);
  // The value is a secret: the message must not echo it.
  if (i < 0 || !/^[^\s@:]+@[^\s@:]+$/.test(email) || password.length < 8) {
    throw new ConfigError(name, '…', 'email:password with a password of at least 8 characters');
  }
  return { email, password };
}

/** `count/window` pairs, comma-separated: "5/1h,100/24h". */
function volumeChoices(env: Env, name: string, fallback: string): Array<{ count: number; windowMs: number }> {
  const raw = str(env, name, fallback);
  const units = { m: 60_000, h: 3_600_000, d: 86_400_000 };
  return raw.split(',').map((part) => {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*([mhd])\s*$/i.exec(part);
    const count = Number(m?.[1]);
    const windowMs = Number(m?.[2]) * (m ? units[m[3]!.toLowerCase() as keyof typeof units] : NaN);
    if (!m || !(count > 0) || !(windowMs > 0)) throw new ConfigError(name, raw, 'comma-separated count/window pairs such as 5/1h,100/24h');
    return { count, windowMs };
  });
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** `true`, `false`, or comma-separated addresses, CIDRs and proxy-addr's names (loopback,
 * linklocal, uniquelocal), as Fastify's trustProxy takes them. No hop count: Fastify 5.12
 * trusts no peer for one (a count cannot tell the proxy from a client that reached us
 * directly), so accepting it would only look like it worked. */
function trustProxy(env: Env, name: string): boolean | string {
  const raw = str(env, name, 'false');
  const v = raw.toLowerCase();
  if (v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) {
    throw new ConfigError(name, raw, 'the addresses of your proxies (Fastify ignores a hop count), true or false');
  }
  const entries = v.split(',').map((e) => e.trim());
  const valid = (e: string) => {
    if (PROXY_NAMES.includes(e)) return true;
    const [addr = '', bits, extra] = e.split('/');
    const family = net.isIP(addr);
    if (family === 0 || extra !== undefined) return false;
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  };
  if (!entries.every(valid)) {
    throw new ConfigError(name, raw, 'true, false, or comma-separated addresses/CIDRs such as 127.0.0.1,10.0.0.0/8');
  }
  return entries.join(',');
}

/** DNS labels joined by dots; underscores pass, as /etc/hosts allows them. */
const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;

/** An IP address or a host name: anything else would fail only at listen(), with a
 * getaddrinfo error that names no setting. */
function listenHost(env: Env, name: string, fallback: string): string {
  const v = str(env, name, fallback);
  if (net.isIP(v) === 0 && !(v.length <= 253 && HOST_NAME.test(v))) {
    throw new ConfigError(name, env[name] ?? v, 'an IP address or a host name such as 0.0.0.0, ::, 127.0.0.1 or localhost');
  }
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

/** EMAIL_*, read only when EMAIL_HOST is set. */
function smtpSettings(env: Env): NonNullable<Config['email']['smtp']> {
  const secure = oneOf(env, 'EMAIL_SECURE', 'false', ['true', 'false']) === 'true';
  return {
    host: str(env, 'EMAIL_HOST', ''),
    // 587: the submission port, which every provider offers with STARTTLS; 465 for TLS from the first byte.
    port: int(env, 'EMAIL_PORT', secure ? 465 : 587, 1, 65535),
    user: env.EMAIL_USER?.trim() || undefined,
    password: env.EMAIL_PASSWORD || undefined,
    secure,
    // opportunistic: use TLS when the server offers it, as most MTAs do.
    starttls: oneOf(env, 'EMAIL_STARTTLS', 'opportunistic', ['require', 'opportunistic', 'off']),
  };
}

export function loadConfig(env: Env = process.env): Config {
  // ./data: the embedded default, so `npm start` works on a fresh clone with no setup.
  const dataDir = path.resolve(str(env, 'DATA_DIR', 'data'));
  // 8000: Sentry self-hosted's and Bugsink's port, so existing DSNs and proxies carry over.
  const port = int(env, 'PORT', 8000, 0, 65535);
  // 0.0.0.0: reachable from SDKs on other hosts and inside containers.
  const host = listenHost(env, 'HOST', '0.0.0.0');
  // Without a configured URL, DSNs point at this machine's port, right for local trials.
  const baseUrl = url(env, 'BASE_URL', `http://localhost:${port}`);
  const config: Config = {
    dataDir,
    mainDbPath: path.join(dataDir, 'sluice.db'),
    queueDbPath: path.join(dataDir, 'queue.db'),
    host,
    port,
    baseUrl,
    // One worker per core: ingest is CPU-bound (decompression, parsing), not I/O-bound.
    webConcurrency: int(env, 'WEB_CONCURRENCY', Math.max(1, os.availableParallelism()), 1, 256),
    // false: without a proxy in front, X-Forwarded-For is whatever the client wrote, and req.ip
    // keys the per-address sign-in throttle; only the operator knows which proxies are real.
    trustProxy: trustProxy(env, 'TRUST_PROXY'),
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
      // 500 rows / 4 MiB: long enough to amortize a commit, short enough that
      // a web request waiting on the write lock waits well under a second. No more: a batch is
      // held in memory until its commit, and the foreman's peak RSS follows the batch
      // (scripts/bench/digest.ts, 2 cores): 1000 rows / 16 MiB went past 300 MB with 50 KB
      // events and to 200–230 MB with 2 KB ones; 500 rows / 4 MiB stays under 200 MB at a
      // digest rate the same within the noise (80 events of 50 KB still fill a commit).
      batchSize: int(env, 'FOREMAN_BATCH_SIZE', 500, 1, 100_000),
      batchBytes: bytes(env, 'FOREMAN_BATCH_BYTES', 4 * 1024 ** 2),
      // inotify wakes the foreman; this poll only covers a missed wake-up.
      pollMs: int(env, 'FOREMAN_POLL_MS', 2000, 50, 600_000),
      // 2 s: tag distributions trail event counts by at most about that under load (they catch
      // up whenever the queue runs empty), and over 2 s values repeat enough to write ~2.5×
      // fewer rows (src/digest/tag-rollup.ts); 50,000 sums are ~10 MB of the foreman's heap.
      tagFlushMs: int(env, 'FOREMAN_TAG_FLUSH_MS', 2000, 0, 60_000),
      tagFlushRows: int(env, 'FOREMAN_TAG_FLUSH_ROWS', 50_000, 0, 1_000_000),
    },
    email: {
      smtp: env.EMAIL_HOST?.trim() ? smtpSettings(env) : undefined,
      // A From on the server's own host: mail from a made-up domain is often refused.
      from: str(env, 'EMAIL_FROM', `Sluice <sluice@${new URL(baseUrl).hostname}>`),
    },
    // Sentry's own defaults for "ignore until": a few in an hour, or a hundred in a day.
    muteVolumeChoices: volumeChoices(env, 'MUTE_VOLUME_CHOICES', '5/1h,100/24h,1000/7d'),
    alerts: {
      // 4: enough to drain a burst quickly without looking like a flood to the SMTP server.
      concurrency: int(env, 'ALERT_CONCURRENCY', 4, 1, 64),
      // 8 attempts with doubling from 30 s: retries for about two hours before giving up.
      maxAttempts: int(env, 'ALERT_MAX_ATTEMPTS', 8, 1, 100),
      retryBaseMs: int(env, 'ALERT_RETRY_BASE_MS', 30_000, 10, 3_600_000),
      // 20 per hour: a bad deploy makes one summary mail, not hundreds.
      hourlyCap: int(env, 'ALERT_HOURLY_CAP', 20, 1, 10_000),
    },
    // 1 s: a new or disabled key takes effect within a second or two, at one tiny query per second.
    keyRefreshMs: int(env, 'KEY_REFRESH_MS', 1000, 50, 600_000),
    accounts: {
      // closed: a fresh install exposed on the internet must not let strangers sign up.
      registration: oneOf<RegistrationMode>(env, 'USER_REGISTRATION', 'closed', ['closed', 'invite', 'open']),
      // Unset: the first superuser comes from `cli createsuperuser`, keeping the password out of the environment.
      createSuperuser: superuser(env, 'CREATE_SUPERUSER'),
      // 14 days without a visit: people who look weekly stay signed in, a forgotten laptop does not for long.
      sessionLifetimeMs: duration(env, 'SESSION_LIFETIME', 14 * 86_400_000, 5 * 60_000, 365 * 86_400_000),
      // A cookie marked Secure is never sent over plain http, so follow the public URL's scheme.
      secureCookies: baseUrl.startsWith('https:'),
    },
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
