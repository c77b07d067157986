/**
 * Server-side sessions: the browser holds a random token, the database its
 * SHA-256. Revocable (sign out, password change), with a sliding expiry.
 */
import { hashToken, newToken } from '../auth/tokens.js';
import type { MainDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';

/**
 * A session's expiry moves forward at most this often: a page view is a read,
 * and only one in this many minutes also writes (a write takes the main DB's
 * lock, which the foreman needs for digesting).
 */
export const TOUCH_INTERVAL_MS = 10 * 60_000;

export interface ActiveSession {
  readonly id: number;
  readonly csrfToken: string;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly user: { readonly id: number; readonly email: string; readonly isSuperuser: boolean };
}

export interface NewSession {
  /** Goes into the cookie; not stored. */
  readonly token: string;
  readonly id: number;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

export function createSession(db: MainDb, userId: number, lifetimeMs: number, now = Date.now()): NewSession {
  const token = newToken();
  const csrfToken = newToken();
  const expiresAt = now + lifetimeMs;
  return writeTransaction(db.sqlite, 'session.create', () => {
    // Housekeeping rides along with sign-ins: expired rows are useless, and this keeps the table small.
    db.run(db.kysely.deleteFrom('sessions').where('expires_at', '<', now));
    const { lastInsertRowid: id } = db.run(
      db.kysely.insertInto('sessions').values({
        token_hash: hashToken(token),
        user_id: userId,
        csrf_token: csrfToken,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
      }),
    );
    return { token, id, csrfToken, expiresAt };
  });
}

export function sessionByToken(db: MainDb, token: string, now = Date.now()): ActiveSession | undefined {
  const r = db.first(
    db.kysely
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.id', 'sessions.csrf_token', 'sessions.last_seen_at', 'sessions.expires_at', 'users.id as user_id', 'users.email', 'users.is_superuser'])
      .where('sessions.token_hash', '=', hashToken(token))
      .where('sessions.expires_at', '>', now),
  );
  if (!r) return undefined;
  return {
    id: r.id,
    csrfToken: r.csrf_token,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    user: { id: r.user_id, email: r.email, isSuperuser: r.is_superuser === 1 },
  };
}

/** Whether this request should also push the expiry forward. */
export function dueForTouch(s: ActiveSession, now = Date.now()): boolean {
  return now - s.lastSeenAt >= TOUCH_INTERVAL_MS;
}

export function touchSession(db: MainDb, sessionId: number, lifetimeMs: number, now = Date.now()): number {
  const expiresAt = now + lifetimeMs;
  writeTransaction(db.sqlite, 'session.touch', () => {
    db.run(db.kysely.updateTable('sessions').set({ last_seen_at: now, expires_at: expiresAt }).where('id', '=', sessionId));
  });
  return expiresAt;
}

export function endSession(db: MainDb, sessionId: number): void {
  writeTransaction(db.sqlite, 'session.end', () => {
    db.run(db.kysely.deleteFrom('sessions').where('id', '=', sessionId));
  });
}

/** "Sign out everywhere else". */
export function endOtherSessions(db: MainDb, userId: number, keepSessionId: number): number {
  return writeTransaction(db.sqlite, 'session.end-others', () =>
    db.run(db.kysely.deleteFrom('sessions').where('user_id', '=', userId).where('id', '!=', keepSessionId)).changes,
  );
}

export function countSessions(db: MainDb, userId: number, now = Date.now()): number {
  return Number(
    db.first(
      db.kysely
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', userId)
        .where('expires_at', '>', now),
    )?.n ?? 0,
  );
}
