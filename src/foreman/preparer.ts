/**
 * Preparing batches on a worker thread. Parsing, normalizing, grouping and serializing an
 * event (src/digest/prepare-event.ts) is about half of the digest's CPU and needs no database,
 * so it runs on a thread of its own: while the main thread writes batch N in its transaction,
 * the worker prepares batch N+1, and the foreman uses both cores of a small machine.
 *
 * If the thread cannot start (the compiled worker file is missing, as under the test runner,
 * which loads the TypeScript sources) or dies, batches are prepared on the calling thread:
 * slower, never wrong.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { prepareAll, type Preparable, type Preparation } from '../digest/prepare-event.js';
import { FOREMAN_HEAP } from './heap-limits.js';
import type { PrepareRequest } from './prepare-worker.js';

interface Waiting {
  readonly rows: readonly Preparable[];
  resolve(preps: Preparation[]): void;
}

const WORKER_FILE = new URL('./prepare-worker.js', import.meta.url);

export class Preparer {
  #worker: Worker | null = null;
  readonly #waiting = new Map<number, Waiting>();
  #seq = 0;

  constructor(private readonly log: Logger) {
    if (!fs.existsSync(fileURLToPath(WORKER_FILE))) {
      log.warn({ file: fileURLToPath(WORKER_FILE) }, 'no compiled prepare worker; preparing events on the main thread');
      return;
    }
    const worker = new Worker(WORKER_FILE, { resourceLimits: FOREMAN_HEAP });
    worker.on('message', (msg: { seq: number; preps: Preparation[] }) => {
      const w = this.#waiting.get(msg.seq);
      this.#waiting.delete(msg.seq);
      w?.resolve(msg.preps);
    });
    worker.on('error', (err) => this.#fallBack(worker, err));
    worker.on('exit', (code) => this.#fallBack(worker, new Error(`prepare worker exited with code ${code}`)));
    this.#worker = worker;
  }

  /** The preparations of `rows`, in their order. Never rejects: a bad row is a Preparation with an error. */
  prepare(rows: readonly Preparable[]): Promise<Preparation[]> {
    const worker = this.#worker;
    if (!worker) return Promise.resolve(prepareAll(rows));
    const seq = this.#seq++;
    return new Promise((resolve) => {
      this.#waiting.set(seq, { rows, resolve });
      const msg: PrepareRequest = { seq, rows };
      worker.postMessage(msg);
    });
  }

  /** The thread is gone: what it had in hand is prepared here, and so is everything after. */
  #fallBack(worker: Worker, err: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.log.error({ err }, 'prepare worker failed; preparing events on the main thread');
    for (const [seq, w] of this.#waiting) {
      this.#waiting.delete(seq);
      w.resolve(prepareAll(w.rows));
    }
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }
}
