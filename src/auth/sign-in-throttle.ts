/**
 * Sign-in throttling, per email and per client IP. State lives in the main DB
 * (table sign_in_failures) because the HTTP workers are separate processes: a
 * counter in one worker's memory would give an attacker WEB_CONCURRENCY times
 * the attempts.
 *
 * An attempt is counted before its password is checked, in the same transaction as the
 * lock check (beginAttempt), and taken back when the password was right (attemptSucceeded).
 * Counting after the ~100 ms scrypt instead would let a burst of parallel guesses all pass
 * the check before the first failure is written: 40 at once meant 40 guesses, not 5.
 */
import type { MainDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';
import { TooManyRequestsError } from '../errors.js';

interface Rule {
  /** Failures within `windowMs` that lock the subject. */
  readonly limit: number;
  readonly windowMs: number;
  readonly lockMs: number;
}

const MINUTE = 60_000;
// Per email: 5 tries cover typos and a forgotten caps lock; an online guesser gets
// 5 guesses per 15 minutes, under 500 a day.
// Per IP: higher, since an office or a NAT shares one address.
const RULES = {
  email: { limit: 5, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE },
  ip: { limit: 20, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE },
} as const satisfies Record<string, Rule>;

type Kind = keyof typeof RULES;

export interface Subjects {
  readonly email: string;
  readonly ip: string;
}

function keys(s: Subjects): Array<[Kind, string]> {
  return [
    ['email', `email:${s.email.trim().toLowerCase().slice(0, 254)}`],
    ['ip', `ip:${s.ip}`],
  ];
}

function lockedUntil(db: MainDb, s: Subjects, now: number): number {
  const subjects = keys(s).map(([, k]) => k);
  const rows = db.all(db.kysely.selectFrom('sign_in_failures').select(['locked_until']).where('subject', 'in', subjects).where('locked_until', '>', now));
  return Math.max(0, ...rows.map((r) => r.locked_until));
}

function throttled(until: number, now: number): TooManyRequestsError {
  const minutes = Math.ceil((until - now) / MINUTE);
  return new TooManyRequestsError(
    `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    (until - now) / 1000,
  );
}

/** Throws 429 while the email or the IP is locked. */
export function assertNotThrottled(db: MainDb, s: Subjects, now = Date.now()): void {
  const until = lockedUntil(db, s, now);
  if (until > now) throw throttled(until, now);
}

/** Adds one failure to both subjects' counters; the caller holds the write transaction. */
function count(db: MainDb, s: Subjects, now: number): void {
  for (const [kind, subject] of keys(s)) {
    const rule: Rule = RULES[kind];
    const row = db.first(db.kysely.selectFrom('sign_in_failures').select(['failures', 'window_start']).where('subject', '=', subject));
    const fresh = !row || now - row.window_start > rule.windowMs;
    const failures = fresh ? 1 : row.failures + 1;
    const values = {
      failures,
      window_start: fresh ? now : row.window_start,
      locked_until: failures >= rule.limit ? now + rule.lockMs : 0,
    };
    db.run(
      db.kysely
        .insertInto('sign_in_failures')
        .values({ subject, ...values })
        .onConflict((oc) => oc.column('subject').doUpdateSet(values)),
    );
  }
  // Old rows are dead weight; the table only ever holds recent trouble.
  const oldest = now - Math.max(...Object.values(RULES).map((r) => r.windowMs + r.lockMs));
  db.run(db.kysely.deleteFrom('sign_in_failures').where('window_start', '<', oldest).where('locked_until', '<', now));
}

/**
 * Before checking a password: 429 while locked, else the attempt counts as a failure until
 * attemptSucceeded() says otherwise. Check and count are one BEGIN IMMEDIATE, so parallel
 * attempts (in any worker process) line up: the limit-th one sets the lock the next one sees.
 */
export function beginAttempt(db: MainDb, s: Subjects, now = Date.now()): void {
  writeTransaction(db.sqlite, 'sign-in.attempt', () => {
    const until = lockedUntil(db, s, now);
    if (until > now) throw throttled(until, now);
    count(db, s, now);
  });
}

/**
 * The password was right: the email starts afresh, and the IP gets back the count its
 * attempt took (and loses a lock only that count caused), so an office behind one NAT can
 * sign in all day. The IP's other failures stay: one success must not reset a spray.
 */
export function attemptSucceeded(db: MainDb, s: Subjects): void {
  const [[, email], [, ip]] = keys(s) as [[Kind, string], [Kind, string]];
  writeTransaction(db.sqlite, 'sign-in.success', () => {
    db.run(db.kysely.deleteFrom('sign_in_failures').where('subject', '=', email));
    const row = db.first(db.kysely.selectFrom('sign_in_failures').select(['failures']).where('subject', '=', ip));
    if (!row) return;
    const failures = Math.max(0, row.failures - 1);
    db.run(
      db.kysely
        .updateTable('sign_in_failures')
        .set(failures < RULES.ip.limit ? { failures, locked_until: 0 } : { failures })
        .where('subject', '=', ip),
    );
  });
}

/** A failure recorded on its own (tests prefill counters with it; routes use beginAttempt). */
export function recordFailure(db: MainDb, s: Subjects, now = Date.now()): void {
  writeTransaction(db.sqlite, 'sign-in.failure', () => count(db, s, now));
}
