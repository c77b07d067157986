import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../src/errors.js';
import { parseIssueSearch, searchAsText, tagSearchUrl, tagTerm, textTerm } from '../../src/issues/search-query.js';

const empty = { text: [], states: [], levels: [], tags: [] };

describe('parseIssueSearch', () => {
  it.each([
    ['', empty],
    ['   ', empty],
    ['TypeError', { ...empty, text: ['TypeError'] }],
    ['cannot read', { ...empty, text: ['cannot', 'read'] }],
    ['"cannot read property"', { ...empty, text: ['cannot read property'] }],
    ['is:resolved', { ...empty, states: ['resolved'] }],
    ['is:Muted is:unresolved', { ...empty, states: ['muted', 'unresolved'] }],
    ['level:error', { ...empty, levels: ['error'] }],
    ['release:shop@1.4.2', { ...empty, tags: [{ key: 'release', value: 'shop@1.4.2' }] }],
    ['environment:production', { ...empty, tags: [{ key: 'environment', value: 'production' }] }],
    ['browser:"Chrome 120"', { ...empty, tags: [{ key: 'browser', value: 'Chrome 120' }] }],
    ['url:https://x.test/a?b=c', { ...empty, tags: [{ key: 'url', value: 'https://x.test/a?b=c' }] }],
    ['user:id:42', { ...empty, tags: [{ key: 'user', value: 'id:42' }] }],
    ['msg:"say \\"hi\\""', { ...empty, tags: [{ key: 'msg', value: 'say "hi"' }] }],
    ['empty:""', { ...empty, tags: [{ key: 'empty', value: '' }] }],
    [
      'Order is:unresolved  release:"a b"  checkout level:warning',
      { text: ['Order', 'checkout'], states: ['unresolved'], levels: ['warning'], tags: [{ key: 'release', value: 'a b' }] },
    ],
    // Pasted text is text: a title's "Type: value", a URL, a Windows path.
    ["KeyError: 'sku'", { ...empty, text: ['KeyError:', "'sku'"] }],
    ['http://example.com', { ...empty, text: ['http://example.com'] }],
    ['https://shop.test/cart?id=4 release:1.0', { ...empty, text: ['https://shop.test/cart?id=4'], tags: [{ key: 'release', value: '1.0' }] }],
    ['C:\\Users\\app.exe', { ...empty, text: ['C:\\Users\\app.exe'] }],
    ['"KeyError: \'sku\'"', { ...empty, text: ["KeyError: 'sku'"] }],
    // …while a value that is neither stays a tag term, and a filter key still needs a value.
    ['url:https://x.test', { ...empty, tags: [{ key: 'url', value: 'https://x.test' }] }],
    ['KeyError:sku', { ...empty, tags: [{ key: 'KeyError', value: 'sku' }] }],
    ['path:\\srv\\share', { ...empty, tags: [{ key: 'path', value: '\\srv\\share' }] }],
    ['<script>alert(1)</script>', { ...empty, text: ['<script>alert(1)</script>'] }],
  ])('%j', (query, expected) => {
    expect(parseIssueSearch(query)).toEqual(expected);
  });

  it.each([
    ['"unterminated', /unterminated quote starting at character 1/],
    ['is:', /"is:" needs a value/],
    ['level: error', /"level:" needs a value/],
    ['release: 1.0', /"release:" needs a value/],
    ['is:fixed', /"is:fixed" is not a state/],
    ['level:loud', /"level:loud" is not a level/],
    ['release:"a"b', /expected a space after the term at character 1/],
    ['x'.repeat(1001), /at most 1000 characters/],
    [Array.from({ length: 21 }, (_, i) => `w${i}`).join(' '), /at most 20 terms/],
  ])('%j is refused with a reason', (query, message) => {
    expect(() => parseIssueSearch(query)).toThrow(BadRequestError);
    expect(() => parseIssueSearch(query)).toThrow(message);
  });
});

// The issue page links every tag value to a search for it: whatever the value, that search must read back as exactly that tag.
describe('tagTerm', () => {
  it.each([
    ['browser', 'Chrome 120'],
    ['release', 'shop@1.4.2'],
    ['url', 'https://x.test/a?b=c#d'],
    ['user', 'id:42'],
    ['quote', 'say "hi"'],
    ['slash', 'C:\\Users\\x\\'],
    ['markup', '"><svg onload=alert(1)>'],
    ['ends', 'trailing backslash \\'],
    ['spaces', '  a  b  '],
    ['is.not', 'is:resolved level:error'],
  ])('%s = %j reads back as itself', (key, value) => {
    const term = tagTerm(key, value)!;
    expect(parseIssueSearch(term)).toEqual({ ...empty, tags: [{ key, value }] });
    expect(parseIssueSearch(`${term} ${term}`).tags).toHaveLength(2);
  });

  it.each(['sentry:user', 'has space', '<img src=x>', '', 'k'.repeat(201), 'is', 'level'])('no term for the key %j', (key) => {
    expect(tagTerm(key, 'v')).toBeNull();
  });

  it('links to the project list, every state, the term encoded', () => {
    expect(tagSearchUrl(7, 'os', 'iOS 17 & "beta"')).toBe('/projects/7/issues?tab=all&query=os%3A%22iOS%2017%20%26%20%5C%22beta%5C%22%22');
    expect(tagSearchUrl(7, 'a b', 'v')).toBeNull();
  });
});

// The hint under a tag search that found nothing offers the same search with that term as text.
describe('searchAsText', () => {
  const all = () => true;
  it.each([
    ["KeyError:'sku' is:unresolved", all, '"KeyError:\'sku\'" is:unresolved'],
    ['a  msg:"say \\"hi\\"" b', all, 'a  "msg:say \\"hi\\"" b'],
    ['x:1 y:2', (t: { key: string }) => t.key === 'y', 'x:1 "y:2"'],
    ['level:error is:muted plain', all, null],
    ['x:1', () => false, null],
    ['"unterminated', all, null],
  ])('%j', (query, pick, expected) => {
    expect(searchAsText(query, pick)).toBe(expected);
  });

  it('gives a query that finds the term as text', () => {
    const q = searchAsText('Order:17 release:1.0', (t) => t.key === 'Order')!;
    expect(parseIssueSearch(q)).toEqual({ ...empty, text: ['Order:17'], tags: [{ key: 'release', value: '1.0' }] });
    expect(parseIssueSearch(textTerm('a "b" \\ c'))).toEqual({ ...empty, text: ['a "b" \\ c'] });
  });
});
