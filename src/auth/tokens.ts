/**
 * Secrets handed to a browser or printed as a link (session cookies, invitation
 * and set-password links). Only their SHA-256 goes into the database: the tokens
 * are 256 random bits, so a fast hash is enough, and a stolen database copy
 * yields nothing that can be presented back to the server.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** 43 base64url characters: anything else is not ours, and need not reach the database. */
export function looksLikeToken(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
