/** Query module for team membership and roles. A team always keeps at least one admin. */
import type { MainDb } from '../db/open.js';
import type { TeamRole } from '../db/main-schema.js';
import { writeTransaction } from '../db/transaction.js';
import { BadRequestError, NotFoundError } from '../errors.js';

export interface Member {
  readonly userId: number;
  readonly email: string;
  readonly role: TeamRole;
  readonly since: number;
}

export function isRole(value: unknown): value is TeamRole {
  return value === 'admin' || value === 'member';
}

export function listMembers(db: MainDb, teamId: number): Member[] {
  return db
    .all(
      db.kysely
        .selectFrom('team_members')
        .innerJoin('users', 'users.id', 'team_members.user_id')
        .select(['users.id', 'users.email', 'team_members.role', 'team_members.created_at'])
        .where('team_members.team_id', '=', teamId)
        .orderBy('users.email'),
    )
    .map((r) => ({ userId: r.id, email: r.email, role: r.role, since: r.created_at }));
}

/** Inside a write transaction. An existing member keeps the higher of both roles. */
export function upsertMember(db: MainDb, teamId: number, userId: number, role: TeamRole, now: number): void {
  const current = db.first(db.kysely.selectFrom('team_members').select('role').where('team_id', '=', teamId).where('user_id', '=', userId));
  if (!current) {
    db.run(db.kysely.insertInto('team_members').values({ team_id: teamId, user_id: userId, role, created_at: now }));
  } else if (current.role === 'member' && role === 'admin') {
    db.run(db.kysely.updateTable('team_members').set({ role }).where('team_id', '=', teamId).where('user_id', '=', userId));
  }
}

function adminCount(db: MainDb, teamId: number): number {
  return Number(
    db.first(
      db.kysely
        .selectFrom('team_members')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('team_id', '=', teamId)
        .where('role', '=', 'admin'),
    )?.n ?? 0,
  );
}

function currentRole(db: MainDb, teamId: number, userId: number): TeamRole {
  const r = db.first(db.kysely.selectFrom('team_members').select('role').where('team_id', '=', teamId).where('user_id', '=', userId));
  if (!r) throw new NotFoundError('no such member of this team');
  return r.role;
}

export function setRole(db: MainDb, teamId: number, userId: number, role: TeamRole): void {
  writeTransaction(db.sqlite, 'team.set-role', () => {
    const before = currentRole(db, teamId, userId);
    if (before === 'admin' && role !== 'admin' && adminCount(db, teamId) === 1) {
      throw new BadRequestError('a team needs at least one admin: make someone else admin first');
    }
    db.run(db.kysely.updateTable('team_members').set({ role }).where('team_id', '=', teamId).where('user_id', '=', userId));
  });
}

/** Removing, or leaving: the last admin cannot go while others remain without one. */
export function removeMember(db: MainDb, teamId: number, userId: number): void {
  writeTransaction(db.sqlite, 'team.remove-member', () => {
    const role = currentRole(db, teamId, userId);
    if (role === 'admin' && adminCount(db, teamId) === 1) {
      throw new BadRequestError('the last admin cannot leave the team: make someone else admin first');
    }
    db.run(db.kysely.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId));
  });
}
