/**
 * Making commits durable by hand, off the event loop: a connection that commits with
 * synchronous=NORMAL writes its WAL frames without fsync; fdatasync of the WAL file, on
 * libuv's thread pool, then makes every commit made before the call durable.
 *
 * Why this is as durable as synchronous=FULL for every commit made before sync():
 * - fdatasync flushes every write made to the file before it was called, by whichever
 *   connection, so the commit frames (and the WAL header) are on disk when it returns and
 *   recovery replays them. The data directory is fsynced once too, for the WAL file's entry.
 * - The WAL file is never replaced under the open descriptor: SQLite deletes it only when the
 *   last connection closes, and the caller keeps one open for as long as it syncs.
 * - Frames leave the WAL only through a checkpoint, which with synchronous=NORMAL fsyncs the
 *   WAL before copying and the database file after, so synced frames reach the database file
 *   durably before the WAL can be rewound and overwritten.
 * https://www.sqlite.org/pragma.html#pragma_synchronous
 */
import fs from 'node:fs';
import path from 'node:path';

export class WalSync {
  readonly #walPath: string;
  #fd: number | undefined;
  #dirSynced = false;

  constructor(dbPath: string) {
    this.#walPath = `${dbPath}-wal`;
  }

  /** fdatasync the WAL (and, the first time, its directory); `done` gets the error if any. */
  sync(done: (err: Error | null) => void): void {
    let fd: number;
    try {
      fd = this.#fd ??= fs.openSync(this.#walPath, 'r+');
    } catch (err) {
      return done(err as Error);
    }
    fs.fdatasync(fd, (err) => {
      if (err || this.#dirSynced) return done(err);
      // The WAL file may have been created by this process: make its directory entry durable.
      fs.open(path.dirname(this.#walPath), 'r', (openErr, dirFd) => {
        if (openErr) return done(openErr);
        fs.fsync(dirFd, (syncErr) => {
          fs.close(dirFd, () => undefined);
          if (!syncErr) this.#dirSynced = true;
          done(syncErr);
        });
      });
    });
  }

  /** The same, as a promise. */
  syncAsync(): Promise<void> {
    return new Promise((resolve, reject) => this.sync((err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }
}
