import { describe, expect, it } from 'vitest';
import { compareReleases, parseVersion, releaseLine, withLines, type ReleaseInfo } from '../../src/releases/release-order.js';
import { prng } from '../helpers/prng.js';

/** A release alone in its line's first-seen moment: enough for comparisons within one package. */
const r = (version: string, firstSeen = 0, lineFirstSeen = 0): ReleaseInfo => ({ version, firstSeen, lineFirstSeen });
const sign = (a: ReleaseInfo, b: ReleaseInfo) => Math.sign(compareReleases(a, b)) + 0; // + 0: no -0

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

describe('compareReleases within a package', () => {
  it.each([
    ['2.10.0', '2.9.0', 1],
    ['shop@1.4.2', 'shop@1.4.10', -1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.beta', '1.0.0-beta', -1],
    ['1.0.0-rc.2', '1.0.0-rc.10', -1],
    ['1.0.0+build.1', '1.0.0+build.2', -1], // build metadata does not order; first seen (equal) then name
    ['1.0', '1.0.0', -1],
  ])('%s vs %s → %i', (a, b, s) => {
    expect(sign(r(a), r(b))).toBe(s);
    expect(sign(r(b), r(a))).toBe(-s);
  });

  it('orders by semver whatever the first-seen times, once the line is known', () => {
    const info = withLines([
      { version: 'a@2.0.0', firstSeen: 1 },
      { version: 'a@1.0.0', firstSeen: 3 },
    ]);
    expect(sign(info.get('a@1.0.0')!, info.get('a@2.0.0')!)).toBe(-1);
  });
});

describe('lines', () => {
  it('puts every semver release of a package in one line, and each other release in its own', () => {
    expect(releaseLine('shop@1.0.0')).toBe(releaseLine('shop@2.0.0-rc.1'));
    expect(releaseLine('1.0.0')).toBe(releaseLine('v2'));
    expect(releaseLine('1.0.0')).not.toBe(releaseLine('shop@1.0.0'));
    expect(releaseLine('abc123')).not.toBe(releaseLine('def456'));
    expect(releaseLine('shop@abc123')).not.toBe(releaseLine('shop@1.0.0'));
  });

  it('orders lines by their first release seen, so the audit case is an order', () => {
    // a@2.0.0 seen at 1, a gitsha at 2, a@1.0.0 at 3: semver alone said a@2 > a@1, first seen
    // said a@1 > sha > a@2 — a cycle. The package's line started at 1, before the sha.
    const info = withLines([
      { version: 'a@2.0.0', firstSeen: 1 },
      { version: 'a@1.0.0', firstSeen: 3 },
      { version: '0f3c9e1', firstSeen: 2 },
    ]);
    const sorted = [...info.values()].sort(compareReleases).map((x) => x.version);
    expect(sorted).toEqual(['a@1.0.0', 'a@2.0.0', '0f3c9e1']);
    expect(info.get('a@1.0.0')!.lineFirstSeen).toBe(1);
  });

  it('orders releases that are not semver, and different packages, by first seen', () => {
    expect(sign(r('abc123', 10, 10), r('def456', 5, 5))).toBe(1);
    expect(sign(r('web@9.0.0', 1, 1), r('api@1.0.0', 2, 2))).toBe(-1);
    expect(compareReleases(r('same', 1, 1), r('same', 1, 1))).toBe(0);
  });
});


function randomReleases(rand: () => number): Array<{ version: string; firstSeen: number }> {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const n = 2 + Math.floor(rand() * 14);
  const versions = new Set<string>();
  while (versions.size < n) {
    const kind = rand();
    if (kind < 0.3) {
      versions.add(Math.floor(rand() * 0xffffff).toString(16).padStart(7, 'a')); // a git sha
    } else {
      const pkg = pick(['', 'a@', 'b@', '@s/c@', 'a@b@']);
      const core = [0, 1, 2].map(() => pick([0, 1, 2, 10])).slice(0, pick([1, 2, 3])).join('.');
      const pre = pick(['', '', '-rc.1', '-rc.10', '-alpha', '-alpha.1', '-beta.2']);
      const build = pick(['', '', '+b1', '+b2']);
      versions.add(`${pkg}${pick(['', 'v'])}${core}${pre}${build}`);
    }
  }
  // Few distinct times, so that ties on first seen happen often.
  return [...versions].map((version) => ({ version, firstSeen: Math.floor(rand() * 6) }));
}

describe('compareReleases is a strict weak ordering (property test over random release sets)', () => {
  /** The first broken law, or undefined (plain checks: a million expect() calls would take seconds). */
  const broken = (infos: ReleaseInfo[]): string | undefined => {
    const m = infos.map((a) => infos.map((b) => sign(a, b)));
    const v = (i: number) => infos[i]!.version;
    for (let i = 0; i < infos.length; i++) {
      if (m[i]![i] !== 0) return `irreflexive: ${v(i)}`;
      for (let j = 0; j < infos.length; j++) {
        if (m[i]![j] !== 0 - m[j]![i]!) return `antisymmetric: ${v(i)} / ${v(j)}`;
        for (let k = 0; k < infos.length; k++) {
          if (m[i]![j]! <= 0 && m[j]![k]! <= 0 && m[i]![k]! > 0) return `transitive: ${v(i)} ≤ ${v(j)} ≤ ${v(k)}`;
          if (m[i]![j] === 0 && m[j]![k] === 0 && m[i]![k] !== 0) return `equivalence: ${v(i)} ~ ${v(j)} ~ ${v(k)}`;
        }
      }
    }
    return undefined;
  };
  const check = (infos: ReleaseInfo[], seed: number) => expect(broken(infos), `seed ${seed}`).toBeUndefined();

  it('for releases with their lines as withLines sets them, and semver rules within a package', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const infos = [...withLines(randomReleases(prng(seed))).values()];
      check(infos, seed);
      for (const a of infos) {
        for (const b of infos) {
          const va = parseVersion(a.version);
          const vb = parseVersion(b.version);
          // Within one package, a strictly higher semver is newer, whenever either was seen.
          if (va && vb && va.pkg === vb.pkg && (va.nums.join() !== vb.nums.join() || (va.pre.length === 0) !== (vb.pre.length === 0))) {
            const semverSign = sign({ ...a, firstSeen: 0, lineFirstSeen: 0 }, { ...b, firstSeen: 0, lineFirstSeen: 0 });
            if (sign(a, b) !== semverSign) expect.fail(`seed ${seed}: ${a.version} vs ${b.version} is not in semver order`);
          }
        }
      }
      // The newest is the same whatever order the releases came in.
      const sorted = [...infos].sort(compareReleases).map((x) => x.version);
      expect([...infos].reverse().sort(compareReleases).map((x) => x.version)).toEqual(sorted);
    }
  });

  it('even for inconsistent inputs (any line start on any release)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = prng(seed * 7919);
      check(
        randomReleases(rand).map((x) => ({ ...x, lineFirstSeen: Math.floor(rand() * 3) })),
        seed,
      );
    }
  });
});
