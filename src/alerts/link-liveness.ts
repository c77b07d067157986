/**
 * Is the link in a link mail still good? A mail can wait in the outbox for
 * days (no SMTP configured yet, or a long outage), and a set-password,
 * verification or invitation link in it may have expired, been used, or been
 * replaced by a newer one meanwhile. Sending it would only hand the person a
 * dead link, so the sender asks here first, from the link's own token.
 */
import { hashToken, looksLikeToken } from '../auth/tokens.js';
import type { MainDb } from '../db/open.js';

export type LinkKind = 'password_reset' | 'set_password' | 'verify_email' | 'invitation';

export const LINK_KINDS: readonly string[] = ['password_reset', 'set_password', 'verify_email', 'invitation'] satisfies LinkKind[];

const TABLE = { password_reset: 'password_tokens', set_password: 'password_tokens', verify_email: 'email_tokens', invitation: 'invitations' } as const;

/** Why the mailed link is dead (the reason admins see), or undefined while it works. */
export function deadLinkReason(db: MainDb, kind: LinkKind, url: string, now: number): string | undefined {
  let token: string | undefined;
  try {
    token = new URL(url).pathname.split('/').at(-1);
  } catch {
    token = undefined;
  }
  if (!looksLikeToken(token)) return 'not sent: the mail holds no link Sluice made';
  const row = db.first(db.kysely.selectFrom(TABLE[kind]).select(['expires_at', 'used_at']).where('token_hash', '=', hashToken(token)));
  if (!row) return 'not sent: the link was replaced by a newer one, or its account or team is gone';
  if (row.used_at !== null) return 'not sent: the link was already used';
  if (row.expires_at <= now) return 'not sent: the link expired before the mail could go out (ask for a new one)';
  return undefined;
}
