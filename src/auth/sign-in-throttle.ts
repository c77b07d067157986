/**
 * Sign-in throttling, per email and per client IP. State lives in the main DB
 * (table sign_in_failures) because the HTTP workers are separate processes: a
 * counter in one worker's memory would give an attacker WEB_CONCURRENCY times
 * the attempts. Written only when a sign-in fails, so normal use costs one read.
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

/** Throws 429 while the email or the IP is locked. */
export function assertNotThrottled(db: MainDb, s: Subjects, now = Date.now()): void {
  const subjects = keys(s).map(([, k]) => k);
  const rows = db.all(db.kysely.selectFrom('sign_in_failures').select(['locked_until']).where('subject', 'in', subjects).where('locked_until', '>', now));
  const until = Math.max(0, ...rows.map((r) => r.locked_until));
  if (until > now) {
    const minutes = Math.ceil((until - now) / MINUTE);
    throw new TooManyRequestsError(
      `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      (until - now) / 1000,
    );
  }
}

export function recordFailure(db: MainDb, s: Subjects, now = Date.now()): void {
  writeTransaction(db.sqlite, 'sign-in.failure', () => {
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
  });
}

/** After a good password the email starts afresh; the IP's count stays (one success must not reset a spray). */
export function clearEmailFailures(db: MainDb, email: string): void {
  const subject = keys({ email, ip: '' })[0]![1];
  if (!db.first(db.kysely.selectFrom('sign_in_failures').select('subject').where('subject', '=', subject))) return;
  writeTransaction(db.sqlite, 'sign-in.clear', () => {
    db.run(db.kysely.deleteFrom('sign_in_failures').where('subject', '=', subject));
  });
}
