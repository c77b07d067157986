/** Entry point of the foreman process: `node dist/foreman.js`. See foreman/foreman.ts. */
import { createMailer } from './alerts/mailer.js';
import { OutboxSender } from './alerts/outbox-sender.js';
import { loadConfigOrExit } from './config.js';
import { migrateAll } from './db/migrate.js';
import { openMainDb, openQueueDb } from './db/open.js';
import { Foreman } from './foreman/foreman.js';
import { acquireForemanLock, ForemanLockedError } from './foreman/lock.js';
import { createLogger } from './log.js';

const config = loadConfigOrExit();
const log = createLogger(config, 'foreman');

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
// With QUEUE_SYNC=full the foreman makes its main-DB commits durable itself, off the event
// loop (foreman/foreman.ts); its queue writes only remove digested rows and file dead letters,
// which a power loss may undo safely: the rows are digested again, idempotently.
const syncMain = config.queue.sync === 'full';
const main = openMainDb(config, { sync: 'normal' });
const queue = openQueueDb(config, { sync: 'normal' });
const mailer = createMailer(config);
if (!mailer) log.warn('no SMTP server configured (EMAIL_HOST): alert mails stay in the outbox, marked unsent');
const outbox = new OutboxSender(config, main, mailer, log);
outbox.start(config.foreman.pollMs);
const foreman = new Foreman(config, main, queue, log, outbox, { syncMain });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'foreman stopping after the batch in hand');
    foreman.stop();
  });
}
log.info({ dataDir: config.dataDir }, 'foreman started');
await foreman.run();
await outbox.stop();
mailer?.close();
main.close();
queue.close();
lock.release();
log.info(foreman.stats, 'foreman stopped');
