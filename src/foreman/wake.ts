/**
 * Sleeping until the queue changes. fs.watch is Node's inotify binding on Linux:
 * every commit to the queue DB writes its -wal file, which raises an event on
 * the data directory. (The `inotify` npm package does not build on Node 20.)
 * A slow timer covers a missed event or a filesystem without inotify.
 */
import fs from 'node:fs';
import path from 'node:path';

export class QueueWatcher {
  #dirty = true;
  #wake: (() => void) | undefined;
  #watcher: fs.FSWatcher | undefined;

  constructor(queueDbPath: string) {
    const dir = path.dirname(queueDbPath);
    const base = path.basename(queueDbPath);
    this.#watcher = fs.watch(dir, { persistent: false }, (_event, filename) => {
      if (filename === null || filename.startsWith(base)) this.#signal();
    });
    this.#watcher.on('error', () => undefined); // the poll still runs
  }

  #signal(): void {
    this.#dirty = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Call before reading the queue: a change after this point wakes the next wait(). */
  clear(): void {
    this.#dirty = false;
  }

  /** Resolves at the next queue change (or at once if one came since clear()), or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.#dirty) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Wakes a pending wait() at once (shutdown). */
  interrupt(): void {
    this.#signal();
  }

  close(): void {
    this.#watcher?.close();
    this.interrupt();
  }
}
