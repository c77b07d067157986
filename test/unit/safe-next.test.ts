// safeNext guards every redirect target that comes from a request (sign-in `next`, the issue
// list's `back`): what a browser would resolve to another site must fall back to /projects.
import { describe, expect, it } from 'vitest';
import { safeNext } from '../../src/web/request-context.js';

describe('safeNext', () => {
  it.each([
    ['/\t/evil.example', 'a tab, which browsers drop: //evil.example'],
    ['/\n/evil.example', 'a newline, dropped the same way'],
    ['/\r\n/evil.example', 'CR LF'],
    ['/x\u0000', 'a NUL'],
    ['/x\u007f', 'DEL'],
    ['/\\evil.example', 'a backslash, read as a slash'],
    ['/x\\y', 'a backslash anywhere'],
    ['//evil.example', 'protocol-relative'],
    ['///evil.example', 'three slashes'],
    ['/.//evil.example', 'a dot segment in front of //'],
    ['https://evil.example', 'absolute'],
    ['http:/evil.example', 'scheme-relative trick'],
    ['javascript:alert(1)', 'javascript:'],
    [' /projects', 'leading space'],
    ['evil.example', 'no leading slash'],
    ['', 'empty'],
  ])('%j (%s) → /projects', (value) => {
    expect(safeNext(value)).toBe('/projects');
  });

  it.each([
    ['/projects', '/projects'],
    ['/teams/ops?tab=members', '/teams/ops?tab=members'],
    ['/issues?query=is:resolved level:error', '/issues?query=is:resolved%20level:error'],
    ['/projects/1/issues#latest', '/projects/1/issues#latest'],
    // Percent-escapes are not decoded by browsers in a Location path: this stays on our site.
    ['/%2F/evil.example', '/%2F/evil.example'],
    ['/%09/evil.example', '/%09/evil.example'],
    // A raw non-ASCII character comes back percent-encoded (Node refuses it in a header).
    ['/issues?query=caf\u00e9', '/issues?query=caf%C3%A9'],
    ['/a/../projects', '/projects'],
  ])('%j → %j', (value, expected) => {
    expect(safeNext(value)).toBe(expected);
  });
});
