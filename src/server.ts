/**
 * Entry point of the HTTP workers: `node dist/server.js`. The primary migrates,
 * forks WEB_CONCURRENCY workers and replaces any that die; each worker serves
 * buildApp(config).
 */
import cluster from 'node:cluster';
import { buildApp } from './app.js';
import { loadConfigOrExit } from './config.js';
import { migrateAll } from './db/migrate.js';
import { createLogger } from './log.js';
import { openMainDb } from './db/open.js';
import { QueueCheckpointer } from './queue/queue-checkpointer.js';
import { ensureInitialSuperuser } from './users/initial-superuser.js';

const config = loadConfigOrExit();

if (cluster.isPrimary) {
  const log = createLogger(config, 'server');
  await migrateAll(config);
  // Before any worker exists, so the first sign-in page already has its superuser.
  const main = openMainDb(config);
  await ensureInitialSuperuser(config, main, log).finally(() => main.close());
  // The workers only append to the queue; copying its WAL back is done here, off their loops.
  const checkpointer = new QueueCheckpointer(config.queueDbPath, log);
  let stopping = false;
  const fork = () => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) void checkpointer.close().finally(() => process.exit(0));
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    setTimeout(fork, 1000).unref();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      log.info({ signal }, 'stopping workers');
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      setTimeout(() => process.exit(0), 10_000).unref();
    });
  }
  for (let i = 0; i < config.webConcurrency; i++) fork();
  log.info({ workers: config.webConcurrency, host: config.host, port: config.port, baseUrl: config.baseUrl }, 'sluice listening');
} else {
  const log = createLogger(config, 'web');
  const app = await buildApp(config, log);
  await app.listen({ host: config.host, port: config.port });
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', () => undefined); // the primary decides; a terminal's ^C reaches every worker too
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; worker exits');
    process.exit(1);
  });
}
