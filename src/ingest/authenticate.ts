/**
 * Who may post to a project: the key named by the request (header or query),
 * and/or by the envelope header `dsn`, must be known, active, and belong to the
 * project in the URL. develop.sentry.dev/sdk/overview/#authentication
 */
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { ProjectKey } from '../projects/projects.js';
import { parseDsn } from './auth.js';
import type { KeyCache } from './key-cache.js';

export function checkKey(keys: KeyCache, publicKey: string, projectId: number): ProjectKey {
  const key = keys.get(publicKey);
  if (!key) throw new ForbiddenError(`unknown sentry_key ${publicKey}`);
  if (!key.isActive) throw new ForbiddenError(`sentry_key ${publicKey} is disabled`);
  if (key.projectId !== projectId) throw new ForbiddenError(`sentry_key ${publicKey} does not belong to project ${projectId}`);
  return key;
}

/**
 * The envelope header's `dsn` (sent through tunnels) authenticates when the request
 * carried nothing else; when both are present they must agree.
 */
export function checkEnvelopeDsn(
  keys: KeyCache,
  dsnHeader: unknown,
  requestKey: string | null,
  projectId: number,
): void {
  if (dsnHeader === undefined || dsnHeader === null) {
    if (requestKey === null) throw new UnauthorizedError('missing authentication: no sentry_key in headers, query or envelope dsn');
    return;
  }
  if (typeof dsnHeader !== 'string') throw new UnauthorizedError('envelope header "dsn" must be a string');
  const dsn = parseDsn(dsnHeader);
  if (requestKey !== null && dsn.publicKey !== requestKey) {
    throw new UnauthorizedError('envelope header "dsn" names another key than the request authentication');
  }
  if (dsn.projectId !== String(projectId)) {
    throw new ForbiddenError(`envelope header "dsn" names project ${dsn.projectId}, not ${projectId}`);
  }
  if (requestKey === null) checkKey(keys, dsn.publicKey, projectId);
}
