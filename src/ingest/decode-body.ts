/**
 * Streaming request-body decoding for the ingest endpoints: undoes Content-Encoding while the
 * bytes arrive and enforces both size limits as they are crossed, never after the fact.
 *
 * Protocol (docs/sentry-protocol.md, "Encodings" and "Limits"): `gzip` (alias `x-gzip`),
 * `deflate` (zlib-wrapped, but some clients send raw deflate), `br`, `zstd`; empty, `identity` and
 * `UTF-8` mean "not encoded" (some Ruby and Android SDK versions send `UTF-8`). Requests are capped
 * at 20 MiB as sent and 100–200 MiB decompressed, so a compression bomb must be cut off at the
 * decompressed limit while it inflates, with the decompressor destroyed at once.
 */
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';
import { corrupt, formatBytes, truncated, type Decoder, type Hooks } from './decoder-hooks.js';
import { zstdDecoder } from './zstd-decoder.js';

export { formatBytes } from './decoder-hooks.js';

export interface DecodeLimits { maxCompressedBytes: number; maxDecompressedBytes: number }

type Coding = 'identity' | 'gzip' | 'deflate' | 'br' | 'zstd';

// `utf-8` is no content coding at all, but Ruby and Android SDKs send it; RFC 9110 §8.4.1.3:
// recipients SHOULD treat `x-gzip` as `gzip`.
const CODINGS: ReadonlyMap<string, Coding> = new Map([
  ['identity', 'identity'], ['utf-8', 'identity'], ['utf8', 'identity'], ['gzip', 'gzip'],
  ['x-gzip', 'gzip'], ['deflate', 'deflate'], ['br', 'br'], ['zstd', 'zstd'],
]);

/** zlib output step: big enough to keep the thread-pool round trips few on large bodies,
 * small enough that one step can overshoot the decompressed limit by only 64 KiB. */
const ZLIB_CHUNK = 64 * 1024;


/** Content-Encoding lists codings in the order they were applied (RFC 9110 §8.4). */
function parseContentEncoding(header: string | undefined): Coding {
  const applied: Coding[] = [];
  for (const raw of (header ?? '').split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === '') continue;
    const coding = CODINGS.get(name);
    if (coding === undefined) {
      const expected = 'gzip, x-gzip, deflate, br, zstd or identity';
      throw new UnsupportedMediaTypeError(`unsupported Content-Encoding ${JSON.stringify(name)}: expected ${expected}`);
    }
    if (coding !== 'identity') applied.push(coding);
  }
  // Stacked codings ("gzip, br") are legal HTTP but no Sentry SDK sends them; one decoder keeps
  // the limit accounting and the error messages exact.
  if (applied.length > 1) {
    throw new UnsupportedMediaTypeError(
      `Content-Encoding ${JSON.stringify(header?.trim())} applies several codings; only one is supported`,
    );
  }
  return applied[0] ?? 'identity';
}

function zlibDecoder(kind: 'gzip' | 'deflate' | 'deflate-raw' | 'br', h: Hooks): Decoder {
  const opts = { chunkSize: ZLIB_CHUNK };
  const z =
    kind === 'gzip' ? zlib.createGunzip(opts)
    : kind === 'deflate' ? zlib.createInflate(opts)
    : kind === 'deflate-raw' ? zlib.createInflateRaw(opts)
    : zlib.createBrotliDecompress(opts);
  const label = kind === 'deflate-raw' ? 'deflate' : kind;
  z.on('data', h.output);
  z.on('end', h.done);
  z.on('drain', h.resume);
  z.on('error', (err: NodeJS.ErrnoException) => {
    // zlib says Z_BUF_ERROR ("unexpected end of file") when the input ran out mid-stream;
    // brotli cannot tell garbage from a cut stream and says the same for both.
    h.fail(err.code === 'Z_BUF_ERROR' ? truncated(label) : corrupt(label, err.message));
  });
  return {
    // Backpressure: the source waits while zlib's input queue is full, so a large body is never
    // buffered whole before being inflated.
    write: (chunk) => void (z.write(chunk) || h.pause()),
    end: () => z.end(),
    destroy: () => z.destroy(),
  };
}

/**
 * Small compressed bodies (most SDK requests) are gathered and inflated in one synchronous
 * call: a zlib stream costs ~90 µs to set up and drive through the thread pool for a 1 KB
 * gzip body, gunzipSync ~17 µs. Output is capped well below the limits, so a bomb costs at
 * most SYNC_MAX_OUTPUT of work here; past that, or on any error, the gathered bytes go through
 * the streaming decoder instead, which enforces the limits and words the errors as always.
 */
const SYNC_MAX_COMPRESSED = 64 * 1024;
const SYNC_MAX_OUTPUT = 4 * 1024 * 1024;

function inflateWhole(coding: 'gzip' | 'deflate' | 'br', input: Buffer, maxOutputLength: number): Buffer | null {
  try {
    if (coding === 'gzip') return zlib.gunzipSync(input, { maxOutputLength });
    if (coding === 'br') return zlib.brotliDecompressSync(input, { maxOutputLength });
    if (input.length < 2) return null;
    return isZlibHeader(input[0]!, input[1]!) ? zlib.inflateSync(input, { maxOutputLength }) : zlib.inflateRawSync(input, { maxOutputLength });
  } catch {
    return null; // over the cap, truncated or corrupt: the streaming decoder says which
  }
}

/** RFC 1950 §2.2: CM (low nibble of CMF) is 8 and CMF*256+FLG is a multiple of 31. A raw
 * stream whose first block is stored has zero padding bits there, so it cannot look like this. */
function isZlibHeader(cmf: number, flg: number): boolean {
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && (cmf * 256 + flg) % 31 === 0;
}

function deflateDecoder(h: Hooks): Decoder {
  let inner: Decoder | null = null;
  let head: Buffer | null = null;
  return {
    write(chunk) {
      if (inner) return inner.write(chunk);
      head = head ? Buffer.concat([head, chunk]) : chunk;
      if (head.length < 2) return;
      inner = zlibDecoder(isZlibHeader(head[0]!, head[1]!) ? 'deflate' : 'deflate-raw', h);
      inner.write(head);
      head = null;
    },
    end: () => (inner ? inner.end() : h.fail(truncated('deflate'))),
    destroy: () => inner?.destroy(),
  };
}

function makeDecoder(coding: Exclude<Coding, 'identity'>, h: Hooks, limits: DecodeLimits): Decoder {
  return coding === 'deflate' ? deflateDecoder(h)
    : coding === 'zstd' ? zstdDecoder(h, limits.maxDecompressedBytes)
    : zlibDecoder(coding, h);
}

/**
 * Reads `source`, undoes Content-Encoding and hands each decoded chunk to `sink` as it comes.
 * Resolves with the number of decoded bytes. An empty body decodes to nothing whatever its
 * declared encoding (clients that compress "if non-empty" still label empty bodies).
 *
 * On failure the decompressor is destroyed and the source is paused and detached, but not
 * destroyed: destroying an IncomingMessage destroys its socket, and then the 413/400 answer could
 * never reach the SDK (mobile SDKs keep retrying envelopes lost to network errors). The HTTP
 * layer should answer with `Connection: close`. This mirrors Fastify's own body-limit handling.
 */
export function decodeBody(
  source: NodeJS.ReadableStream | Readable,
  contentEncoding: string | undefined,
  limits: DecodeLimits,
  sink: (chunk: Buffer) => void,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const coding = parseContentEncoding(contentEncoding); // a throw here rejects with the 415
    const limitError = (what: string, limit: number) =>
      new PayloadTooLargeError(`${what} exceeds the ${formatBytes(limit)} limit`);
    const as = coding === 'identity' ? '' : ` (${coding})`;
    let settled = false;
    let ended = false;
    let received = 0;
    let decoded = 0;
    let decoder: Decoder | null = null;
    /** Compressed chunks held for one synchronous inflate while they stay small. */
    let gathered: Buffer[] | null = coding === 'gzip' || coding === 'deflate' || coding === 'br' ? [] : null;

    // onError stays attached: a client aborting after we are done must not become an uncaught
    // 'error' event.
    const detach = () => void source.off('data', onData).off('end', onEnd).off('close', onClose);
    const hooks: Hooks = {
      output(chunk) {
        if (settled) return;
        decoded += chunk.length;
        if (decoded > limits.maxDecompressedBytes) {
          const what = as ? `decompressed request body${as}` : 'request body';
          return hooks.fail(limitError(what, limits.maxDecompressedBytes));
        }
        try {
          sink(chunk);
        } catch (err) {
          hooks.fail(err); // e.g. the envelope parser refusing the input: stop reading now
        }
      },
      fail(err) {
        if (settled) return;
        settled = true;
        detach();
        source.pause();
        decoder?.destroy();
        reject(err);
      },
      done: () => void (settled || ((settled = true), detach(), resolve(decoded))),
      stopped: () => settled,
      pause: () => void source.pause(),
      resume: () => void (settled || source.resume()),
    };

    function onData(chunk: Buffer | string): void {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (settled || buf.length === 0) return;
      received += buf.length;
      if (received > limits.maxCompressedBytes) {
        return hooks.fail(limitError(as ? `request body as sent${as}` : 'request body', limits.maxCompressedBytes));
      }
      // Identity, the hot path: no decoder object, no stream, just counting and the sink.
      if (coding === 'identity') return hooks.output(buf);
      if (gathered !== null) {
        gathered.push(buf);
        if (received <= SYNC_MAX_COMPRESSED) return;
        return streamGathered();
      }
      (decoder ??= makeDecoder(coding, hooks, limits)).write(buf);
    }
    /** Hands what was gathered to the streaming decoder; later chunks go straight to it. */
    function streamGathered(): void {
      const chunks = gathered ?? [];
      gathered = null;
      for (const chunk of chunks) {
        if (settled) return;
        (decoder ??= makeDecoder(coding as Exclude<Coding, 'identity'>, hooks, limits)).write(chunk);
      }
    }
    function onEnd(): void {
      ended = true;
      if (gathered !== null && gathered.length > 0) {
        const input = gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, received);
        const cap = Math.min(limits.maxDecompressedBytes, SYNC_MAX_OUTPUT);
        const out = inflateWhole(coding as 'gzip' | 'deflate' | 'br', input, cap);
        if (out !== null) {
          gathered = null;
          if (out.length > 0) hooks.output(out);
          return hooks.done();
        }
        streamGathered();
        if (settled) return;
      }
      if (decoder === null) hooks.done(); // identity, or an empty body
      else decoder.end();
    }
    const onClose = () => ended || hooks.fail(new BadRequestError('request body aborted before it was complete'));
    const onError = () => hooks.fail(new BadRequestError('request body aborted: the client connection failed'));

    if ((source as Readable).destroyed && !(source as Readable).readableEnded) {
      return hooks.fail(new BadRequestError('request body aborted before it was read'));
    }
    source.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onError);
    source.resume(); // 'data' alone does not restart a stream someone paused explicitly
  });
}

/** Convenience for bodies that are wanted whole (store endpoint, small envelopes). */
export async function readDecodedBody(
  source: NodeJS.ReadableStream | Readable,
  contentEncoding: string | undefined,
  limits: DecodeLimits,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const length = await decodeBody(source, contentEncoding, limits, (chunk) => void chunks.push(chunk));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
}
