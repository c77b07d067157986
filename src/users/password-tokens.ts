/**
 * One-time set-password links: made by a superuser (web or `cli setpasswordlink`)
 * for a new account or a forgotten password, shown once and, if the superuser
 * asks, mailed; and mailed as the reset link (email-links.ts).
 */
import { queueMail } from '../alerts/queue-mail.js';
import { hashToken, looksLikeToken, newToken } from '../auth/tokens.js';
import type { MainDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';
import { NotFoundError } from '../errors.js';
import type { User } from './users.js';
import { getUser, markEmailVerified } from './users.js';

/** 3 days: long enough to reach someone over a weekend, short enough that an old link in a chat log is dead. */
export const PASSWORD_LINK_LIFETIME_MS = 3 * 86_400_000;

export function setPasswordUrl(baseUrl: string, token: string): string {
  return `${baseUrl}/set-password/${token}`;
}

/**
 * A new link; earlier unused links of the same user stop working (only the newest
 * one is live). With `mail`, it is also mailed to the account's address, queued in
 * the same transaction; such a link, redeemed, proves the address (as an invitation does).
 */
export function createPasswordToken(db: MainDb, userId: number, now = Date.now(), mail?: { baseUrl: string; by: string }): string {
  const token = newToken();
  writeTransaction(db.sqlite, 'password-token.create', () => {
    const user = db.first(db.kysely.selectFrom('users').select(['id', 'email']).where('id', '=', userId));
    if (!user) throw new NotFoundError('no such user');
    db.run(db.kysely.deleteFrom('password_tokens').where('user_id', '=', userId));
    db.run(
      db.kysely
        .insertInto('password_tokens')
        .values({ user_id: userId, token_hash: hashToken(token), created_at: now, expires_at: now + PASSWORD_LINK_LIFETIME_MS, mailed: mail ? 1 : 0 }),
    );
    if (mail) queueMail(db, { kind: 'set_password', to: user.email, payload: { url: setPasswordUrl(mail.baseUrl, token), invitedBy: mail.by } }, now);
  });
  return token;
}

/** The user a live link is for, or undefined for a wrong, used or expired link. */
export function passwordTokenUser(db: MainDb, token: string, now = Date.now()): User | undefined {
  if (!looksLikeToken(token)) return undefined;
  const r = db.first(
    db.kysely
      .selectFrom('password_tokens')
      .select('user_id')
      .where('token_hash', '=', hashToken(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now),
  );
  return r && getUser(db, r.user_id);
}

/**
 * Spends the link and sets the password in one transaction; every session of
 * the user ends. Returns the user, or undefined when the link is not live (a
 * second tab may have spent it meanwhile).
 */
export function redeemPasswordToken(db: MainDb, token: string, passwordHash: string, now = Date.now()): User | undefined {
  if (!looksLikeToken(token)) return undefined;
  const userId = writeTransaction(db.sqlite, 'password-token.redeem', () => {
    const r = db.first(
      db.kysely
        .selectFrom('password_tokens')
        .select(['id', 'user_id', 'mailed'])
        .where('token_hash', '=', hashToken(token))
        .where('used_at', 'is', null)
        .where('expires_at', '>', now),
    );
    if (!r) return undefined;
    db.run(db.kysely.updateTable('password_tokens').set({ used_at: now }).where('id', '=', r.id));
    db.run(db.kysely.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', r.user_id));
    db.run(db.kysely.deleteFrom('sessions').where('user_id', '=', r.user_id));
    // A link that reached the person by mail proves the address.
    if (r.mailed) markEmailVerified(db, r.user_id, now);
    return r.user_id;
  });
  return userId === undefined ? undefined : getUser(db, userId);
}
