/** Query module for user accounts. Emails are stored lower-cased; see migrations/main/0002. */
import type { MainDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';
import { BadRequestError, NotFoundError } from '../errors.js';

export interface User {
  readonly id: number;
  readonly email: string;
  readonly isSuperuser: boolean;
  readonly hasPassword: boolean;
  readonly createdAt: number;
}

export interface UserWithTeams extends User {
  readonly teams: number;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Deliberately loose: the one real check of an address is a mail that arrives (issue 5). */
export function emailProblem(email: string): string | undefined {
  if (!email) return 'an email address is needed';
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(email)) return `"${email.slice(0, 60)}" is not an email address`;
  return undefined;
}

const COLUMNS = ['id', 'email', 'password_hash', 'is_superuser', 'created_at'] as const;

type Row = { id: number; email: string; password_hash: string | null; is_superuser: number; created_at: number };

function toUser(r: Row): User {
  return { id: r.id, email: r.email, isSuperuser: r.is_superuser === 1, hasPassword: r.password_hash !== null, createdAt: r.created_at };
}

export function getUser(db: MainDb, id: number): User | undefined {
  const r = db.first(db.kysely.selectFrom('users').select(COLUMNS).where('id', '=', id));
  return r && toUser(r);
}

/** The user and their stored hash, for a sign-in. */
export function userForSignIn(db: MainDb, email: string): { user: User; passwordHash: string | null } | undefined {
  const r = db.first(db.kysely.selectFrom('users').select(COLUMNS).where('email', '=', normalizeEmail(email)));
  return r && { user: toUser(r), passwordHash: r.password_hash };
}

export function userByEmail(db: MainDb, email: string): User | undefined {
  return userForSignIn(db, email)?.user;
}

export function passwordHashOf(db: MainDb, userId: number): string | null {
  return db.first(db.kysely.selectFrom('users').select('password_hash').where('id', '=', userId))?.password_hash ?? null;
}

export function countUsers(db: MainDb): number {
  return Number(db.first(db.kysely.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0);
}

export function listUsers(db: MainDb): UserWithTeams[] {
  const rows = db.all(
    db.kysely
      .selectFrom('users')
      .select(COLUMNS)
      .select((eb) =>
        eb.selectFrom('team_members').whereRef('team_members.user_id', '=', 'users.id').select((e) => e.fn.countAll<number>().as('n')).as('teams'),
      )
      .orderBy('email'),
  );
  return rows.map((r) => ({ ...toUser(r), teams: Number(r.teams ?? 0) }));
}

export interface NewUser {
  readonly email: string;
  /** Already hashed (hashing is async and must happen before the write transaction). */
  readonly passwordHash: string | null;
  readonly isSuperuser?: boolean;
  /** The operator vouches for the address (CLI, CREATE_SUPERUSER): alerts may go there at once. */
  readonly emailVerified?: boolean;
}

function validEmail(email: string): string {
  const normalized = normalizeEmail(email);
  const problem = emailProblem(normalized);
  if (problem) throw new BadRequestError(problem);
  return normalized;
}

/** Inside a write transaction: inserts, or refuses a taken email. */
export function insertUser(db: MainDb, u: NewUser, now: number): User {
  const email = validEmail(u.email);
  if (db.first(db.kysely.selectFrom('users').select('id').where('email', '=', email))) {
    throw new BadRequestError(`an account with the email ${email} exists already`);
  }
  const isSuperuser = u.isSuperuser ?? false;
  const { lastInsertRowid: id } = db.run(
    db.kysely
      .insertInto('users')
      .values({ email, password_hash: u.passwordHash, is_superuser: isSuperuser ? 1 : 0, created_at: now, email_verified_at: u.emailVerified ? now : null }),
  );
  return { id, email, isSuperuser, hasPassword: u.passwordHash !== null, createdAt: now };
}

export function createUser(db: MainDb, u: NewUser, now = Date.now()): User {
  return writeTransaction(db.sqlite, 'user.create', () => insertUser(db, u, now));
}

/**
 * CREATE_SUPERUSER on first start: creates the account only while there is no
 * user at all, checked inside the write lock so that two processes starting
 * together cannot both do it. Returns whether it did.
 */
export function createFirstSuperuser(db: MainDb, email: string, passwordHash: string, now = Date.now()): boolean {
  return writeTransaction(db.sqlite, 'user.first-superuser', () => {
    if (db.first(db.kysely.selectFrom('users').select('id').limit(1))) return false;
    insertUser(db, { email, passwordHash, isSuperuser: true, emailVerified: true }, now);
    return true;
  });
}

/** Sets the hash and ends every session of the user but `keepSessionId`: a new password locks out whoever had the old one. */
export function setPasswordHash(db: MainDb, userId: number, passwordHash: string, keepSessionId?: number): void {
  writeTransaction(db.sqlite, 'user.set-password', () => {
    const { changes } = db.run(db.kysely.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId));
    if (changes === 0) throw new NotFoundError('no such user');
    let ended = db.kysely.deleteFrom('sessions').where('user_id', '=', userId);
    if (keepSessionId !== undefined) ended = ended.where('id', '!=', keepSessionId);
    db.run(ended);
  });
}

export function setSuperuser(db: MainDb, userId: number, on: boolean): void {
  writeTransaction(db.sqlite, 'user.set-superuser', () => {
    const { changes } = db.run(db.kysely.updateTable('users').set({ is_superuser: on ? 1 : 0 }).where('id', '=', userId));
    if (changes === 0) throw new NotFoundError('no such user');
  });
}

/** Sessions, memberships and links go with the user (ON DELETE CASCADE). */
export function deleteUser(db: MainDb, userId: number): void {
  writeTransaction(db.sqlite, 'user.delete', () => {
    const { changes } = db.run(db.kysely.deleteFrom('users').where('id', '=', userId));
    if (changes === 0) throw new NotFoundError('no such user');
  });
}

/** Inside a write transaction: the address has proven to receive our mail. */
export function markEmailVerified(db: MainDb, userId: number, now: number): void {
  db.run(db.kysely.updateTable('users').set({ email_verified_at: now }).where('id', '=', userId).where('email_verified_at', 'is', null));
}

export function emailVerified(db: MainDb, userId: number): boolean {
  return !!db.first(db.kysely.selectFrom('users').select('id').where('id', '=', userId).where('email_verified_at', 'is not', null));
}
