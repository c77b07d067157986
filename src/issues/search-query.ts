/**
 * The issue search box: free text plus `key:value` terms, all ANDed, in the
 * syntax Sentry users already type (https://docs.sentry.io/concepts/search/).
 *
 *   TypeError checkout is:unresolved release:"shop@1.4.2" browser:Chrome level:error
 *
 * A "quoted string" is always text. An unquoted word with a colon is a tag term
 * unless it is plainly pasted text (see pastedText): `KeyError: 'sku'` and
 * `https://…` search the titles, as a person pasting them expects.
 *
 * A query that cannot be understood throws a BadRequestError that says what is
 * wrong and where, so the page can show it instead of an empty list.
 */
import { BadRequestError } from '../errors.js';

export type IssueState = 'resolved' | 'unresolved' | 'muted';
export type IssueLevel = 'fatal' | 'error' | 'warning' | 'info' | 'debug';

export interface IssueSearch {
  /** Substrings that must all appear in the title or the culprit. */
  readonly text: readonly string[];
  /** `is:` terms; several must all hold. */
  readonly states: readonly IssueState[];
  /** `level:` terms; several must all hold (so two different levels match nothing). */
  readonly levels: readonly IssueLevel[];
  /** Tag terms, `release:` and `environment:` included: the issue has seen that value. */
  readonly tags: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

const STATES: readonly IssueState[] = ['resolved', 'unresolved', 'muted'];
const LEVELS: readonly IssueLevel[] = ['fatal', 'error', 'warning', 'info', 'debug'];
/** The key part of a term: what Sentry allows in tag keys. */
const KEY = /^[A-Za-z0-9_.:-]+$/;
const MAX_QUERY = 1000;
const MAX_TERMS = 20;

interface Token {
  readonly key: string | null;
  readonly value: string;
  /** Where the term starts and ends in the query, to rewrite it (searchAsText). */
  readonly at: number;
  readonly end: number;
}

/** Keys whose meaning is fixed here: an empty value is a mistake to point out, not pasted text. */
const FILTER_KEYS = new Set(['is', 'level', 'release', 'environment']);

/** Reads a value at `i`: a "quoted string" with \" and \\ escapes, or a run of non-space. */
function readValue(q: string, i: number): { value: string; end: number } {
  if (q[i] !== '"') {
    let end = i;
    while (end < q.length && !/\s/.test(q[end]!)) end++;
    return { value: q.slice(i, end), end };
  }
  let value = '';
  for (let j = i + 1; j < q.length; j++) {
    const c = q[j]!;
    if (c === '\\' && j + 1 < q.length) value += q[++j];
    else if (c === '"') return { value, end: j + 1 };
    else value += c;
  }
  throw new BadRequestError(`unterminated quote starting at character ${i + 1}`);
}

/**
 * Whether an unquoted `word:rest` is pasted text rather than a tag term. People
 * paste titles and URLs into the box: `KeyError: 'sku'` (the colon ends the
 * word), `https://shop.test/cart` (the value starts with //), `C:\Users\x` (a
 * Windows path). No tag term looks like those, so they search the text.
 */
function pastedText(key: string, q: string, valueAt: number): boolean {
  const next = q[valueAt];
  if (next === undefined || /\s/.test(next)) return !FILTER_KEYS.has(key);
  return q.startsWith('//', valueAt) || (next === '\\' && key.length === 1);
}

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    if (/\s/.test(q[i]!)) {
      i++;
      continue;
    }
    const at = i;
    // key:value, where the key is a run of key characters up to the first colon.
    const m = /^([A-Za-z0-9_.-]+):/.exec(q.slice(i, i + 201));
    if (m && m[1] && KEY.test(m[1]) && !pastedText(m[1], q, i + m[0].length)) {
      const { value, end } = readValue(q, i + m[0].length);
      if (value === '' && q[i + m[0].length] !== '"') throw new BadRequestError(`"${m[1]}:" needs a value (character ${at + 1})`);
      tokens.push({ key: m[1], value, at, end });
      i = end;
    } else {
      const { value, end } = readValue(q, i);
      if (value !== '') tokens.push({ key: null, value, at, end });
      i = end;
    }
    if (i < q.length && !/\s/.test(q[i]!)) {
      throw new BadRequestError(`expected a space after the term at character ${at + 1}`);
    }
  }
  return tokens;
}

export function parseIssueSearch(query: string): IssueSearch {
  if (query.length > MAX_QUERY) throw new BadRequestError(`a search has at most ${MAX_QUERY} characters`);
  const tokens = tokenize(query);
  if (tokens.length > MAX_TERMS) throw new BadRequestError(`a search has at most ${MAX_TERMS} terms`);
  const text: string[] = [];
  const states: IssueState[] = [];
  const levels: IssueLevel[] = [];
  const tags: Array<{ key: string; value: string }> = [];
  for (const t of tokens) {
    if (t.key === null) {
      text.push(t.value);
    } else if (t.key === 'is') {
      const v = t.value.toLowerCase() as IssueState;
      if (!STATES.includes(v)) throw new BadRequestError(`"is:${t.value}" is not a state; use is:${STATES.join(', is:')}`);
      states.push(v);
    } else if (t.key === 'level') {
      const v = t.value.toLowerCase() as IssueLevel;
      if (!LEVELS.includes(v)) throw new BadRequestError(`"level:${t.value}" is not a level; use one of ${LEVELS.join(', ')}`);
      levels.push(v);
    } else {
      tags.push({ key: t.key, value: t.value });
    }
  }
  return { text, states, levels, tags };
}

/** Keys a `key:value` term can name: the tokenizer reads a key up to the first colon. */
const TERM_KEY = /^[A-Za-z0-9_.-]{1,200}$/;

/**
 * The search term that finds issues with tag `key` = `value` (tag links on the
 * issue page, release links), quoted and escaped so that any value reads back
 * as itself; null when the key cannot be written as a term (a colon, a space,
 * markup…: SDKs send such keys, Relay would drop them) or means something else
 * here: `is:` is a state, and `level:` filters by the issue's level, not by the
 * levels its events had.
 */
export function tagTerm(key: string, value: string): string | null {
  if (!TERM_KEY.test(key) || key === 'is' || key === 'level') return null;
  return `${key}:"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The project's issue list (every state) searched for one tag value, or null when no term can say it. */
export function tagSearchUrl(projectId: number, key: string, value: string): string | null {
  const term = tagTerm(key, value);
  return term === null ? null : `/projects/${projectId}/issues?tab=all&query=${encodeURIComponent(term)}`;
}

/** A free-text term for exactly `text`: quoted, so spaces and colons in it stay text. */
export function textTerm(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The query with the tag terms that `rewrite` picks turned into text terms for
 * `key:value` (the rest kept as typed), for the hint "no issue has that tag;
 * search for it as text". Null when no term was picked or the query does not parse.
 */
export function searchAsText(query: string, rewrite: (tag: { key: string; value: string }) => boolean): string | null {
  let tokens: Token[];
  try {
    tokens = tokenize(query);
  } catch {
    return null;
  }
  let out = '';
  let from = 0;
  let changed = false;
  for (const t of tokens) {
    if (t.key === null || t.key === 'is' || t.key === 'level' || !rewrite({ key: t.key, value: t.value })) continue;
    out += query.slice(from, t.at) + textTerm(`${t.key}:${t.value}`);
    from = t.end;
    changed = true;
  }
  return changed ? out + query.slice(from) : null;
}
