/** Query module for teams: a team owns projects and has members with a role. */
import type { MainDb } from '../db/open.js';
import type { TeamRole } from '../db/main-schema.js';
import { writeTransaction } from '../db/transaction.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { slugify } from '../projects/projects.js';

export type { TeamRole };

export interface Team {
  readonly id: number;
  readonly name: string;
  readonly slug: string;
  readonly createdAt: number;
}

/** A team as one viewer sees it: `role` is theirs (a superuser who is no member has none). */
export interface TeamSummary extends Team {
  readonly role: TeamRole | null;
  readonly members: number;
  readonly projects: number;
}

const MAX_NAME = 100;

export function validTeamName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new BadRequestError('a team needs a name');
  if (trimmed.length > MAX_NAME) throw new BadRequestError(`a team name has at most ${MAX_NAME} characters`);
  return trimmed;
}

type Row = { id: number; name: string; slug: string; created_at: number };
const toTeam = (r: Row): Team => ({ id: r.id, name: r.name, slug: r.slug, createdAt: r.created_at });

export function teamBySlug(db: MainDb, slug: string): Team | undefined {
  const r = db.first(db.kysely.selectFrom('teams').select(['id', 'name', 'slug', 'created_at']).where('slug', '=', slug));
  return r && toTeam(r);
}

export function teamById(db: MainDb, id: number): Team | undefined {
  const r = db.first(db.kysely.selectFrom('teams').select(['id', 'name', 'slug', 'created_at']).where('id', '=', id));
  return r && toTeam(r);
}

export function roleIn(db: MainDb, teamId: number, userId: number): TeamRole | undefined {
  return db.first(db.kysely.selectFrom('team_members').select('role').where('team_id', '=', teamId).where('user_id', '=', userId))?.role;
}

/** The teams a user belongs to, or every team for a superuser (`all`). */
export function teamsFor(db: MainDb, userId: number, all: boolean): TeamSummary[] {
  let q = db.kysely
    .selectFrom('teams')
    .leftJoin('team_members as mine', (j) => j.onRef('mine.team_id', '=', 'teams.id').on('mine.user_id', '=', userId))
    .select(['teams.id', 'teams.name', 'teams.slug', 'teams.created_at', 'mine.role'])
    .select((eb) => [
      eb.selectFrom('team_members').whereRef('team_members.team_id', '=', 'teams.id').select((e) => e.fn.countAll<number>().as('n')).as('members'),
      eb.selectFrom('projects').whereRef('projects.team_id', '=', 'teams.id').select((e) => e.fn.countAll<number>().as('n')).as('projects'),
    ])
    .orderBy('teams.name');
  if (!all) q = q.where('mine.role', 'is not', null);
  return db.all(q).map((r) => ({ ...toTeam(r), role: r.role ?? null, members: Number(r.members ?? 0), projects: Number(r.projects ?? 0) }));
}

/** The creator becomes the team's first admin. */
export function createTeam(db: MainDb, name: string, creatorId: number, now = Date.now()): Team {
  const trimmed = validTeamName(name);
  return writeTransaction(db.sqlite, 'team.create', () => {
    const base = slugify(trimmed, 'team');
    let slug = base;
    for (let i = 2; db.first(db.kysely.selectFrom('teams').select('id').where('slug', '=', slug)); i++) slug = `${base}-${i}`;
    const { lastInsertRowid: id } = db.run(db.kysely.insertInto('teams').values({ name: trimmed, slug, created_at: now }));
    db.run(db.kysely.insertInto('team_members').values({ team_id: id, user_id: creatorId, role: 'admin', created_at: now }));
    return { id, name: trimmed, slug, createdAt: now };
  });
}

/** The slug stays: it is in bookmarks and links. */
export function renameTeam(db: MainDb, teamId: number, name: string): void {
  const trimmed = validTeamName(name);
  writeTransaction(db.sqlite, 'team.rename', () => {
    db.run(db.kysely.updateTable('teams').set({ name: trimmed }).where('id', '=', teamId));
  });
}

/** Only an empty team goes: its projects' events must be deleted (or moved) on purpose, one project at a time. */
export function deleteTeam(db: MainDb, teamId: number): void {
  writeTransaction(db.sqlite, 'team.delete', () => {
    const n = Number(
      db.first(db.kysely.selectFrom('projects').select((eb) => eb.fn.countAll<number>().as('n')).where('team_id', '=', teamId))?.n ?? 0,
    );
    if (n > 0) throw new BadRequestError(`this team still has ${n} project${n === 1 ? '' : 's'}: delete or move ${n === 1 ? 'it' : 'them'} first`);
    if (db.run(db.kysely.deleteFrom('teams').where('id', '=', teamId)).changes === 0) throw new NotFoundError('no such team');
  });
}
