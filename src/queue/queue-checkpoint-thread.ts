/**
 * Entry point of the queue's checkpointing thread (worker_threads), started by the HTTP
 * server's primary process: see queue-checkpointer.ts for why.
 *
 * Every `intervalMs` a PASSIVE checkpoint copies what the WAL holds into the database file
 * without taking the write lock. Under a steady load a PASSIVE checkpoint is almost never
 * complete when a writer begins (some worker committed meanwhile), and SQLite starts the WAL
 * over only then; so when the WAL has grown past `restartFrames` anyway, a RESTART checkpoint
 * takes the write lock (workers retry on a later loop turn, enqueue.ts) to copy the last
 * frames, and the next commit starts the WAL from its beginning.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface QueueCheckpointData {
  readonly dbPath: string;
  readonly intervalMs: number;
  /** WAL frames past which a RESTART checkpoint is due. */
  readonly restartFrames: number;
}

export interface CheckpointReport {
  readonly ok: boolean;
  readonly error?: string;
  readonly mode?: 'PASSIVE' | 'RESTART';
  readonly ms?: number;
  readonly log?: number;
  readonly checkpointed?: number;
}

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

const port = parentPort;
if (!port) throw new Error('queue-checkpoint-thread.js runs as a worker thread');
const { dbPath, intervalMs, restartFrames } = workerData as QueueCheckpointData;
const db = new Database(dbPath, { fileMustExist: true });
// NORMAL: a checkpoint fsyncs the WAL before copying and the database file after
// (https://www.sqlite.org/pragma.html#pragma_synchronous), so what it copies is durable and
// the WAL may be overwritten afterwards (the argument of src/db/wal-sync.ts).
db.pragma('synchronous = NORMAL');
// A RESTART holds the write lock while it waits for readers of the WAL (the foreman) to move
// on, and the workers' commits wait meanwhile: give up after a few ms and try at the next
// interval, rather than stall every worker for long.
db.pragma('busy_timeout = 10');
// Pages are copied, not read by queries: a small cache is enough.
db.pragma('cache_size = -1024');

function checkpoint(mode: 'PASSIVE' | 'RESTART'): CheckpointRow {
  const started = performance.now();
  const [row] = db.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[];
  const report: CheckpointReport = { ok: true, mode, ms: performance.now() - started, log: row!.log, checkpointed: row!.checkpointed };
  if (row!.log > 0) port!.postMessage(report);
  return row!;
}

const timer = setInterval(() => {
  try {
    const row = checkpoint('PASSIVE');
    if (row.log >= restartFrames) checkpoint('RESTART');
  } catch (err) {
    const report: CheckpointReport = { ok: false, error: err instanceof Error ? err.message : String(err) };
    port.postMessage(report);
  }
}, intervalMs);

port.on('message', (msg: 'close') => {
  if (msg !== 'close') return;
  clearInterval(timer);
  db.close();
  port.close();
});
