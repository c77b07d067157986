/**
 * Which release is newer. "Resolved in 2.1.0" must know that 2.10.0 comes
 * after 2.9.0, so versions are compared as semver when they parse — Sentry's
 * `package@version+build` form included (docs.sentry.io/product/releases/naming-releases/)
 * — and otherwise by when Sluice first saw them.
 */

export interface SemVer {
  readonly pkg: string;
  readonly nums: readonly [number, number, number];
  readonly pre: readonly (string | number)[];
}

const SEMVER = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** `shop@1.4.2`, `1.4`, `v2.0.0-rc.1+build.5` parse; `a1b2c3d` (a git sha) does not. */
export function parseVersion(release: string): SemVer | null {
  const at = release.lastIndexOf('@');
  const pkg = at > 0 ? release.slice(0, at) : '';
  const m = SEMVER.exec(at > 0 ? release.slice(at + 1) : release);
  if (!m) return null;
  const pre = m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
  return { pkg, nums: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], pre };
}

/** semver.org §11: a pre-release sorts before its release; identifiers compare numerically, then as text. */
function comparePre(a: SemVer['pre'], b: SemVer['pre']): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export interface ReleaseInfo {
  readonly version: string;
  /** Epoch ms Sluice first saw it; orders releases that are not semver. */
  readonly firstSeen: number;
}

/**
 * < 0 when a is older than b, > 0 when newer, 0 when the same. Two semver
 * versions of the same package compare as semver; anything else by first seen.
 */
export function compareReleases(a: ReleaseInfo, b: ReleaseInfo): number {
  if (a.version === b.version) return 0;
  const va = parseVersion(a.version);
  const vb = parseVersion(b.version);
  if (va && vb && va.pkg === vb.pkg) {
    for (let i = 0; i < 3; i++) {
      const d = va.nums[i]! - vb.nums[i]!;
      if (d !== 0) return d;
    }
    const p = comparePre(va.pre, vb.pre);
    if (p !== 0) return p;
  }
  return a.firstSeen - b.firstSeen || (a.version < b.version ? -1 : 1);
}
