// Main DB: links that travel by mail. A link Sluice mailed to an address and
// that came back proves the address works: redeeming it verifies the email
// (alerts go only to verified addresses).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('password_tokens').addColumn('mailed', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('invitations').addColumn('mailed', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .createTable('email_tokens')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // The address the mail went to: a token for an old address verifies nothing.
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .addColumn('used_at', 'integer')
    .execute();
  await db.schema.createIndex('email_tokens_user').on('email_tokens').column('user_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('email_tokens').ifExists().execute();
  await db.schema.alterTable('invitations').dropColumn('mailed').execute();
  await db.schema.alterTable('password_tokens').dropColumn('mailed').execute();
}
