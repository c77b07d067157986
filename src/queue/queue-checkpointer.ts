/**
 * Checkpoints of the queue DB, owned by the HTTP server's primary process, on a thread.
 *
 * SQLite runs a checkpoint inside the COMMIT that takes the WAL past wal_autocheckpoint pages:
 * in an HTTP worker that is a stall of its event loop (copying ~4 MB and two fsyncs, up to
 * 20+ ms on a shared disk) every couple of thousand events, in the middle of its requests.
 * Instead the primary, which has nothing else to do, has a thread checkpoint the queue a few
 * times a second, and the workers' writer connections keep only a high autocheckpoint
 * threshold as a safety net for when this thread is not there (enqueue.ts).
 *
 * If the thread cannot start (no compiled thread file, as when run from sources) or dies, it
 * is logged and the safety net takes over: slower commits now and then, never lost events.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { CheckpointReport, QueueCheckpointData } from './queue-checkpoint-thread.js';

const THREAD_FILE = new URL('./queue-checkpoint-thread.js', import.meta.url);

/** 100 ms: at 6,000 events/s a checkpoint copies ~2 MB. */
const INTERVAL_MS = 100;
/**
 * 2 MiB of 4 KiB pages: the WAL starts over about every other interval under load and stays
 * under SQLite's default wal_autocheckpoint (1,000 pages), so that other connections (the
 * foreman's) do not checkpoint in their commits either; the ingest benchmark showed the same
 * CPU per event with 200 ms and 4,096 frames.
 */
const RESTART_FRAMES = 512;
/** A checkpoint this slow is worth a line in the log: the disk is struggling. */
const SLOW_MS = 1000;

export class QueueCheckpointer {
  #worker: Worker | null = null;

  constructor(dbPath: string, log: Logger) {
    if (!fs.existsSync(fileURLToPath(THREAD_FILE))) {
      log.warn('no queue checkpoint thread file; the HTTP workers checkpoint the queue themselves');
      return;
    }
    const data: QueueCheckpointData = { dbPath, intervalMs: INTERVAL_MS, restartFrames: RESTART_FRAMES };
    const worker = new Worker(THREAD_FILE, { workerData: data });
    worker.on('message', (r: CheckpointReport) => {
      if (!r.ok) log.warn({ error: r.error }, 'queue checkpoint failed; the next one retries');
      else if ((r.ms ?? 0) > SLOW_MS) log.warn(r, 'slow queue checkpoint');
      else log.trace(r, 'queue checkpoint');
    });
    worker.on('error', (err) => log.error({ err }, 'queue checkpoint thread failed; the HTTP workers checkpoint the queue themselves'));
    // The primary's lifetime is its workers': this thread must not keep it alive.
    worker.unref();
    this.#worker = worker;
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('close');
    await exited;
  }
}
