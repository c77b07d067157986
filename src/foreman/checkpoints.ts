/**
 * Checkpoints of the main DB, run by the foreman process's main thread (src/foreman.ts), which
 * otherwise only holds the lock and forwards signals. SQLite runs a checkpoint inside the
 * COMMIT that takes the WAL past wal_autocheckpoint pages: on the digesting thread, with the
 * write lock held, copying pages and fsyncing the database file — 40% of that thread in the
 * digest benchmark. Instead the digest's connection has autocheckpoint off and, after each
 * commit, asks for a checkpoint here (checkpointer.ts). PASSIVE never blocks the writer; the
 * next write transaction starts the WAL over from its beginning once all of it was copied.
 */
import Database from 'better-sqlite3';

export class CheckpointRunner {
  readonly #db: Database.Database;
  #lastAt = 0;
  #timer: NodeJS.Timeout | undefined;

  /** At most one checkpoint per `minIntervalMs`, however often the foreman commits. */
  constructor(
    dbPath: string,
    private readonly minIntervalMs = 200,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.#db = new Database(dbPath, { fileMustExist: true });
    // NORMAL: a checkpoint fsyncs the WAL before copying and the database file after
    // (https://www.sqlite.org/pragma.html#pragma_synchronous), so what it copies is durable.
    this.#db.pragma('synchronous = NORMAL');
    // PASSIVE copies what it can without waiting; the next request copies the rest.
    this.#db.pragma('busy_timeout = 0');
  }

  kick(): void {
    if (this.#timer || !this.#db.open) return; // one is already due
    const wait = this.#lastAt + this.minIntervalMs - performance.now();
    if (wait <= 0) this.#run();
    else this.#timer = setTimeout(() => this.#run(), wait);
  }

  #run(): void {
    this.#timer = undefined;
    this.#lastAt = performance.now();
    try {
      this.#db.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      this.onError(err);
    }
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#db.open) this.#db.close();
  }
}
