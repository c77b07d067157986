/**
 * Invitations: a one-time link that adds whoever opens it (signed in, or signing
 * up where registration allows) to a team with a role. Optionally bound to one
 * email address. The link is shown to the admin once; when the caller passes `mail` (the
 * route does for an address with SMTP set up) it is also mailed there, queued in the outbox by
 * the transaction that creates the invitation: no invitation loses its mail, no mail outlives
 * a rolled-back invitation.
 */
import { hashToken, looksLikeToken, newToken } from '../auth/tokens.js';
import type { MainDb } from '../db/open.js';
import type { TeamRole } from '../db/main-schema.js';
import { writeTransaction } from '../db/transaction.js';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors.js';
import { queueMail } from '../alerts/queue-mail.js';
import { emailProblem, insertUser, markEmailVerified, normalizeEmail, type NewUser, type User } from '../users/users.js';
import { upsertMember } from './members.js';
import { teamById, type Team } from './teams.js';

/** 7 days: a week to get round to it, then the link is dead. */
export const INVITATION_LIFETIME_MS = 7 * 86_400_000;

export interface Invitation {
  readonly id: number;
  readonly teamId: number;
  readonly role: TeamRole;
  readonly email: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export function invitationUrl(baseUrl: string, token: string): string {
  return `${baseUrl}/invite/${token}`;
}

const COLUMNS = ['id', 'team_id', 'role', 'email', 'created_at', 'expires_at', 'mailed'] as const;
type Row = { id: number; team_id: number; role: TeamRole; email: string | null; created_at: number; expires_at: number; mailed: number };
const toInvitation = (r: Row): Invitation => ({
  id: r.id,
  teamId: r.team_id,
  role: r.role,
  email: r.email,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

export function createInvitation(
  db: MainDb,
  teamId: number,
  opts: { role: TeamRole; email?: string; createdBy: number; mail?: { baseUrl: string; teamName: string; invitedBy: string } },
  now = Date.now(),
): { token: string; invitation: Invitation } {
  const email = opts.email ? normalizeEmail(opts.email) : null;
  if (email) {
    const problem = emailProblem(email);
    if (problem) throw new BadRequestError(problem);
  }
  const token = newToken();
  const expiresAt = now + INVITATION_LIFETIME_MS;
  const mailed = !!(email && opts.mail);
  const id = writeTransaction(db.sqlite, 'invitation.create', () => {
    const rowId = db.run(
      db.kysely.insertInto('invitations').values({
        team_id: teamId,
        token_hash: hashToken(token),
        role: opts.role,
        email,
        created_by: opts.createdBy,
        created_at: now,
        expires_at: expiresAt,
        mailed: mailed ? 1 : 0,
      }),
    ).lastInsertRowid;
    if (mailed && email && opts.mail) {
      const { baseUrl, teamName, invitedBy } = opts.mail;
      queueMail(db, { kind: 'invitation', to: email, payload: { url: invitationUrl(baseUrl, token), teamName, invitedBy } }, now);
    }
    return rowId;
  });
  return { token, invitation: { id, teamId, role: opts.role, email, createdAt: now, expiresAt } };
}

/** Unused and unexpired invitations of a team, newest first. */
export function openInvitations(db: MainDb, teamId: number, now = Date.now()): Invitation[] {
  return db
    .all(
      db.kysely
        .selectFrom('invitations')
        .select(COLUMNS)
        .where('team_id', '=', teamId)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc'),
    )
    .map(toInvitation);
}

function liveRow(db: MainDb, token: string, now: number): Row | undefined {
  if (!looksLikeToken(token)) return undefined;
  return db.first(
    db.kysely
      .selectFrom('invitations')
      .select(COLUMNS)
      .where('token_hash', '=', hashToken(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now),
  );
}

/** The live invitation behind a link and its team; undefined when wrong, used or expired. */
export function invitationByToken(db: MainDb, token: string, now = Date.now()): { invitation: Invitation; team: Team } | undefined {
  const row = liveRow(db, token, now);
  const team = row && teamById(db, row.team_id);
  return row && team ? { invitation: toInvitation(row), team } : undefined;
}

function spend(db: MainDb, token: string, user: { id: number; email: string }, now: number): Team {
  const row = liveRow(db, token, now);
  if (!row) throw new NotFoundError('this invitation link is not valid any more');
  if (row.email && row.email !== user.email) throw new ForbiddenError(`this invitation is for ${row.email}; sign in with that account`);
  upsertMember(db, row.team_id, user.id, row.role, now);
  db.run(db.kysely.updateTable('invitations').set({ used_at: now, used_by: user.id }).where('id', '=', row.id));
  // The link was mailed to this very address and came back: the address works.
  if (row.mailed && row.email === user.email) markEmailVerified(db, user.id, now);
  return teamById(db, row.team_id)!;
}

/** A signed-in user accepts: joins the team (or keeps the higher role) and the link is spent. */
export function acceptInvitation(db: MainDb, token: string, user: { id: number; email: string }, now = Date.now()): Team {
  return writeTransaction(db.sqlite, 'invitation.accept', () => spend(db, token, user, now));
}

/** Sign-up through an invitation: account, membership and the spent link in one transaction. */
export function registerWithInvitation(db: MainDb, token: string, newUser: NewUser, now = Date.now()): { user: User; team: Team } {
  return writeTransaction(db.sqlite, 'invitation.register', () => {
    if (!liveRow(db, token, now)) throw new NotFoundError('this invitation link is not valid any more');
    const user = insertUser(db, newUser, now);
    return { user, team: spend(db, token, user, now) };
  });
}

export function revokeInvitation(db: MainDb, teamId: number, invitationId: number): void {
  writeTransaction(db.sqlite, 'invitation.revoke', () => {
    const { changes } = db.run(db.kysely.deleteFrom('invitations').where('id', '=', invitationId).where('team_id', '=', teamId));
    if (changes === 0) throw new NotFoundError('no such invitation');
  });
}
