/**
 * Per-issue tag counts summed in memory across batches, written now and then.
 *
 * An event brings 20–30 tags (its own and those derived from release, browser, url, user…),
 * and each is a counter row per issue: written per batch, tag upserts were half of the
 * digest's time in SQLite, and a batch hardly sums anything (500 events over 1,000 issues
 * rarely repeat an issue). Over a few seconds values repeat and rows are written once.
 *
 * Why nothing is lost or counted twice: the rollup holds the tags of events already stored,
 * and digest_state.tags_through_event says up to which events.id issue_tags has them. A flush
 * writes the sums and moves that mark in one transaction. After a crash the foreman counts
 * again the events after the mark, from their stored JSON (replay): events.id only grows
 * (AUTOINCREMENT) and the foreman is the only writer of events. Counts are added in the
 * transaction that stores their event; if it rolls back, the sums are dropped and counted
 * again the same way (lost, replay), and they are cleared only after a flush committed.
 *
 * The price: tag distributions and tag searches trail the event counts by up to a flush
 * interval under sustained load; when the queue runs empty the foreman flushes at once.
 */
import { sql } from 'kysely';
import type { MainDb } from '../db/open.js';
import { eventTags } from './event-tags.js';
import { normalizeEvent } from './normalize.js';
import type { DigestStatements } from './statements.js';
import { TAG_ROWS } from './statements.js';

export interface TagCount {
  readonly issueId: number;
  readonly key: string;
  readonly value: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

/** When to write the sums: whichever comes first. */
export interface FlushPolicy {
  readonly maxRows: number;
  readonly maxAgeMs: number;
}

/** Write every batch's tags with the batch: what tests and tools get by default. */
export const FLUSH_EVERY_BATCH: FlushPolicy = { maxRows: 0, maxAgeMs: 0 };

/**
 * Sums tag counts by (issue, key, value). Nested maps rather than one map on a joined key: no
 * string is built per tag of every event, and an issue's counts sit together for the flush.
 */
export class TagSums {
  readonly #issues = new Map<number, Map<string, Map<string, TagCount>>>();
  #size = 0;

  add(issueId: number, key: string, value: string, count: number, firstSeen: number, lastSeen: number): void {
    let keys = this.#issues.get(issueId);
    if (!keys) this.#issues.set(issueId, (keys = new Map()));
    let values = keys.get(key);
    if (!values) keys.set(key, (values = new Map()));
    const t = values.get(value);
    if (!t) {
      values.set(value, { issueId, key, value, count, firstSeen, lastSeen });
      this.#size++;
    } else {
      t.count += count;
      if (firstSeen < t.firstSeen) t.firstSeen = firstSeen;
      if (lastSeen > t.lastSeen) t.lastSeen = lastSeen;
    }
  }

  /** Flattened tags (key, value, key, value…) of one event. */
  addEvent(issueId: number, tags: readonly string[], ts: number): void {
    for (let i = 0; i < tags.length; i += 2) this.add(issueId, tags[i]!, tags[i + 1]!, 1, ts, ts);
  }

  get size(): number {
    return this.#size;
  }

  get issueIds(): number[] {
    return [...this.#issues.keys()];
  }

  /** The sums of the given issues, in issue, key and value order (neighbouring b-tree rows). */
  *sorted(issueIds: readonly number[]): Generator<TagCount> {
    for (const id of [...issueIds].sort((a, b) => a - b)) {
      const keys = this.#issues.get(id);
      if (!keys) continue;
      for (const key of [...keys.keys()].sort()) {
        const values = keys.get(key)!;
        for (const value of [...values.keys()].sort()) yield values.get(value)!;
      }
    }
  }
}

export class TagRollup {
  #sums = new TagSums();
  /** The highest events.id whose tags are in #sums or already in issue_tags. */
  #through = 0;
  /** performance.now() when the oldest unwritten count came in. */
  #since: number | null = null;

  constructor(private readonly policy: FlushPolicy) {}

  get size(): number {
    return this.#sums.size;
  }

  /** Whether this transaction should write the sums. */
  due(now = performance.now()): boolean {
    if (this.#sums.size === 0) return false;
    return this.#sums.size >= this.policy.maxRows || now - (this.#since ?? now) >= this.policy.maxAgeMs;
  }

  /**
   * Inside the transaction that stores the event. If that transaction rolls back, call
   * lost(): the sums then hold counts of events that were never stored.
   */
  addEvent(issueId: number, tags: readonly string[], ts: number): void {
    this.#since ??= performance.now();
    this.#sums.addEvent(issueId, tags, ts);
  }

  /** Inside a write transaction: the sums into issue_tags, and the mark up to events.id `through`. */
  write(db: MainDb, st: DigestStatements, through: number): number {
    const rows = writeTagCounts(db, st, this.#sums);
    const mark = Math.max(this.#through, through);
    db.run(db.kysely.updateTable('digest_state').set({ tags_through_event: mark }).where('id', '=', 1).where('tags_through_event', '<', mark));
    return rows;
  }

  /** The transaction that stored events up to `through` committed; `flushed`: with write(). */
  committed(through: number, flushed: boolean): void {
    this.#through = Math.max(this.#through, through);
    if (!flushed) return;
    this.#sums = new TagSums();
    this.#since = null;
  }

  /** A transaction with addEvent() calls rolled back: forget the sums; replay() counts again. */
  lost(): void {
    this.#sums = new TagSums();
    this.#since = null;
    this.#through = 0;
  }

  /**
   * At start, and after lost(): counts again the tags of the events stored after the mark
   * (a crash or a rollback took the sums in memory with it). Reads in pages. If it throws
   * (a read error), the sums hold part of the replay: call lost() and replay again later.
   */
  replay(db: MainDb, onUnreadable?: (eventId: number, err: unknown) => void): number {
    const mark = db.first(db.kysely.selectFrom('digest_state').select('tags_through_event').where('id', '=', 1))?.tags_through_event ?? 0;
    this.#through = Math.max(this.#through, mark);
    let replayed = 0;
    for (;;) {
      const events = db.all(
        db.kysely
          .selectFrom('events')
          .select(['id', 'issue_id', 'timestamp', 'received_at', 'data'])
          .where('id', '>', this.#through)
          .orderBy('id')
          .limit(1000),
      );
      if (events.length === 0) return replayed;
      for (const e of events) {
        let tags: string[];
        try {
          tags = storedEventTags(e);
        } catch (err) {
          // A stored row we cannot read back (edited by hand, say) loses its tags, not the
          // tags of every event after it.
          onUnreadable?.(e.id, err);
          continue;
        }
        this.addEvent(e.issue_id, tags, e.timestamp);
      }
      this.#through = events.at(-1)!.id;
      replayed += events.length;
    }
  }
}

/** The tags an event was counted with, from its stored row (normalizing is idempotent). */
export function storedEventTags(e: { data: string; received_at: number }): string[] {
  const ev = normalizeEvent(JSON.parse(e.data), { receivedAt: e.received_at / 1000 });
  const flat: string[] = [];
  for (const [k, v] of eventTags(ev)) flat.push(k, v);
  return flat;
}

/**
 * Upserts the sums, in issue, key and value order, skipping issues deleted since their events
 * came in: their rows went with them (ON DELETE CASCADE), and a row for them would break the
 * foreign key.
 */
function writeTagCounts(db: MainDb, st: DigestStatements, sums: TagSums): number {
  if (sums.size === 0) return 0;
  const ids = sums.issueIds;
  const alive = db
    .all(db.kysely.selectFrom('issues').select('id').where('id', 'in', sql<number>`(SELECT value FROM json_each(${JSON.stringify(ids)}))`))
    .map((r) => r.id);
  const params: unknown[] = [];
  let rows = 0;
  for (const t of sums.sorted(alive)) {
    params.push(t.issueId, t.key, t.value, t.count, t.firstSeen, t.lastSeen);
    rows++;
    if (params.length === TAG_ROWS * 6) st.addTags.run(...params.splice(0));
  }
  for (let i = 0; i < params.length; i += 6) st.addTag.run(...params.slice(i, i + 6));
  return rows;
}
