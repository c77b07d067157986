/** Counts for `cli stats` and, later, the admin page. */
import type { MainDb, QueueDb } from '../db/open.js';
import { countProjects } from '../projects/projects.js';
import { queueCounts } from '../queue/take-batch.js';

export interface Stats {
  projects: number;
  issues: number;
  events: number;
  queue: { pending: number; dead: number };
}

export function collectStats(main: MainDb, queue: QueueDb): Stats {
  const count = (table: 'issues' | 'events') =>
    Number(main.first(main.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0);
  return { projects: countProjects(main), issues: count('issues'), events: count('events'), queue: queueCounts(queue) };
}
