/** Building envelopes and events for tests. */
import { randomUUID } from 'node:crypto';

export function newEventId(): string {
  return randomUUID().replaceAll('-', '');
}

export interface ItemSpec {
  type: string;
  payload: string | Buffer | object;
  /** Write a `length` header (default true). */
  length?: boolean;
  headers?: Record<string, unknown>;
}

export function envelope(headers: Record<string, unknown>, items: ItemSpec[], trailingNewline = true): Buffer {
  const parts: Buffer[] = [Buffer.from(JSON.stringify(headers))];
  for (const item of items) {
    const payload =
      Buffer.isBuffer(item.payload) ? item.payload : Buffer.from(typeof item.payload === 'string' ? item.payload : JSON.stringify(item.payload));
    const h: Record<string, unknown> = { type: item.type, ...item.headers };
    if (item.length !== false) h.length = payload.length;
    parts.push(Buffer.from('\n' + JSON.stringify(h) + '\n'), payload);
  }
  if (trailingNewline) parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

export function errorEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: newEventId(),
    timestamp: Date.now() / 1000,
    platform: 'javascript',
    level: 'error',
    exception: {
      values: [
        {
          type: 'Error',
          value: 'Something broke',
          stacktrace: { frames: [{ filename: 'app.js', function: 'main', lineno: 1, in_app: true }] },
        },
      ],
    },
    ...overrides,
  };
}

export function eventEnvelope(event: Record<string, unknown>, extraHeaders: Record<string, unknown> = {}): Buffer {
  return envelope({ event_id: event.event_id, sent_at: new Date().toISOString(), ...extraHeaders }, [{ type: 'event', payload: event }]);
}
