/** Query module for projects and their SDK keys. */
import { randomBytes } from 'node:crypto';
import type { MainDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';
import { BadRequestError } from '../errors.js';

export interface Project {
  readonly id: number;
  readonly name: string;
  readonly slug: string;
  readonly createdAt: number;
  /** null: made by the CLI without a team; superusers only. */
  readonly teamId: number | null;
}

export interface ProjectKey {
  readonly id: number;
  readonly projectId: number;
  readonly publicKey: string;
  readonly label: string;
  readonly isActive: boolean;
}

/** 32 hex chars, the only form Relay accepts (develop.sentry.dev: "public_key"). */
export function newPublicKey(): string {
  return randomBytes(16).toString('hex');
}

export function slugify(name: string, fallback = 'project'): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50);
  return slug || fallback;
}

export function validProjectName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new BadRequestError('a project needs a name');
  if (trimmed.length > 100) throw new BadRequestError('a project name has at most 100 characters');
  return trimmed;
}

export function createProject(
  db: MainDb,
  name: string,
  now = Date.now(),
  teamId: number | null = null,
): { project: Project; key: ProjectKey } {
  const trimmed = validProjectName(name);
  return writeTransaction(db.sqlite, 'project.create', () => {
    const base = slugify(trimmed);
    let slug = base;
    for (let i = 2; db.first(db.kysely.selectFrom('projects').select('id').where('slug', '=', slug)); i++) {
      slug = `${base}-${i}`;
    }
    const { lastInsertRowid: projectId } = db.run(
      db.kysely.insertInto('projects').values({ name: trimmed, slug, created_at: now, team_id: teamId }),
    );
    const publicKey = newPublicKey();
    const { lastInsertRowid: keyId } = db.run(
      db.kysely.insertInto('project_keys').values({ project_id: projectId, public_key: publicKey, label: 'Default', created_at: now }),
    );
    return {
      project: { id: projectId, name: trimmed, slug, createdAt: now, teamId },
      key: { id: keyId, projectId, publicKey, label: 'Default', isActive: true },
    };
  });
}

const PROJECT_COLUMNS = ['id', 'name', 'slug', 'created_at', 'team_id'] as const;
type ProjectRow = { id: number; name: string; slug: string; created_at: number; team_id: number | null };
const toProject = (r: ProjectRow): Project => ({ id: r.id, name: r.name, slug: r.slug, createdAt: r.created_at, teamId: r.team_id });

export function getProject(db: MainDb, id: number): Project | undefined {
  const r = db.first(db.kysely.selectFrom('projects').select(PROJECT_COLUMNS).where('id', '=', id));
  return r && toProject(r);
}

/** Projects of the user's teams; for a superuser (`all`) every project, team-less ones included. */
export function projectsFor(db: MainDb, userId: number, all: boolean): Project[] {
  let q = db.kysely.selectFrom('projects').select(PROJECT_COLUMNS).orderBy('name');
  if (!all) {
    q = q.where('team_id', 'in', db.kysely.selectFrom('team_members').select('team_id').where('user_id', '=', userId));
  }
  return db.all(q).map(toProject);
}

export function projectsOfTeam(db: MainDb, teamId: number): Project[] {
  return db.all(db.kysely.selectFrom('projects').select(PROJECT_COLUMNS).where('team_id', '=', teamId).orderBy('name')).map(toProject);
}

/** The slug stays, like the id in the DSN. */
export function renameProject(db: MainDb, projectId: number, name: string): void {
  const trimmed = validProjectName(name);
  writeTransaction(db.sqlite, 'project.rename', () => {
    db.run(db.kysely.updateTable('projects').set({ name: trimmed }).where('id', '=', projectId));
  });
}

export function setProjectTeam(db: MainDb, projectId: number, teamId: number): void {
  writeTransaction(db.sqlite, 'project.set-team', () => {
    db.run(db.kysely.updateTable('projects').set({ team_id: teamId }).where('id', '=', projectId));
  });
}

/** `{scheme}://{public_key}@{host}[:{port}]{path}/{project_id}` (develop.sentry.dev/sdk/overview/#parsing-the-dsn). */
export function dsnFor(baseUrl: string, publicKey: string, projectId: number): string {
  const u = new URL(baseUrl);
  const path = u.pathname.replace(/\/+$/, '');
  return `${u.protocol}//${publicKey}@${u.host}${path}/${projectId}`;
}

export function countProjects(db: MainDb): number {
  return Number(db.first(db.kysely.selectFrom('projects').select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0);
}

/** The cheap change marker workers poll (bumped by triggers on project_keys). */
export function keyVersion(db: MainDb): number {
  return db.first(db.kysely.selectFrom('key_version').select('version').where('id', '=', 1))?.version ?? 0;
}

export function allKeys(db: MainDb): ProjectKey[] {
  return db
    .all(db.kysely.selectFrom('project_keys').select(['id', 'project_id', 'public_key', 'label', 'is_active']))
    .map((r) => ({ id: r.id, projectId: r.project_id, publicKey: r.public_key, label: r.label, isActive: r.is_active === 1 }));
}

export function setKeyActive(db: MainDb, keyId: number, active: boolean): void {
  writeTransaction(db.sqlite, 'key.set-active', () => {
    db.run(db.kysely.updateTable('project_keys').set({ is_active: active ? 1 : 0 }).where('id', '=', keyId));
  });
}
