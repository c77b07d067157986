/**
 * Digest: a batch of queued events becomes events, issues and per-issue
 * counters in ONE BEGIN IMMEDIATE transaction on the main DB.
 *
 * Parsing, normalizing and grouping happen before the transaction, so the write
 * lock is held only for the inserts. Counters are summed per issue across the
 * batch and written once per issue / hour / tag value, not once per event.
 * Idempotent on (project, event_id): an event already stored is skipped and
 * counted nowhere, which is what makes at-least-once delivery safe.
 */
import type { Logger } from 'pino';
import type { MainDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';
import type { DeadLetter, QueueRow } from '../queue/take-batch.js';
import { LifecycleApplier, type BatchEvent, type IssueState, type TouchedIssue } from './lifecycle-apply.js';
import { alertSource, isPrepared, prepareAll, type Preparation, type PreparedEvent } from './prepare-event.js';
import { digestStatements, type DigestStatements } from './statements.js';
import { FLUSH_EVERY_BATCH, TagRollup, type FlushPolicy } from './tag-rollup.js';

const HOUR_MS = 3_600_000;

/** A queued row and what preparing it gave. */
interface Ready {
  readonly row: QueueRow;
  readonly p: PreparedEvent;
}

export interface BatchOutcome {
  stored: number;
  duplicates: number;
  dead: DeadLetter[];
  newIssueIds: number[];
  /** Alert mails queued in the outbox by this batch's state changes. */
  alerts: number;
}

interface IssueAgg {
  readonly id: number;
  readonly projectId: number;
  readonly state: IssueState;
  readonly isNew: boolean;
  readonly events: BatchEvent[];
  newest: TouchedIssue['newest'];
  count: number;
  minTs: number;
  maxTs: number;
  newestLevel: string;
  readonly hours: Map<number, number>;
}

/** What one transaction did, and what the tag rollup must learn once it committed. */
interface Written {
  readonly outcome: BatchOutcome;
  /** The last events.id this transaction stored (0 when none). */
  readonly through: number;
  /** The rollup's sums went into issue_tags in this transaction. */
  readonly flushed: boolean;
}

export interface DigesterOptions {
  /** When tag counts are written (tag-rollup.ts); by default with every batch. */
  readonly tagFlush?: FlushPolicy;
}

/**
 * SQLite's errors of the database itself — its write lock held elsewhere past busy_timeout, a
 * full disk, an I/O error — not of an event. Written event by event, every event would fail
 * alike and be dead-lettered, and a dead letter is never digested: the caller keeps the batch
 * queued and writes it again later instead.
 */
const DATABASE_FAULT = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|NOMEM|READONLY|CANTOPEN|CORRUPT|NOTADB|PROTOCOL)/;

export function isDatabaseFault(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DATABASE_FAULT.test(code);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function widen(range: Map<string, [number, number]>, key: string | null, ts: number): void {
  if (!key) return;
  const r = range.get(key);
  if (!r) range.set(key, [ts, ts]);
  else {
    r[0] = Math.min(r[0], ts);
    r[1] = Math.max(r[1], ts);
  }
}

export class Digester {
  readonly #st: DigestStatements;
  readonly #lifecycle: LifecycleApplier;
  readonly #tags: TagRollup;
  #replayed = false;

  constructor(
    private readonly db: MainDb,
    private readonly log: Logger,
    opts: DigesterOptions = {},
  ) {
    this.#st = digestStatements(db);
    this.#lifecycle = new LifecycleApplier(db);
    this.#tags = new TagRollup(opts.tagFlush ?? FLUSH_EVERY_BATCH);
  }

  /** Tag counts summed in memory, not yet in issue_tags. */
  get unwrittenTags(): number {
    return this.#tags.size;
  }

  /** Writes the tag counts summed so far (the foreman, when the queue runs empty). */
  flushTags(): void {
    this.#replay();
    if (this.#tags.size === 0) return;
    writeTransaction(this.db.sqlite, 'digest.tags', () => this.#tags.write(this.db, this.#st, 0), this.log);
    this.#tags.committed(0, true);
  }

  /** Once, before the first write: the tags of events stored after the last flush of a previous run. */
  #replay(): void {
    if (this.#replayed) return;
    this.#replayed = true;
    let n: number;
    try {
      n = this.#tags.replay(this.db, (eventId, err) => this.log.warn({ err, eventId }, 'stored event unreadable; its tags are not counted'));
    } catch (err) {
      // Part of the replay is in the sums, and the mark would move past the rest: start over.
      this.#tags.lost();
      this.#replayed = false;
      throw err;
    }
    if (n > 0) this.log.info({ events: n }, 'tag counts of events stored after the last flush counted again');
  }

  /** Prepares the rows on this thread, then writes them: for tests and tools. */
  digest(rows: readonly QueueRow[]): BatchOutcome {
    return this.write(rows, prepareAll(rows));
  }

  /**
   * Writes rows whose preparations (same order) were made elsewhere, e.g. on a worker thread.
   * `last`: nothing more is queued, so the tag counts are written now too.
   * Throws an isDatabaseFault() error, with nothing dead-lettered: write the rows again later
   * (the events stored before it are then skipped as duplicates).
   */
  write(rows: readonly QueueRow[], preps: readonly Preparation[], last = true): BatchOutcome {
    if (preps.length !== rows.length) throw new Error(`write: ${rows.length} rows but ${preps.length} preparations`);
    const dead: DeadLetter[] = [];
    const ready: Ready[] = [];
    rows.forEach((row, i) => {
      const p = preps[i]!;
      if (isPrepared(p)) ready.push({ row, p });
      else dead.push({ row, error: p.error });
    });
    let outcome: BatchOutcome;
    try {
      outcome = this.#commit(ready, last);
    } catch (err) {
      if (isDatabaseFault(err)) throw err;
      // Something in the batch breaks the transaction. Find it by writing the
      // events one by one: the good ones go in, the bad one is dead-lettered.
      this.log.warn({ err, events: ready.length }, 'digest batch failed; retrying event by event');
      outcome = { stored: 0, duplicates: 0, dead: [], newIssueIds: [], alerts: 0 };
      for (const r of ready) {
        try {
          const one = this.#commit([r], last);
          outcome.stored += one.stored;
          outcome.duplicates += one.duplicates;
          outcome.dead.push(...one.dead);
          outcome.newIssueIds.push(...one.newIssueIds);
          outcome.alerts += one.alerts;
        } catch (e) {
          if (isDatabaseFault(e)) throw e;
          outcome.dead.push({ row: r.row, error: `could not store the event: ${message(e)}` });
        }
      }
    }
    outcome.dead.unshift(...dead);
    return outcome;
  }

  /** One transaction, then the rollup learns what it committed. */
  #commit(ready: readonly Ready[], last: boolean): BatchOutcome {
    this.#replay();
    let w: Written;
    try {
      w = this.#write(ready, last);
    } catch (err) {
      this.#tags.lost();
      this.#replayed = false;
      throw err;
    }
    this.#tags.committed(w.through, w.flushed);
    return w.outcome;
  }

  #write(ready: readonly Ready[], last: boolean): Written {
    const st = this.#st;
    return writeTransaction(this.db.sqlite, 'digest', () => {
      const now = Date.now();
      let through = 0;
      const outcome: BatchOutcome = { stored: 0, duplicates: 0, dead: [], newIssueIds: [], alerts: 0 };
      const projects = new Map<number, boolean>();
      const seen = new Set<string>();
      const issues = new Map<string, IssueAgg>();
      const releases = new Map<number, Map<string, [number, number]>>();
      const environments = new Map<number, Map<string, [number, number]>>();

      for (const { row, p } of ready) {
        const { grouping, ts } = p;
        const projectId = row.project_id;
        let exists = projects.get(projectId);
        if (exists === undefined) {
          exists = st.projectExists.get(projectId) !== undefined;
          projects.set(projectId, exists);
        }
        if (!exists) {
          outcome.dead.push({ row, error: `project ${projectId} no longer exists` });
          continue;
        }
        const eventKey = `${projectId}:${p.eventId}`;
        if (seen.has(eventKey) || st.eventExists.get(projectId, p.eventId) !== undefined) {
          outcome.duplicates++;
          continue;
        }
        seen.add(eventKey);

        const issueKey = `${projectId}:${grouping.hash}`;
        let agg = issues.get(issueKey);
        if (!agg) {
          let state = st.findIssue.get(projectId, grouping.hash) as IssueState | undefined;
          const isNew = !state;
          if (!state) {
            const { id } = st.insertIssue.get(
              projectId,
              grouping.hash,
              grouping.key,
              grouping.title,
              grouping.culprit,
              grouping.type,
              grouping.value,
              p.level,
              p.platform,
              ts,
              ts,
            ) as { id: number };
            state = { id, status: 'unresolved', resolved_at: null, resolved_in_release: null, resolved_after_release: null, muted_until: null, mute_count: null, mute_window_ms: null, muted_after_event: null };
            outcome.newIssueIds.push(id);
          }
          agg = { id: state.id, projectId, state, isNew, events: [], newest: alertSource(p), count: 0, minTs: ts, maxTs: ts, newestLevel: p.level, hours: new Map() };
          issues.set(issueKey, agg);
        }
        agg.events.push({ release: p.release, receivedAt: row.received_at });

        through = Number(st.insertEvent.run(projectId, p.eventId, agg.id, ts, row.received_at, p.level, p.release, p.environment, p.json).lastInsertRowid);
        outcome.stored++;

        agg.count++;
        agg.minTs = Math.min(agg.minTs, ts);
        if (ts >= agg.maxTs) {
          agg.maxTs = ts;
          agg.newestLevel = p.level;
          agg.newest = alertSource(p);
        }
        const hour = Math.floor(ts / HOUR_MS);
        agg.hours.set(hour, (agg.hours.get(hour) ?? 0) + 1);
        this.#tags.addEvent(agg.id, p.tags, ts);
        if (!releases.has(projectId)) releases.set(projectId, new Map());
        if (!environments.has(projectId)) environments.set(projectId, new Map());
        widen(releases.get(projectId)!, p.release, ts);
        widen(environments.get(projectId)!, p.environment, ts);
      }

      // In issue-id order: neighbouring rows of the b-trees, written in turn.
      for (const agg of [...issues.values()].sort((a, b) => a.id - b.id)) {
        st.updateIssue.run(agg.count, agg.maxTs, agg.minTs, agg.maxTs, agg.newestLevel, agg.id);
        for (const [hour, count] of agg.hours) st.addHourly.run(agg.id, hour, count);
      }
      const flushed = last || this.#tags.due();
      if (flushed) this.#tags.write(this.db, st, through);
      for (const [projectId, versions] of releases) {
        for (const [version, [min, max]] of versions) st.addRelease.run(projectId, version, min, max);
      }
      for (const [projectId, names] of environments) {
        for (const [name, [min, max]] of names) st.addEnvironment.run(projectId, name, min, max);
      }
      // Last, so that this batch's releases are known when a regression compares against them.
      for (const agg of issues.values()) outcome.alerts += this.#lifecycle.apply(agg, now);
      return { outcome, through, flushed };
    }, this.log);
  }
}
