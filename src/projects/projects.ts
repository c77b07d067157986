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

export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50);
  return slug || 'project';
}

export function createProject(db: MainDb, name: string, now = Date.now()): { project: Project; key: ProjectKey } {
  const trimmed = name.trim();
  if (!trimmed) throw new BadRequestError('a project needs a name');
  if (trimmed.length > 100) throw new BadRequestError('a project name has at most 100 characters');
  return writeTransaction(db.sqlite, 'project.create', () => {
    const base = slugify(trimmed);
    let slug = base;
    for (let i = 2; db.first(db.kysely.selectFrom('projects').select('id').where('slug', '=', slug)); i++) {
      slug = `${base}-${i}`;
    }
    const { lastInsertRowid: projectId } = db.run(
      db.kysely.insertInto('projects').values({ name: trimmed, slug, created_at: now }),
    );
    const publicKey = newPublicKey();
    const { lastInsertRowid: keyId } = db.run(
      db.kysely.insertInto('project_keys').values({ project_id: projectId, public_key: publicKey, label: 'Default', created_at: now }),
    );
    return {
      project: { id: projectId, name: trimmed, slug, createdAt: now },
      key: { id: keyId, projectId, publicKey, label: 'Default', isActive: true },
    };
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
