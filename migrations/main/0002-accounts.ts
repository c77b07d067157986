// Main DB: people and access. Users, their sessions, teams and memberships, the team
// a project belongs to, invitation and set-password links, and sign-in throttling.
// Tokens are stored only as SHA-256 hashes: a copy of the database opens no session
// and redeems no link. Times are epoch milliseconds.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    // Stored lower-cased by the app (JavaScript folds Unicode, SQLite's NOCASE only ASCII),
    // so this plain UNIQUE is the case-insensitive uniqueness.
    .addColumn('email', 'text', (c) => c.notNull().unique())
    // NULL until the person sets one through a set-password link.
    .addColumn('password_hash', 'text')
    .addColumn('is_superuser', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('email_verified_at', 'integer')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // The synchronizer token of this session's forms; useless without the session cookie.
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('last_seen_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

  await db.schema
    .createTable('teams')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();

  await sql`CREATE TABLE team_members (
      team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
      user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
      created_at INTEGER NOT NULL,
      PRIMARY KEY (team_id, user_id)
    ) WITHOUT ROWID`.execute(db);
  await db.schema.createIndex('team_members_user').on('team_members').column('user_id').execute();

  // NULL: made by `cli createproject` before any team existed; only superusers see it
  // until one of them gives it a team. RESTRICT: a team with projects cannot vanish
  // and take event data with it by accident.
  await db.schema
    .alterTable('projects')
    .addColumn('team_id', 'integer', (c) => c.references('teams.id').onDelete('restrict'))
    .execute();
  await db.schema.createIndex('projects_team').on('projects').column('team_id').execute();

  await db.schema
    .createTable('invitations')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('team_id', 'integer', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role IN ('admin', 'member')`))
    // When set, only an account with this email may accept.
    .addColumn('email', 'text')
    .addColumn('created_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .addColumn('used_at', 'integer')
    .addColumn('used_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('invitations_team').on('invitations').column('team_id').execute();

  await db.schema
    .createTable('password_tokens')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .addColumn('used_at', 'integer')
    .execute();
  await db.schema.createIndex('password_tokens_user').on('password_tokens').column('user_id').execute();

  // One row per throttled subject ("email:…" or "ip:…"), written only when a sign-in
  // fails, so every worker process of the cluster sees the same counts.
  await sql`CREATE TABLE sign_in_failures (
      subject TEXT PRIMARY KEY,
      failures INTEGER NOT NULL,
      window_start INTEGER NOT NULL,
      locked_until INTEGER NOT NULL
    ) WITHOUT ROWID`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['sign_in_failures', 'password_tokens', 'invitations', 'team_members', 'sessions']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
  // SQLite cannot drop a column that carries a foreign key, short of rebuilding the table:
  // projects.team_id stays behind, all NULL. Migrating up again needs that rebuild first.
  await db.schema.dropIndex('projects_team').ifExists().execute();
  await db.updateTable('projects').set({ team_id: null }).execute();
  for (const t of ['teams', 'users']) await db.schema.dropTable(t).ifExists().execute();
}
