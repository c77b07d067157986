/**
 * Which release is newer. "Resolved in 2.1.0" must know that 2.10.0 comes
 * after 2.9.0, so versions are compared as semver when they parse — Sentry's
 * `package@version+build` form included (docs.sentry.io/product/releases/naming-releases/)
 * — and otherwise by when Sluice first saw them.
 *
 * Mixing the two ("semver when both parse, else first seen") is not an order:
 * a@2.0.0 (seen first) > a@1.0.0 (seen last) > a git sha (seen between) >
 * a@2.0.0 again. Sorting by such a comparison gives whatever the input order
 * was, and "the latest release" or "is this event newer than the fix" with it.
 * So every release belongs to a *line*: all semver releases of one package form
 * one line, and a release that is not semver is a line of its own. Lines are
 * ordered by when their first release was seen, releases within a package's
 * line by semver. The comparison is lexicographic on the key
 *   (line first seen, line name, semver if any, first seen, version)
 * of each release alone, which makes it a strict weak ordering (a total one,
 * as the version breaks every tie) whatever the inputs, so sorts and
 * "newer than" decisions agree. A project that keeps to one package gets pure
 * semver; one that sends git shas gets pure first-seen order; one that moved
 * from shas to `app@1.0.0` finds its semver releases after the older shas.
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

/**
 * The line a release belongs to: `semver:<package>` for every semver release of
 * a package (`semver:` alone for bare versions like `1.2.3`), `other:<version>`
 * for a release that is not semver. The prefixes keep the two kinds apart.
 */
export function releaseLine(version: string): string {
  const v = parseVersion(version);
  return v ? `semver:${v.pkg}` : `other:${version}`;
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

function compareSemver(a: SemVer, b: SemVer): number {
  for (let i = 0; i < 3; i++) {
    const d = a.nums[i]! - b.nums[i]!;
    if (d !== 0) return d;
  }
  return comparePre(a.pre, b.pre);
}

export interface ReleaseInfo {
  readonly version: string;
  /** Epoch ms Sluice first saw it. */
  readonly firstSeen: number;
  /** Epoch ms Sluice first saw any release of its line (see releaseLine): the earliest firstSeen among them. */
  readonly lineFirstSeen: number;
}

/** ReleaseInfo for a set of releases: each one's line starts at the earliest firstSeen in that line. */
export function withLines(releases: ReadonlyArray<{ version: string; firstSeen: number }>): Map<string, ReleaseInfo> {
  const lineStart = new Map<string, number>();
  for (const r of releases) {
    const line = releaseLine(r.version);
    lineStart.set(line, Math.min(lineStart.get(line) ?? Infinity, r.firstSeen));
  }
  return new Map(releases.map((r) => [r.version, { version: r.version, firstSeen: r.firstSeen, lineFirstSeen: lineStart.get(releaseLine(r.version))! }]));
}

const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/**
 * < 0 when a is older than b, > 0 when newer, 0 when the same version. Purely
 * lexicographic on each side's own key (no shortcuts), so it stays an order
 * even for inconsistent inputs.
 */
export function compareReleases(a: ReleaseInfo, b: ReleaseInfo): number {
  if (a.lineFirstSeen !== b.lineFirstSeen) return a.lineFirstSeen - b.lineFirstSeen;
  const la = releaseLine(a.version);
  const lb = releaseLine(b.version);
  if (la !== lb) return cmp(la, lb);
  const va = parseVersion(a.version);
  const vb = parseVersion(b.version);
  // Same line and different versions: both semver of one package (a non-semver line holds one version).
  const s = va && vb ? compareSemver(va, vb) : 0;
  if (s !== 0) return s;
  // 1.0 and 1.0.0, or 1.0.0+a and 1.0.0+b: equal as semver, still different releases.
  return a.firstSeen - b.firstSeen || cmp(a.version, b.version);
}
