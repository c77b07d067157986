/**
 * When new events change an issue's state, as pure decisions the digest applies
 * inside its transaction: does this event regress a resolved issue, has a muted
 * issue's time or volume condition come.
 */
import { compareReleases, type ReleaseInfo } from '../releases/release-order.js';

export interface ResolvedState {
  resolved_at: number | null;
  resolved_in_release: string | null;
  resolved_after_release: string | null;
}

/**
 * A resolved issue regresses when an event arrives that the resolution does not
 * cover. Resolved in release R: only events of R or newer. Resolved in the next
 * release after L: only events of a release newer than L ('' = there was none
 * yet, so any release). Plain resolve: any event received after the resolution.
 * An event without a release cannot show it is from a fixed release, so it does
 * not regress a release-bound resolution.
 */
export function regresses(
  issue: ResolvedState,
  event: { release: string | null; receivedAt: number },
  release: (version: string) => ReleaseInfo,
): boolean {
  if (issue.resolved_at !== null && event.receivedAt < issue.resolved_at) return false;
  if (issue.resolved_in_release !== null) {
    return event.release !== null && compareReleases(release(event.release), release(issue.resolved_in_release)) >= 0;
  }
  if (issue.resolved_after_release !== null) {
    if (event.release === null) return false;
    return issue.resolved_after_release === '' || compareReleases(release(event.release), release(issue.resolved_after_release)) > 0;
  }
  return true;
}

export interface MutedState {
  muted_until: number | null;
  mute_count: number | null;
  mute_window_ms: number | null;
}

export function muteTimeIsUp(issue: MutedState, now: number): boolean {
  return issue.muted_until !== null && now >= issue.muted_until;
}

/**
 * The volume condition "N events within W", checked as events arrive: met when
 * the newest N events since the mute were received within W of each other.
 * `newestReceived` holds their receive times, newest first.
 */
export function muteVolumeReached(issue: MutedState, newestReceived: readonly number[]): boolean {
  if (issue.mute_count === null || issue.mute_window_ms === null) return false;
  if (newestReceived.length < issue.mute_count) return false;
  return newestReceived[0]! - newestReceived[issue.mute_count - 1]! <= issue.mute_window_ms;
}
