/**
 * Brings both databases to the latest schema with Kysely's Migrator.
 *
 * Kysely's SQLite adapter takes no lock of its own (it assumes one connection),
 * so two processes starting at once could both try a migration. We serialize
 * them on a lock file: BEGIN IMMEDIATE on a scratch SQLite file blocks a second
 * migrator until the first commits, and the OS drops the lock if a process dies.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kysely, Migrator, SqliteDialect, type Migration, type MigrationProvider, type MigrationResult } from 'kysely';
import type { Config } from '../config.js';
import { openSqlite } from './sqlite.js';

export type DbKind = 'main' | 'queue';

/** dist/db/migrate.js finds dist/migrations; src/db/migrate.ts (tests) finds the sources. */
function migrationsDir(kind: DbKind): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const compiled = path.join(here, '..', 'migrations', kind);
  return fs.existsSync(compiled) ? compiled : path.join(here, '..', '..', 'migrations', kind);
}

/**
 * Like Kysely's FileMigrationProvider, but the import() is ours: under vitest
 * that lets the test runner load the TypeScript sources, which an import()
 * from inside node_modules could not.
 */
class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folder: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const file of fs.readdirSync(this.folder).sort()) {
      if (!/\.(js|ts)$/.test(file) || file.endsWith('.d.ts')) continue;
      const mod = (await import(pathToFileURL(path.join(this.folder, file)).href)) as Migration;
      migrations[file.replace(/\.(js|ts)$/, '')] = mod;
    }
    return migrations;
  }
}

export interface MigrationReport {
  readonly kind: DbKind;
  readonly applied: string[];
}

async function migrateOne(file: string, kind: DbKind, config: Config): Promise<MigrationReport> {
  const sqlite = openSqlite(file, { sync: config.queue.sync });
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    const migrator = new Migrator({
      db,
      provider: new FolderMigrationProvider(migrationsDir(kind)),
    });
    const { error, results } = await migrator.migrateToLatest();
    const applied = (results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName);
    if (error) {
      const failed = (results ?? []).find((r) => r.status === 'Error')?.migrationName ?? '?';
      throw new Error(`migration ${kind}/${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { kind, applied };
  } finally {
    await db.destroy(); // closes the better-sqlite3 handle too
  }
}

export async function migrateAll(config: Config): Promise<MigrationReport[]> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const lock = openSqlite(path.join(config.dataDir, 'migrate.lock'), { sync: 'normal', busyTimeoutMs: 120_000 });
  try {
    lock.exec('BEGIN IMMEDIATE');
    return [await migrateOne(config.mainDbPath, 'main', config), await migrateOne(config.queueDbPath, 'queue', config)];
  } finally {
    if (lock.inTransaction) lock.exec('ROLLBACK');
    lock.close();
  }
}
