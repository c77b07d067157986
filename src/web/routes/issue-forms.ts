/** Reading the resolve and mute forms of issue pages and lists into lifecycle requests. */
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { BadRequestError } from '../../errors.js';
import { muteLabel, type MuteSpec, type Resolution } from '../../issues/lifecycle.js';
import { field } from '../request-context.js';

const DAY = 86_400_000;

/** Mute durations offered: Sentry's "ignore for" choices. */
export const MUTE_DURATIONS: ReadonlyArray<{ value: string; ms: number }> = [
  { value: '1d', ms: DAY },
  { value: '1w', ms: 7 * DAY },
  { value: '1m', ms: 30 * DAY },
  { value: '3m', ms: 90 * DAY },
];

/** Every mute choice a page offers, volume conditions from MUTE_VOLUME_CHOICES. Worded by
 * muteLabel, as the header and history will say it once chosen ("1 day", not "24 hours"). */
export function muteChoices(config: Config): Array<{ value: string; label: string }> {
  return [
    { value: 'forever', label: muteLabel({ kind: 'forever' }) },
    ...MUTE_DURATIONS.map(({ value, ms }) => ({ value, label: muteLabel({ kind: 'for', ms }) })),
    ...config.muteVolumeChoices.map((c) => ({
      value: `volume:${c.count}/${c.windowMs}`,
      label: muteLabel({ kind: 'until_volume', count: c.count, windowMs: c.windowMs }),
    })),
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
