/**
 * `node dist/cli.js <command>`: administration from a shell.
 *   migrate                     bring both databases to the latest schema
 *   createproject --name NAME [--team SLUG]   create a project and key; the DSN is the last line
 *   createsuperuser --email E [--password P]  create a superuser (password from stdin when omitted)
 *   setpasswordlink --email E                 print a one-time link that sets the user's password
 *   createteam --name N --admin E [--member E …]  create a team of existing users; the slug is the last line
 *   stats [--json]              counts of projects, issues, events and the queue
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadConfigOrExit, type Config } from './config.js';
import { migrateAll } from './db/migrate.js';
import { openMainDb, openQueueDb } from './db/open.js';
import { foremanRunning } from './foreman/lock.js';
import { collectStats } from './stats/stats.js';
import { createProject, dsnFor } from './projects/projects.js';
import { createTeam, teamBySlug } from './teams/teams.js';
import { upsertMember } from './teams/members.js';
import { writeTransaction } from './db/transaction.js';
import { hashPassword, passwordProblem } from './users/passwords.js';
import { createPasswordToken, setPasswordUrl } from './users/password-tokens.js';
import { createUser, userByEmail } from './users/users.js';

const USAGE = `usage: node dist/cli.js <command> [options]
  migrate                       bring both databases to the latest schema
  createproject --name NAME [--team SLUG]
                                create a project with a key; prints its DSN last
                                (without --team only superusers see it)
  createsuperuser --email E [--password P]
                                create a superuser; without --password, read it from stdin
  setpasswordlink --email E     print a one-time link that sets the user's password
  createteam --name NAME --admin EMAIL [--member EMAIL ...]
                                create a team of existing users; prints its slug last
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
    const { values } = parseArgs({ args, options: { name: { type: 'string' }, team: { type: 'string' } } });
    if (!values.name) throw new UsageError('createproject needs --name NAME');
    await migrateAll(config);
    const main = openMainDb(config);
    try {
      const team = values.team === undefined ? undefined : teamBySlug(main, values.team);
      if (values.team !== undefined && !team) throw new Error(`no team with the slug ${JSON.stringify(values.team)}`);
      const { project, key } = createProject(main, values.name, Date.now(), team?.id ?? null);
      console.log(`created project ${project.id} "${project.name}" (${project.slug})`);
      console.log(dsnFor(config.baseUrl, key.publicKey, project.id));
    } finally {
      main.close();
    }
  },

  async createteam(config, args) {
    const { values } = parseArgs({
      args,
      options: { name: { type: 'string' }, admin: { type: 'string' }, member: { type: 'string', multiple: true } },
    });
    if (!values.name || !values.admin) throw new UsageError('createteam needs --name NAME --admin EMAIL');
    await migrateAll(config);
    const main = openMainDb(config);
    try {
      const existing = (email: string) => {
        const user = userByEmail(main, email);
        if (!user) throw new Error(`no user with the email ${email}`);
        return user;
      };
      const admin = existing(values.admin);
      const members = (values.member ?? []).map(existing);
      const team = createTeam(main, values.name, admin.id);
      writeTransaction(main.sqlite, 'cli.team-members', () => {
        for (const m of members) upsertMember(main, team.id, m.id, 'member', Date.now());
      });
      console.log(`created team "${team.name}" with ${members.length + 1} member(s)`);
      console.log(team.slug);
    } finally {
      main.close();
    }
  },

  async createsuperuser(config, args) {
    const { values } = parseArgs({ args, options: { email: { type: 'string' }, password: { type: 'string' } } });
    if (!values.email) throw new UsageError('createsuperuser needs --email EMAIL');
    // On the command line a password shows in `ps` and shell history; stdin keeps it out of both.
    const password = values.password ?? (await readLine('password: '));
    const problem = passwordProblem(password);
    if (problem) throw new UsageError(problem);
    const passwordHash = await hashPassword(password);
    await migrateAll(config);
    const main = openMainDb(config);
    try {
      const user = createUser(main, { email: values.email, passwordHash, isSuperuser: true, emailVerified: true });
      console.log(`created superuser ${user.email}; sign in at ${config.baseUrl}/signin`);
    } finally {
      main.close();
    }
  },

  async setpasswordlink(config, args) {
    const { values } = parseArgs({ args, options: { email: { type: 'string' } } });
    if (!values.email) throw new UsageError('setpasswordlink needs --email EMAIL');
    await migrateAll(config);
    const main = openMainDb(config);
    try {
      const user = userByEmail(main, values.email);
      if (!user) throw new Error(`no user with the email ${values.email}`);
      console.log(`one-time link for ${user.email}, valid for 3 days (a newer link replaces it):`);
      console.log(setPasswordUrl(config.baseUrl, createPasswordToken(main, user.id)));
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

/** The first line of stdin (a pipe, or typed at a prompt). */
async function readLine(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdin.isTTY ? process.stderr : undefined, terminal: false });
  if (process.stdin.isTTY) process.stderr.write(prompt);
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

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
