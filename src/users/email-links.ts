/**
 * Links that travel by mail: "forgot your password" and "verify your address".
 * Each is created and queued in the outbox in one transaction (the foreman
 * sends it). A person may ask again only after a few minutes, so the forms
 * cannot be used to flood someone's inbox.
 */
import { hashToken, looksLikeToken, newToken } from '../auth/tokens.js';
import { queueMail } from '../alerts/queue-mail.js';
import type { MainDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';
import { PASSWORD_LINK_LIFETIME_MS, setPasswordUrl } from './password-tokens.js';
import { markEmailVerified, normalizeEmail, type User } from './users.js';

/** One mail of each kind per person per this long. */
export const RESEND_AFTER_MS = 5 * 60_000;
/** 3 days, like set-password links. */
const VERIFY_LINK_LIFETIME_MS = 3 * 86_400_000;

export function verifyEmailUrl(baseUrl: string, token: string): string {
  return `${baseUrl}/verify-email/${token}`;
}

/**
 * Mails a set-password link if an account has this address. Says nothing
 * either way to the caller's caller: the page answers the same for every
 * address, so it reveals no accounts.
 */
export function requestPasswordReset(db: MainDb, baseUrl: string, email: string, now = Date.now()): void {
  const address = normalizeEmail(email);
  writeTransaction(db.sqlite, 'password-reset.request', () => {
    const user = db.first(db.kysely.selectFrom('users').select(['id', 'email']).where('email', '=', address));
    if (!user) return;
    const recent = db.first(
      db.kysely.selectFrom('password_tokens').select('id').where('user_id', '=', user.id).where('mailed', '=', 1).where('created_at', '>', now - RESEND_AFTER_MS),
    );
    if (recent) return;
    const token = newToken();
    db.run(db.kysely.deleteFrom('password_tokens').where('user_id', '=', user.id));
    db.run(
      db.kysely
        .insertInto('password_tokens')
        .values({ user_id: user.id, token_hash: hashToken(token), created_at: now, expires_at: now + PASSWORD_LINK_LIFETIME_MS, mailed: 1 }),
    );
    queueMail(db, { kind: 'password_reset', to: user.email, payload: { url: setPasswordUrl(baseUrl, token) } }, now);
  });
}

/** Mails a verification link to the user's address; returns its token, or undefined when one went out moments ago. */
export function sendVerification(db: MainDb, baseUrl: string, user: Pick<User, 'id' | 'email'>, now = Date.now()): string | undefined {
  return writeTransaction(db.sqlite, 'email-verify.send', () => {
    const recent = db.first(
      db.kysely.selectFrom('email_tokens').select('id').where('user_id', '=', user.id).where('created_at', '>', now - RESEND_AFTER_MS),
    );
    if (recent) return undefined;
    const token = newToken();
    db.run(
      db.kysely
        .insertInto('email_tokens')
        .values({ user_id: user.id, email: user.email, token_hash: hashToken(token), created_at: now, expires_at: now + VERIFY_LINK_LIFETIME_MS }),
    );
    queueMail(db, { kind: 'verify_email', to: user.email, payload: { url: verifyEmailUrl(baseUrl, token) } }, now);
    return token;
  });
}

/** Spends a verification link; true when it verified the address it was sent to. */
export function verifyEmail(db: MainDb, token: string, now = Date.now()): boolean {
  if (!looksLikeToken(token)) return false;
  return writeTransaction(db.sqlite, 'email-verify.redeem', () => {
    const row = db.first(
      db.kysely
        .selectFrom('email_tokens')
        .innerJoin('users', 'users.id', 'email_tokens.user_id')
        .select(['email_tokens.id', 'email_tokens.user_id', 'email_tokens.email', 'users.email as current'])
        .where('email_tokens.token_hash', '=', hashToken(token))
        .where('email_tokens.used_at', 'is', null)
        .where('email_tokens.expires_at', '>', now),
    );
    if (!row) return false;
    db.run(db.kysely.updateTable('email_tokens').set({ used_at: now }).where('id', '=', row.id));
    // The account's address may have changed since: then this link proves nothing about it.
    if (row.email !== row.current) return false;
    markEmailVerified(db, row.user_id, now);
    return true;
  });
}
