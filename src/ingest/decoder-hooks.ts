/** What the body-decoding loop (decode-body.ts) and its decoders share. */
import { BadRequestError } from '../errors.js';

export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}

/** What a decoder tells the reading loop. `output` never throws; after `fail`, nothing counts. */
export type Hooks = Record<'done' | 'pause' | 'resume', () => void> & {
  output(chunk: Buffer): void;
  fail(err: unknown): void;
  stopped(): boolean;
};
export type Decoder = { write(chunk: Buffer): void; end(): void; destroy(): void };

export const truncated = (coding: string) =>
  new BadRequestError(`compressed body is truncated: the ${coding} stream ended early`);
export const corrupt = (coding: string, why: string) =>
  new BadRequestError(`request body is not valid ${coding} data (${why})`);

