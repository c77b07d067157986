/**
 * The keys of one project, as its settings page manages them. Every change
 * bumps key_version through the triggers on project_keys, so the ingest
 * workers' key caches follow within KEY_REFRESH_MS.
 */
import type { MainDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { newPublicKey, type ProjectKey } from './projects.js';

export interface KeyDetails extends ProjectKey {
  readonly createdAt: number;
}

function validLabel(label: string): string {
  const trimmed = label.trim() || 'Default';
  if (trimmed.length > 60) throw new BadRequestError('a key label has at most 60 characters');
  return trimmed;
}

export function keysOfProject(db: MainDb, projectId: number): KeyDetails[] {
  return db
    .all(
      db.kysely
        .selectFrom('project_keys')
        .select(['id', 'project_id', 'public_key', 'label', 'is_active', 'created_at'])
        .where('project_id', '=', projectId)
        // Active keys first, newest first within each: the DSN to use is on top.
        .orderBy('is_active', 'desc')
        .orderBy('id', 'desc'),
    )
    .map((r) => ({
      id: r.id,
      projectId: r.project_id,
      publicKey: r.public_key,
      label: r.label,
      isActive: r.is_active === 1,
      createdAt: r.created_at,
    }));
}

function insertKey(db: MainDb, projectId: number, label: string, now: number): ProjectKey {
  const publicKey = newPublicKey();
  const { lastInsertRowid: id } = db.run(
    db.kysely.insertInto('project_keys').values({ project_id: projectId, public_key: publicKey, label, created_at: now }),
  );
  return { id, projectId, publicKey, label, isActive: true };
}

export function addKey(db: MainDb, projectId: number, label: string, now = Date.now()): ProjectKey {
  const clean = validLabel(label);
  return writeTransaction(db.sqlite, 'key.add', () => insertKey(db, projectId, clean, now));
}

/** Throws 404 unless the key belongs to the project: a key id from another project's page is not ours to touch. */
function keyOfProject(db: MainDb, projectId: number, keyId: number): { label: string } {
  const r = db.first(db.kysely.selectFrom('project_keys').select('label').where('id', '=', keyId).where('project_id', '=', projectId));
  if (!r) throw new NotFoundError('no such key in this project');
  return r;
}

export function setProjectKeyActive(db: MainDb, projectId: number, keyId: number, active: boolean): void {
  writeTransaction(db.sqlite, 'key.set-active', () => {
    keyOfProject(db, projectId, keyId);
    db.run(db.kysely.updateTable('project_keys').set({ is_active: active ? 1 : 0 }).where('id', '=', keyId));
  });
}

/**
 * Rotation: a new key with the same label replaces the old one, which is
 * disabled rather than deleted, so a rotation that broke a deployment can be
 * undone by enabling the old key again.
 */
export function rotateKey(db: MainDb, projectId: number, keyId: number, now = Date.now()): ProjectKey {
  return writeTransaction(db.sqlite, 'key.rotate', () => {
    const { label } = keyOfProject(db, projectId, keyId);
    db.run(db.kysely.updateTable('project_keys').set({ is_active: 0 }).where('id', '=', keyId));
    return insertKey(db, projectId, label, now);
  });
}
