import { describe, expect, it } from 'vitest';
import { compareReleases, parseVersion } from '../../src/releases/release-order.js';

const r = (version: string, firstSeen = 0) => ({ version, firstSeen });

describe('parseVersion', () => {
  it.each([
    ['1.2.3', { pkg: '', nums: [1, 2, 3], pre: [] }],
    ['shop@1.4.2', { pkg: 'shop', nums: [1, 4, 2], pre: [] }],
    ['@scope/app@2.0.0-rc.1+build.7', { pkg: '@scope/app', nums: [2, 0, 0], pre: ['rc', 1] }],
    ['v3.1', { pkg: '', nums: [3, 1, 0], pre: [] }],
    ['a1b2c3d', null],
    ['release-2024-11-01', null],
  ])('%s', (v, expected) => expect(parseVersion(v)).toEqual(expected));
});

describe('compareReleases', () => {
  it.each([
    ['2.10.0', '2.9.0', 1],
    ['shop@1.4.2', 'shop@1.4.10', -1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.beta', '1.0.0-beta', -1],
    ['1.0.0-rc.2', '1.0.0-rc.10', -1],
    ['1.0.0+build.1', '1.0.0+build.2', -1], // build metadata does not order; first seen (equal) then name
    ['1.0', '1.0.0', -1],
  ])('%s vs %s → %i', (a, b, sign) => {
    expect(Math.sign(compareReleases(r(a), r(b)))).toBe(sign);
    expect(Math.sign(compareReleases(r(b), r(a)))).toBe(-sign);
  });

  it('orders non-semver and cross-package releases by first seen', () => {
    expect(Math.sign(compareReleases(r('abc123', 10), r('def456', 5)))).toBe(1);
    expect(Math.sign(compareReleases(r('web@9.0.0', 1), r('api@1.0.0', 2)))).toBe(-1);
    expect(compareReleases(r('same', 1), r('same', 2))).toBe(0);
  });
});
