/**
 * The CPU half of the digest: a queued payload parsed, normalized, grouped and tagged, and
 * its normalized JSON serialized — everything that needs no database. Pure, so the foreman
 * runs it on a worker thread (src/foreman/preparer.ts) while its main thread writes the
 * previous batch; the result is plain data that survives structured cloning.
 */
import { parseJsonLenient } from '../ingest/lenient-json.js';
import { eventTags } from './event-tags.js';
import type { NormalizedEvent } from './event-types.js';
import { groupEvent, type Grouping } from './grouping.js';
import { normalizeEvent } from './normalize.js';

export interface PreparedEvent {
  readonly eventId: string;
  /** Event time in epoch ms. */
  readonly ts: number;
  readonly level: NormalizedEvent['level'];
  readonly platform: string;
  readonly release: string | null;
  readonly environment: string | null;
  readonly grouping: Grouping;
  /** The tag pairs of this event, flattened: key, value, key, value… (cheaper to clone). */
  readonly tags: string[];
  /** The normalized event, as stored. */
  readonly json: string;
}

/** What preparing one queued row gave: the event, or why it cannot be digested. */
export type Preparation = PreparedEvent | { readonly error: string };

export interface Preparable {
  readonly event_id: string;
  readonly received_at: number;
  readonly payload: Uint8Array;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const utf8 = new TextDecoder();

export function prepareEvent(row: Preparable): PreparedEvent {
  const raw = parseJsonLenient(utf8.decode(row.payload));
  const event = normalizeEvent(raw, { eventId: row.event_id, receivedAt: row.received_at / 1000 });
  const tags: string[] = [];
  for (const [k, v] of eventTags(event)) tags.push(k, v);
  return {
    eventId: event.eventId,
    ts: Math.round(event.timestamp * 1000),
    level: event.level,
    platform: event.platform,
    release: event.release,
    environment: event.environment,
    grouping: groupEvent(event),
    tags,
    json: JSON.stringify(event.data),
  };
}

export function prepareAll(rows: readonly Preparable[]): Preparation[] {
  return rows.map((row) => {
    try {
      return prepareEvent(row);
    } catch (err) {
      return { error: `could not parse the event: ${message(err)}` };
    }
  });
}

export function isPrepared(p: Preparation): p is PreparedEvent {
  return !('error' in p);
}

/**
 * The prepared event as an alert reads it (release, environment, frames), with `data` parsed
 * back from the JSON only if it is read: most batches raise no alert.
 */
export function alertSource(p: PreparedEvent): Pick<NormalizedEvent, 'release' | 'environment' | 'data'> {
  let data: NormalizedEvent['data'] | undefined;
  return {
    release: p.release,
    environment: p.environment,
    get data() {
      return (data ??= JSON.parse(p.json) as NormalizedEvent['data']);
    },
  };
}
