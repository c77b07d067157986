/**
 * `node dist/cli.js <command>`: administration from a shell.
 *   migrate                     bring both databases to the latest schema
 *   createproject --name NAME   create a project and key; the DSN is the last line
 *   stats [--json]              counts of projects, issues, events and the queue
 */
import { parseArgs } from 'node:util';
import { loadConfigOrExit, type Config } from './config.js';
import { migrateAll } from './db/migrate.js';
import { openMainDb, openQueueDb } from './db/open.js';
import { foremanRunning } from './foreman/lock.js';
import { collectStats } from './stats/stats.js';
import { createProject, dsnFor } from './projects/projects.js';

const USAGE = `usage: node dist/cli.js <command> [options]
  migrate                       bring both databases to the latest schema
  createproject --name NAME     create a project with a key; prints its DSN last
  stats [--json]                projects, issues, events, queue`;

type Command = (config: Config, args: string[]) => Promise<void>;

class UsageError extends Error {}

const commands: Record<string, Command> = {
  async migrate(config) {
    for (const r of await migrateAll(config)) {
      console.log(`${r.kind}: ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'}`);
    }
  },

  async createproject(config, args) {
    const { values } = parseArgs({ args, options: { name: { type: 'string' } } });
    if (!values.name) throw new UsageError('createproject needs --name NAME');
    await migrateAll(config);
    const main = openMainDb(config);
    try {
      const { project, key } = createProject(main, values.name);
      console.log(`created project ${project.id} "${project.name}" (${project.slug})`);
      console.log(dsnFor(config.baseUrl, key.publicKey, project.id));
    } finally {
      main.close();
    }
  },

  async stats(config, args) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
    await migrateAll(config);
    const main = openMainDb(config);
    const queue = openQueueDb(config);
    try {
      const stats = { ...collectStats(main, queue), foreman: foremanRunning(config.dataDir) ? 'running' : 'stopped' };
      if (values.json) console.log(JSON.stringify(stats));
      else {
        console.log(`projects ${stats.projects}, issues ${stats.issues}, events ${stats.events}`);
        console.log(`queue: ${stats.queue.pending} pending, ${stats.queue.dead} dead letters; foreman ${stats.foreman}`);
      }
    } finally {
      main.close();
      queue.close();
    }
  },
};

const [name, ...rest] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error(USAGE);
  process.exit(2);
}
try {
  await command(loadConfigOrExit(), rest);
} catch (err) {
  console.error(`sluice: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof UsageError ? 2 : 1);
}
