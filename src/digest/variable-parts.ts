/**
 * Replaces the parts of an error message that change from one occurrence to the
 * next (ids, numbers, addresses, timestamps…) with placeholders, so that "User
 * 123 not found" and "User 456 not found" become one issue. This is what Sentry
 * calls message parameterization: its message grouping strategy replaces
 * emails, URLs, IPs, UUIDs, hashes, dates, hex and integers with `<email>`,
 * `<url>`, `<ip>`… (getsentry/sentry, src/sentry/grouping/strategies/message.py).
 *
 * Only standalone tokens are replaced: a digit inside a word ("utf8", "base64",
 * "ES2015", "user_42") is part of a name, not a value, and stays.
 */

const MONTH = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?';
const WEEKDAY = '(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?';
const TIME = '\\d{1,2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?';
const ZONE = '(?:\\s*(?:z|utc|gmt)?[+-]\\d{2}:?\\d{2}|\\s*(?:z|utc|gmt)\\b)';
const H16 = '[0-9a-f]{1,4}';

/**
 * One alternation, tried left to right at each position, so the more specific
 * shapes (a URL that contains an email, a timestamp that contains numbers) win.
 */
const PATTERNS: Array<[name: string, source: string]> = [
  // Any scheme ("https://", "wss://", "postgres://"…); trailing punctuation is the sentence's, not the URL's.
  ['url', `\\b[a-z][a-z0-9+.-]*://[^\\s"'<>]*[^\\s"'<>.,;:!?)\\]}]`],
  ['email', `\\b[a-z0-9._%+-]+@(?:[a-z0-9-]+\\.)+[a-z]{2,}\\b`],
  ['uuid', `\\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b`],
  // ISO 8601 / RFC 3339 dates and date-times.
  ['date', `\\b\\d{4}-\\d{2}-\\d{2}(?:[t ]${TIME})?${ZONE}?(?![\\w:])`],
  // Textual dates as `Date.prototype.toString`, HTTP and syslog write them: "Wed Apr 17 22:31:45 2019",
  // "Wed, 17 Apr 2019 22:31:45 GMT", "Wed Apr 17 2019 22:31:45 GMT+0200".
  [
    'date',
    `\\b${WEEKDAY}\\s+(?:\\d{1,2}\\s+${MONTH}|${MONTH}\\s+\\d{1,2})(?:,?\\s+(?:\\d{4}|${TIME})){0,2}${ZONE}?(?:\\s+\\([a-z ]+\\))?`,
  ],
  // MAC addresses: six hex pairs, which the number rule would otherwise split into fragments.
  ['hex', `\\b(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}\\b`],
  ['time', `(?<![\\w:.])${TIME}(?![\\w:])`],
  ['ip', `(?<![\\w.])(?:\\d{1,3}\\.){3}\\d{1,3}(?![\\w.])`],
  // IPv6, full or "::"-compressed; checked for a digit below so "Foo::Bar" in a C++ name stays.
  ['ip6', `(?<![\\w:])(?:(?:${H16}:){7}${H16}|(?:${H16}:){1,7}:(?:${H16}(?::${H16}){0,6})?|::${H16}(?::${H16}){0,6})(?![\\w:])`],
  ['hex', `\\b0x[0-9a-f]+\\b`],
  // Numbers, with a unit or ordinal suffix allowed ("5000ms", "2nd"), but not as part of a word.
  ['num', `(?<![\\w.])\\d+(?:\\.\\d+)*(?:e[+-]?\\d+)?(?=(?:ms|us|µs|ns|s|m|h|px|kb|mb|gb|kib|mib|gib|st|nd|rd|th)?(?![\\w]))`],
  // Bare hashes and ids of 7+ hex digits (a short git sha); checked for a digit below, so "deadbeef"-like words stay.
  ['hexword', `\\b[0-9a-f]{7,}\\b`],
];

const COMBINED = new RegExp(PATTERNS.map(([name, src], i) => `(?<${name}${i}>${src})`).join('|'), 'gi');
const NAMES = PATTERNS.map(([name], i) => [`${name}${i}`, name] as const);

function replacement(match: string, groups: Record<string, string | undefined>): string {
  for (const [group, name] of NAMES) {
    if (groups[group] === undefined) continue;
    switch (name) {
      case 'ip6':
        return /\d/.test(match) ? '<ip>' : match;
      case 'hexword':
        if (!/\d/.test(match)) return match;
        return /^\d+$/.test(match) ? '<num>' : '<hex>';
      default:
        return `<${name}>`;
    }
  }
  return match;
}

export function normalizeVariableParts(text: string): string {
  return text.replace(COMBINED, (match: string, ...rest: unknown[]) => {
    const groups = rest[rest.length - 1] as Record<string, string | undefined>;
    return replacement(match, groups);
  });
}
