/** Digesting events in process, through the real Digester, for query-module tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { migrateAll } from '../../src/db/migrate.js';
import { openMainDb, type MainDb } from '../../src/db/open.js';
import { Digester } from '../../src/digest/digest-batch.js';
import { createProject } from '../../src/projects/projects.js';
import type { QueueRow } from '../../src/queue/take-batch.js';
import { newEventId } from './envelopes.js';

export interface DigestDb {
  main: MainDb;
  projectId: number;
  otherProjectId: number;
  digest(events: Array<Record<string, unknown>>, projectId?: number): void;
  close(): void;
}

export async function digestDb(): Promise<DigestDb> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-digest-'));
  const config = loadConfig({ DATA_DIR: dataDir, QUEUE_SYNC: 'normal' });
  await migrateAll(config);
  const main = openMainDb(config);
  const projectId = createProject(main, 'One').project.id;
  const otherProjectId = createProject(main, 'Two').project.id;
  const digester = new Digester(main, pino({ level: 'silent' }));
  let queueId = 1;
  return {
    main,
    projectId,
    otherProjectId,
    digest(events, pid = projectId) {
      const rows: QueueRow[] = events.map((e) => {
        const eventId = (e.event_id as string | undefined) ?? newEventId();
        return {
          id: queueId++,
          project_id: pid,
          event_id: eventId,
          received_at: Date.now(),
          source: 'envelope',
          headers: '{}',
          payload: Buffer.from(JSON.stringify({ ...e, event_id: eventId })),
        };
      });
      const out = digester.digest(rows);
      if (out.dead.length) throw new Error(`dead letters: ${out.dead.map((d) => d.error).join('; ')}`);
    },
    close() {
      main.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
