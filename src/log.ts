/** pino, pretty-printed only when a person is watching a terminal. */
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';

/** `pretty`: whether stdout is a terminal, for a worker thread (whose own process.stdout is a pipe). */
export function createLogger(config: Pick<Config, 'logLevel'>, name: string, pretty = process.stdout.isTTY === true): Logger {
  return pino({
    name,
    level: config.logLevel,
    transport: pretty ? { target: 'pino-pretty', options: { colorize: true } } : undefined,
  });
}
