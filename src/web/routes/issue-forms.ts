/** Reading the resolve and mute forms of issue pages and lists into lifecycle requests. */
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { BadRequestError } from '../../errors.js';
import type { MuteSpec, Resolution } from '../../issues/lifecycle.js';
import { field } from '../request-context.js';

const DAY = 86_400_000;

/** Mute durations offered: Sentry's "ignore for" choices. */
export const MUTE_DURATIONS: ReadonlyArray<{ value: string; label: string; ms: number }> = [
  { value: '1d', label: 'for a day', ms: DAY },
  { value: '1w', label: 'for a week', ms: 7 * DAY },
  { value: '1m', label: 'for a month', ms: 30 * DAY },
  { value: '3m', label: 'for 3 months', ms: 90 * DAY },
];

function windowLabel(ms: number): string {
  if (ms % DAY === 0) return ms === DAY ? '24 hours' : `${ms / DAY} days`;
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? 'an hour' : `${ms / 3_600_000} hours`;
  return `${ms / 60_000} minutes`;
}

/** Every mute choice a page offers, volume conditions from MUTE_VOLUME_CHOICES. */
export function muteChoices(config: Config): Array<{ value: string; label: string }> {
  return [
    { value: 'forever', label: 'forever' },
    ...MUTE_DURATIONS.map(({ value, label }) => ({ value, label })),
    ...config.muteVolumeChoices.map((c) => ({ value: `volume:${c.count}/${c.windowMs}`, label: `until ${c.count} events in ${windowLabel(c.windowMs)}` })),
  ];
}

export function muteSpec(req: FastifyRequest, config: Config): MuteSpec {
  const v = field(req, 'mute') || 'forever';
  if (v === 'forever') return { kind: 'forever' };
  const duration = MUTE_DURATIONS.find((d) => d.value === v);
  if (duration) return { kind: 'for', ms: duration.ms };
  const volume = config.muteVolumeChoices.find((c) => v === `volume:${c.count}/${c.windowMs}`);
  if (volume) return { kind: 'until_volume', count: volume.count, windowMs: volume.windowMs };
  throw new BadRequestError('choose how long to mute: one of the offered choices');
}

export function resolution(req: FastifyRequest): Resolution {
  const v = field(req, 'resolution') || 'now';
  switch (v) {
    case 'now':
    case 'in_latest_release':
    case 'in_next_release':
      return { kind: v };
    case 'in_release':
      return { kind: 'in_release', release: field(req, 'release') };
    default:
      throw new BadRequestError('choose how to resolve: now, in a release, in the latest or in the next release');
  }
}
