/**
 * Bodies of the legacy `/api/{project_id}/store/` endpoint (docs/sentry-protocol.md,
 * "Encodings"): "starts with `{` → JSON; else base64-decode; if that starts with `{` → JSON; else
 * zlib-inflate it (old raven SDKs send base64(zlib(json)))". This runs after Content-Encoding
 * was undone by decode-body.ts; this is the SDK-level encoding inside the body.
 */
import zlib from 'node:zlib';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';
import { formatBytes } from './decode-body.js';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const QUOTE = 0x22;

/** Index of the first byte that is not JSON whitespace (nor a UTF-8 byte order mark). */
function skipSpace(buf: Buffer): number {
  let i = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  for (let c = buf[i]; c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = buf[++i]);
  return i;
}

function capped(json: Buffer, maxBytes: number, what: string): Buffer {
  if (json.length > maxBytes) {
    throw new PayloadTooLargeError(`${what} of ${json.length} bytes exceeds the ${formatBytes(maxBytes)} limit`);
  }
  return json;
}

/** Standard or URL-safe alphabet, optional padding; line breaks are tolerated (Python's
 * base64.encodebytes wraps at 76 columns). Buffer.from(…, 'base64') silently skips anything
 * else, so check first: garbage must be a 400 that says where, not a JSON error later. */
function decodeBase64(body: Buffer, start: number): Buffer {
  const text = body.toString('latin1', start);
  const bad = /[^A-Za-z0-9+/_\-=\s]|=[^=\s]/.exec(text);
  const compact = bad ? '' : text.replace(/\s+/g, '');
  if (bad || compact.length % 4 === 1 || /=.*=.*=/.test(compact)) {
    const at = bad ? start + bad.index + (bad[0].length - 1) : start;
    throw new BadRequestError(
      bad
        ? `store body is neither JSON nor base64: unexpected byte 0x${body[at]!.toString(16).padStart(2, '0')} at position ${at}`
        : 'store body is neither JSON nor base64: its base64 length is impossible',
    );
  }
  return Buffer.from(compact, 'base64');
}

/** `[` and `"` start no base64 nor zlib data: JSON of the wrong type, which deserves a plain answer. */
function notOtherJson(first: number | undefined, what: string): void {
  if (first === OPEN_BRACKET || first === QUOTE) {
    throw new BadRequestError(`${what} must be a JSON object (an event), not ${first === QUOTE ? 'a string' : 'an array'}`);
  }
}

/** Returns the event's JSON bytes from a store body; 413 beyond `maxBytes`, 400 when it is none
 * of the three forms. */
export function decodeStoreBody(body: Buffer, maxBytes: number): Buffer {
  const start = skipSpace(body);
  if (start >= body.length) throw new BadRequestError('store body is empty');
  if (body[start] === OPEN_BRACE) return capped(body.subarray(start), maxBytes, 'store body');
  notOtherJson(body[start], 'store body');

  const decoded = decodeBase64(body, start);
  const inner = skipSpace(decoded);
  if (decoded[inner] === OPEN_BRACE) return capped(decoded.subarray(inner), maxBytes, 'base64-decoded store body');
  notOtherJson(decoded[inner], 'base64-decoded store body');

  let inflated: Buffer;
  try {
    // maxOutputLength stops inflating at the limit, so a base64(zlib(bomb)) costs at most
    // maxBytes of memory. unzipSync also takes gzip, which costs nothing to allow.
    inflated = zlib.unzipSync(decoded, { maxOutputLength: maxBytes });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PayloadTooLargeError(`decompressed store body exceeds the ${formatBytes(maxBytes)} limit`);
    }
    throw new BadRequestError(
      e.code === 'Z_BUF_ERROR'
        ? 'store body is base64 of truncated zlib data'
        : `store body is base64, but of neither JSON nor zlib data (${e.message})`,
    );
  }
  const json = skipSpace(inflated);
  if (inflated[json] !== OPEN_BRACE) {
    throw new BadRequestError('store body is base64 of zlib data that does not hold a JSON object');
  }
  return inflated.subarray(json);
}
