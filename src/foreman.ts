/**
 * Entry point of the foreman process: `node dist/foreman.js`. See foreman/foreman.ts.
 *
 * This thread migrates, takes the single-instance lock, forwards signals and runs the main
 * DB's checkpoints (foreman/checkpoints.ts); the work runs on a worker thread
 * (foreman/foreman-thread.ts) started with bounded V8 heap sizes. The foreman
 * allocates fast and keeps little (its live heap is ~20 MB while digesting), and V8 sizes an
 * unbounded heap by allocation rate: it ran to ~300 MB of RSS. Bounded young generations
 * (8 MB) and old generations (128 MB, room for a batch of 1 MiB events) keep the whole
 * process near 200 MB at a digest rate within a few percent (scripts/bench/digest.ts).
 */
import { Worker } from 'node:worker_threads';
import { loadConfigOrExit } from './config.js';
import { migrateAll } from './db/migrate.js';
import { CHECKPOINT_REQUEST } from './foreman/checkpointer.js';
import { CheckpointRunner } from './foreman/checkpoints.js';
import { FOREMAN_HEAP } from './foreman/heap-limits.js';
import { acquireForemanLock, ForemanLockedError } from './foreman/lock.js';

const config = loadConfigOrExit();

let lock;
try {
  await migrateAll(config);
  lock = acquireForemanLock(config.dataDir);
} catch (err) {
  if (err instanceof ForemanLockedError) {
    process.stderr.write(`sluice foreman: ${err.message}\n`);
    process.exit(75); // EX_TEMPFAIL
  }
  throw err;
}

const thread = new Worker(new URL('./foreman/foreman-thread.js', import.meta.url), {
  resourceLimits: FOREMAN_HEAP,
  workerData: { pretty: process.stdout.isTTY === true },
});
const checkpoints = new CheckpointRunner(config.mainDbPath, 200, (err) => {
  process.stderr.write(`sluice foreman: checkpoint failed (the next one retries): ${String(err)}\n`);
});
thread.on('message', (msg: unknown) => {
  if (msg === CHECKPOINT_REQUEST) checkpoints.kick();
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => thread.postMessage({ stop: signal }));
thread.on('error', (err) => {
  process.stderr.write(`sluice foreman: ${err.stack ?? String(err)}\n`);
});
thread.on('exit', (code) => {
  checkpoints.close();
  lock.release();
  // The thread ends with code 1 after an uncaught error (reported above), and with its own
  // code after process.exit() there (foreman.ts: 70 when an fsync failed).
  process.exit(code);
});
