// The mute choices offered on issue pages say what the header and the history will say once
// one is chosen: one wording ("1 day"), not the dropdown's own ("24 hours").
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { historyWording, stateWording } from '../../src/issues/lifecycle.js';
import { muteChoices, muteSpec } from '../../src/web/routes/issue-forms.js';

const config = loadConfig({ DATA_DIR: '/tmp/sluice-config-test' });
const chosen = (value: string, from = config) => muteSpec({ body: { mute: value } } as unknown as FastifyRequest, from);
const custom = loadConfig({ DATA_DIR: '/tmp/sluice-config-test', MUTE_VOLUME_CHOICES: '3/90m,10/36h,50/2d' });
const words = (w: ReturnType<typeof historyWording>) => w.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');

describe('mute choices', () => {
  it('are worded in human durations, with the default MUTE_VOLUME_CHOICES', () => {
    expect(muteChoices(config).map((c) => c.label)).toEqual([
      'forever',
      'for 1 day',
      'for 1 week',
      'for 1 month',
      'for 3 months',
      'until 5 events in 1 hour',
      'until 100 events in 1 day',
      'until 1000 events in 1 week',
    ]);
  });

  it.each(muteChoices(config).map((c) => [c.label, c.value]))('%j is what the history says after choosing it', (label, value) => {
    const spec = chosen(value);
    expect(words(historyWording({ kind: 'muted', details: spec }))).toBe(label);
  });

  it.each(muteChoices(custom).filter((c) => c.value.startsWith('volume:')))(
    'a configured volume choice $label is what the header says of the muted issue',
    ({ label, value }) => {
      const spec = chosen(value, custom);
      if (spec.kind !== 'until_volume') throw new Error(`not a volume choice: ${value}`);
      const header = stateWording({
        status: 'muted',
        resolved_in_release: null,
        resolved_after_release: null,
        muted_until: null,
        mute_count: spec.count,
        mute_window_ms: spec.windowMs,
      });
      expect(words(header.detail)).toBe(label);
      expect(label).toMatch(/^until \d+ events in \d+ (minutes|hours|days)$/);
    },
  );
});
