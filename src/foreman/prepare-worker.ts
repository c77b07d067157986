/**
 * Entry point of the foreman's preparing thread (worker_threads): rows in, preparations out,
 * in the order they came. See preparer.ts.
 */
import { parentPort } from 'node:worker_threads';
import { prepareAll, type Preparable } from '../digest/prepare-event.js';

export interface PrepareRequest {
  readonly seq: number;
  readonly rows: readonly Preparable[];
}

const port = parentPort;
if (!port) throw new Error('prepare-worker.js runs as a worker thread of the foreman');
port.on('message', (msg: PrepareRequest) => {
  port.postMessage({ seq: msg.seq, preps: prepareAll(msg.rows) });
});
