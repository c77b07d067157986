/** Digesting events in process, through the real Digester, for query-module tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { migrateAll } from '../../src/db/migrate.js';
import { openMainDb, type MainDb } from '../../src/db/open.js';
import { Digester } from '../../src/digest/digest-batch.js';
import { createProject } from '../../src/projects/projects.js';
import type { QueueRow } from '../../src/queue/take-batch.js';
import { newEventId } from './envelopes.js';

let queueId = 1;

/** Digests events into a project through the real Digester; returns the issue id and event id of each. */
export function digestInto(main: MainDb, projectId: number, events: Array<Record<string, unknown>>): Array<{ issueId: number; eventId: string }> {
  const digester = new Digester(main, pino({ level: 'silent' }));
  const rows: QueueRow[] = events.map((e) => {
    const eventId = (e.event_id as string | undefined) ?? newEventId();
    return {
      id: queueId++,
      project_id: projectId,
      event_id: eventId,
      received_at: Date.now(),
      source: 'envelope',
      headers: '{}',
      payload: Buffer.from(JSON.stringify({ ...e, event_id: eventId })),
    };
  });
  const out = digester.digest(rows);
  if (out.dead.length) throw new Error(`dead letters: ${out.dead.map((d) => d.error).join('; ')}`);
  return rows.map((r) => ({
    issueId: main.sqlite.prepare('SELECT issue_id FROM events WHERE project_id = ? AND event_id = ?').pluck().get(projectId, r.event_id) as number,
    eventId: r.event_id,
  }));
}

export interface DigestDb {
  main: MainDb;
  projectId: number;
  otherProjectId: number;
  digest(events: Array<Record<string, unknown>>, projectId?: number): void;
  close(): void;
}

/** A main DB in a fresh temp data dir, migrated to the latest schema; remove() closes and deletes it. */
export async function freshMainDb(label = 'digest'): Promise<{ main: MainDb; config: Config; remove(): void }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-${label}-`));
  const config = loadConfig({ DATA_DIR: dataDir, QUEUE_SYNC: 'normal' });
  await migrateAll(config);
  const main = openMainDb(config);
  return {
    main,
    config,
    remove() {
      if (main.sqlite.open) main.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function digestDb(): Promise<DigestDb> {
  const { main, remove } = await freshMainDb();
  const projectId = createProject(main, 'One').project.id;
  const otherProjectId = createProject(main, 'Two').project.id;
  return {
    main,
    projectId,
    otherProjectId,
    digest(events, pid = projectId) {
      digestInto(main, pid, events);
    },
    close: remove,
  };
}
