/** CREATE_SUPERUSER=email:password, applied on the first start only (while no user exists). */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { MainDb } from '../db/open.js';
import { hashPassword } from './passwords.js';
import { countUsers, createFirstSuperuser } from './users.js';

export async function ensureInitialSuperuser(config: Config, db: MainDb, log: Pick<Logger, 'info'>): Promise<void> {
  const wanted = config.accounts.createSuperuser;
  // The cheap check first: on every later start there are users, and no hash is computed.
  if (!wanted || countUsers(db) > 0) return;
  if (createFirstSuperuser(db, wanted.email, await hashPassword(wanted.password))) {
    log.info({ email: wanted.email }, 'created the first superuser from CREATE_SUPERUSER');
  }
}
