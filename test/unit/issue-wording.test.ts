// How the issue page words states and history: durations as people say them.
import { describe, expect, it } from 'vitest';
import { historyWording, humanDuration, stateWording } from '../../src/issues/lifecycle.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('humanDuration', () => {
  it.each([
    [HOUR, '1 hour'],
    [168 * HOUR, '1 week'],
    [DAY, '1 day'],
    [2 * DAY, '2 days'],
    [30 * DAY, '1 month'],
    [90 * DAY, '3 months'],
    [90 * MIN, '90 minutes'],
    [36 * HOUR, '36 hours'],
    [45_000, '45 seconds'],
    [HOUR + 1, '1 hour'],
    [1, '1 second'],
  ])('%i ms is %j', (ms, words) => {
    expect(humanDuration(ms)).toBe(words);
  });
});

describe('stateWording', () => {
  const base = { status: 'unresolved', resolved_in_release: null, resolved_after_release: null, muted_until: null, mute_count: null, mute_window_ms: null };
  it.each([
    [{ status: 'resolved', resolved_in_release: 'shop@1.11.0' }, { label: 'resolved', detail: ['in ', { code: 'shop@1.11.0' }] }],
    [{ status: 'resolved', resolved_after_release: '' }, { label: 'resolved', detail: ['in the next release'] }],
    [{ status: 'resolved', resolved_after_release: 'shop@1.10.0' }, { label: 'resolved', detail: ['in the next release, after ', { code: 'shop@1.10.0' }] }],
    [{ status: 'resolved' }, { label: 'resolved', detail: [] }],
    [{ status: 'muted', muted_until: 1234 }, { label: 'muted', detail: ['until ', { time: 1234 }] }],
    [{ status: 'muted', mute_count: 5, mute_window_ms: HOUR }, { label: 'muted', detail: ['until 5 events in 1 hour'] }],
    [{ status: 'muted' }, { label: 'muted', detail: ['forever'] }],
    [{}, { label: 'unresolved', detail: [] }],
  ])('%j', (state, expected) => {
    expect(stateWording({ ...base, ...state })).toEqual(expected);
  });
});

describe('historyWording', () => {
  it.each([
    ['muted', { kind: 'for', ms: 168 * HOUR }, ['for 1 week']],
    ['muted', { kind: 'until_volume', count: 5, windowMs: 60 * MIN }, ['until 5 events in 1 hour']],
    ['muted', { kind: 'forever' }, ['forever']],
    ['resolved', { resolution: 'in_release', resolved_in_release: 'a@1', resolved_after_release: null }, ['in ', { code: 'a@1' }]],
    ['resolved', { resolution: 'in_latest_release', resolved_in_release: 'a@2', resolved_after_release: null }, ['in the latest release, ', { code: 'a@2' }]],
    ['resolved', { resolution: 'in_next_release', resolved_in_release: null, resolved_after_release: '' }, ['in the next release']],
    ['resolved', { resolution: 'now', resolved_in_release: null, resolved_after_release: null }, []],
    ['regressed', { release: 'a@3', resolved_in_release: 'a@2', resolved_after_release: null }, ['by an event of ', { code: 'a@3' }]],
    ['unmuted', { reason: 'volume' }, ['the event volume was reached']],
    ['unmuted', {}, []],
    ['muted', { kind: 'for', ms: 'garbage' }, []],
  ] as const)('%s %j', (kind, details, expected) => {
    expect(historyWording({ kind, details: details as Record<string, unknown> })).toEqual(expected);
  });
});
