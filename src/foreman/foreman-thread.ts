/**
 * The foreman's work, on the worker thread that src/foreman.ts starts with bounded heap sizes:
 * open the databases, send mail from the outbox, digest until told to stop. The process's main
 * thread holds the single-instance lock and forwards signals as a 'stop' message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createMailer } from '../alerts/mailer.js';
import { OutboxSender } from '../alerts/outbox-sender.js';
import { loadConfigOrExit } from '../config.js';
import { openMainDb, openQueueDb } from '../db/open.js';
import { createLogger } from '../log.js';
import { Foreman } from './foreman.js';

const port = parentPort;
if (!port) throw new Error('foreman-thread.js runs as a worker thread of dist/foreman.js');

const config = loadConfigOrExit();
const log = createLogger(config, 'foreman', (workerData as { pretty: boolean }).pretty);
// With QUEUE_SYNC=full the foreman makes its main-DB commits durable itself, off the event
// loop (foreman/foreman.ts); its queue writes only remove digested rows and file dead letters,
// which a power loss may undo safely: the rows are digested again, idempotently.
const syncMain = config.queue.sync === 'full';
// 8 MiB of page cache, not the 16 of the web workers' connections: the digest writes mostly
// new rows and its hot pages fit; at 100k events 16 MiB digested no faster and cost ~15 MB of RSS.
const main = openMainDb(config, { sync: 'normal', cacheKiB: 8 * 1024 });
// The foreman reads the queue once, oldest first, and deletes what it read: 2 MiB of cache will do.
const queue = openQueueDb(config, { sync: 'normal', cacheKiB: 2 * 1024 });
const mailer = createMailer(config);
if (!mailer) log.warn('no SMTP server configured (EMAIL_HOST): alert mails stay in the outbox, marked unsent');
const outbox = new OutboxSender(config, main, mailer, log);
outbox.start(config.foreman.pollMs);
const foreman = new Foreman(config, main, queue, log, outbox, { syncMain, checkpoints: port });
port.on('message', (msg: { stop: string }) => {
  log.info({ signal: msg.stop }, 'foreman stopping after the batch in hand');
  foreman.stop();
});
log.info({ dataDir: config.dataDir }, 'foreman started');
await foreman.run();
await outbox.stop();
mailer?.close();
main.close();
queue.close();
log.info(foreman.stats, 'foreman stopped');
port.close();
