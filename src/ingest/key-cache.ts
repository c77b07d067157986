/**
 * Project keys, held in memory by each worker so that authenticating an SDK
 * request costs a Map lookup, not a query. A timer polls the one-row
 * key_version table and reloads every key when it moved, so an added, disabled
 * or rotated key takes effect within `keyRefreshMs`.
 *
 * An unknown key may also trigger that version check, at most a few times a
 * second, so a project created a moment ago works at once without letting a
 * flood of bad keys turn into a flood of queries.
 */
import type { Logger } from 'pino';
import type { MainDb } from '../db/open.js';
import { allKeys, keyVersion, type ProjectKey } from '../projects/projects.js';

/** At most one miss-triggered check per this many ms. */
const MISS_REFRESH_MS = 250;

export class KeyCache {
  #keys = new Map<string, ProjectKey>();
  #version = -1;
  #missCheckedAt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: MainDb,
    private readonly log: Logger,
  ) {}

  get(publicKey: string): ProjectKey | undefined {
    const key = this.#keys.get(publicKey);
    if (key || performance.now() - this.#missCheckedAt < MISS_REFRESH_MS) return key;
    this.#missCheckedAt = performance.now();
    this.refresh();
    return this.#keys.get(publicKey);
  }

  /** Reloads when the version moved; a failed read keeps the old keys (better than refusing everyone). */
  refresh(): void {
    try {
      const v = keyVersion(this.db);
      if (v === this.#version) return;
      this.#keys = new Map(allKeys(this.db).map((k) => [k.publicKey, k]));
      this.#version = v;
      this.log.debug({ keys: this.#keys.size, version: v }, 'project keys loaded');
    } catch (err) {
      this.log.error({ err }, 'could not refresh project keys');
    }
  }

  start(intervalMs: number): void {
    this.refresh();
    this.#timer = setInterval(() => this.refresh(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
