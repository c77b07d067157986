/**
 * An in-process app on a fresh temp data directory migrated to the latest
 * schema, for app.inject() tests. Nothing listens; nothing digests (the
 * foreman is a separate process: see processes.ts for that).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { migrateAll } from '../../src/db/migrate.js';
import { openMainDb, openQueueDb, type MainDb, type QueueDb } from '../../src/db/open.js';
import { createProject, dsnFor } from '../../src/projects/projects.js';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  main: MainDb;
  queue: QueueDb;
  project: { id: number; key: string; dsn: string };
  /** Every route the app registered, as `METHOD /url` (HEAD routes Fastify adds for GETs left out). */
  routes: string[];
  close(): Promise<void>;
}

export async function testApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-app-'));
  const config = loadConfig({ DATA_DIR: dataDir, BASE_URL: 'http://sluice.test', QUEUE_SYNC: 'normal', KEY_REFRESH_MS: '50', ...env });
  await migrateAll(config);
  const main = openMainDb(config);
  const queue = openQueueDb(config);
  const { project, key } = createProject(main, 'Test project');
  const routes: string[] = [];
  const app = await buildApp(config, pino({ level: 'silent' }), {
    onRoute: (r) => {
      for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url}`);
    },
  });
  await app.ready();
  return {
    app,
    config,
    main,
    queue,
    project: { id: project.id, key: key.publicKey, dsn: dsnFor(config.baseUrl, key.publicKey, project.id) },
    routes,
    async close() {
      await app.close();
      main.close();
      queue.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
