/**
 * Deleting a project and everything it received. A big project has millions of
 * events; one transaction deleting them all would hold the main DB's write lock
 * for many seconds and stall the foreman, so the rows go in short chunks, with
 * the event loop free between them.
 */
import type { MainDb } from '../db/open.js';
import { writeTransaction } from '../db/transaction.js';
import { NotFoundError } from '../errors.js';

/** Rows per transaction: a few milliseconds of lock each. */
const CHUNK = 2000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function deleteProject(db: MainDb, projectId: number): Promise<void> {
  // Keys first: ingest refuses the project's events from the next key refresh on.
  writeTransaction(db.sqlite, 'project.delete-keys', () => {
    if (!db.first(db.kysely.selectFrom('projects').select('id').where('id', '=', projectId))) throw new NotFoundError('no such project');
    db.run(db.kysely.deleteFrom('project_keys').where('project_id', '=', projectId));
  });
  for (const table of ['events', 'issues'] as const) {
    for (;;) {
      const { changes } = writeTransaction(db.sqlite, `project.delete-${table}`, () =>
        db.run(
          db.kysely
            .deleteFrom(table)
            .where('id', 'in', db.kysely.selectFrom(table).select('id').where('project_id', '=', projectId).limit(CHUNK)),
        ),
      );
      if (changes < CHUNK) break;
      await yieldToEventLoop();
    }
  }
  // What is left is small (releases, environments) or arrived meanwhile from the
  // queue: the cascade takes it with the project row. Events still queued for it
  // are dead-lettered by the digest ("project no longer exists").
  writeTransaction(db.sqlite, 'project.delete', () => {
    db.run(db.kysely.deleteFrom('projects').where('id', '=', projectId));
  });
}
