/** pino, pretty-printed only when a person is watching a terminal. */
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';

export function createLogger(config: Pick<Config, 'logLevel'>, name: string): Logger {
  return pino({
    name,
    level: config.logLevel,
    transport: process.stdout.isTTY ? { target: 'pino-pretty', options: { colorize: true } } : undefined,
  });
}
