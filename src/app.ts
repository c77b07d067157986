/**
 * buildApp(config): the HTTP application of one worker, ready to listen.
 * No side effects beyond opening its own database handles: it does not listen,
 * migrate, fork or touch process handlers; app.close() releases everything.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { openMainDb, openQueueDb } from './db/open.js';
import { KeyCache } from './ingest/key-cache.js';
import { ingestRoutes } from './ingest/routes.js';
import { createLogger } from './log.js';
import { Enqueuer } from './queue/enqueue.js';
import { installErrorHandlers } from './web/error-handler.js';
import { healthRoutes } from './web/health.js';
import { webUi } from './web/ui.js';

export interface BuildOptions {
  /** Sees every route as it is registered (tests check that each one has an authorization rule). */
  readonly onRoute?: (route: RouteOptions) => void;
}

export async function buildApp(
  config: Config,
  logger: Logger = createLogger(config, 'web'),
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger and Fastify's logger type differ only in generics.
    loggerInstance: logger as FastifyBaseLogger,
    routerOptions: { ignoreTrailingSlash: true },
    // Ingest answers are logged only when they fail; per-request logs would cost more than the request.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy,
  });
  const main = openMainDb(config);
  const queue = openQueueDb(config);
  const keys = new KeyCache(main, logger);
  const enqueuer = new Enqueuer(queue, logger);

  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  installErrorHandlers(app);
  app.addHook('onReady', async () => keys.start(config.keyRefreshMs));
  app.addHook('onClose', async () => {
    keys.stop();
    enqueuer.close();
    main.close();
    queue.close();
  });

  await app.register(healthRoutes, { main, queue });
  await app.register((scope) => ingestRoutes(scope, { config, keys, enqueuer }));
  await app.register(webUi, { config, main, queue });
  return app;
}
