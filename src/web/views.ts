/**
 * Server-rendered pages: Eta templates from `views/`, auto-escaping every
 * `<%= %>` (event data is attacker-controlled). `<%~ %>` (raw) is used only
 * for a layout's body, which is itself rendered, escaped output.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

/** src/web and dist/web are both two levels below the repository root. */
export const VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');

const eta = new Eta({ views: VIEWS_DIR, autoEscape: true, cache: true });

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const dateOnly = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });
const number = new Intl.NumberFormat('en-US');

/** Small formatting helpers every template gets as `it.fmt`. */
export const fmt = {
  num: (n: number) => number.format(n),
  date: (ms: number) => `${dateTime.format(ms)} UTC`,
  day: (ms: number) => dateOnly.format(ms),
  ago(ms: number, now = Date.now()): string {
    const s = Math.max(0, Math.round((now - ms) / 1000));
    const [n, unit] =
      s < 60 ? [s, 'second'] : s < 3600 ? [Math.floor(s / 60), 'minute'] : s < 86_400 ? [Math.floor(s / 3600), 'hour'] : [Math.floor(s / 86_400), 'day'];
    if (unit === 'second' && n < 10) return 'just now';
    return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  },
  plural: (n: number, word: string) => `${number.format(n)} ${word}${n === 1 ? '' : 's'}`,
};

export function renderView(name: string, data: Record<string, unknown>): string {
  return eta.render(name, { fmt, ...data });
}
