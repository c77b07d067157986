/**
 * `npm start`: migrate, then run the HTTP server and the foreman side by side.
 * Signals are forwarded; if either child dies the other is stopped and the
 * launcher exits with the child's code, so a supervisor (Docker, systemd) sees it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from './config.js';
import { migrateAll } from './db/migrate.js';

const config = loadConfigOrExit();
await migrateAll(config);

const here = path.dirname(fileURLToPath(import.meta.url));
const children: ChildProcess[] = ['server.js', 'foreman.js'].map((file) =>
  spawn(process.execPath, [path.join(here, file)], { stdio: 'inherit' }),
);

let exiting = false;
/** The exit code of the child that ended first is the launcher's (0 after a requested stop). */
let exitCode: number | undefined;
function stopAll(signal: NodeJS.Signals): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
}
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => {
    exiting = true;
    stopAll(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  });
}
for (const child of children) {
  child.on('exit', (code, signal) => {
    if (!exiting) {
      exiting = true;
      exitCode = code ?? 1;
      process.stderr.write(`sluice: ${child.spawnargs.at(-1)} exited (${signal ?? code}); stopping\n`);
      stopAll('SIGTERM');
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) {
      process.exit(exitCode ?? 0);
    }
  });
}
