/**
 * What the benchmarks send: envelopes as SDKs write them, made from the shared corpus
 * (../shared/corpus/events) or generated, each with a fresh event_id.
 *
 * - small: the corpus events of 1.5–3 KB as compact JSON (54 of them, six platforms).
 * - large: ~50 KB events with source context: corpus events that carry `pre_context` /
 *   `context_line` (laravel, minified-javascript), their frames repeated up to ~50 KB.
 * - generated: events made up for the digest benchmark, with a chosen issue and 10–20 tags.
 *
 * A fresh id per request costs the client a copy of the template: the id sits in the envelope
 * header (which wins over the payload's), at a fixed offset. Gzip bodies are two gzip members
 * (RFC 1952 §2.2 allows any number; zlib's gunzip reads them all): a stored (uncompressed)
 * member holding the header line with the id, then the rest, compressed once ahead of time.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { CORPUS } from './lib.js';

type Json = Record<string, unknown>;

function corpusEvent(file: string): Json {
  return JSON.parse(fs.readFileSync(path.join(CORPUS, 'events', file), 'utf8')) as Json;
}

/** Corpus events whose compact JSON is 1.5–3 KB. */
export function smallCorpusEvents(): Json[] {
  const dir = path.join(CORPUS, 'events');
  const out: Json[] = [];
  for (const file of fs.readdirSync(dir).sort()) {
    let ev: Json;
    try {
      ev = corpusEvent(file);
    } catch {
      continue;
    }
    const size = JSON.stringify(ev).length;
    if (size >= 1500 && size <= 3000) out.push(ev);
  }
  if (out.length === 0) throw new Error(`no small events in ${dir}`);
  return out;
}

/** Frames of the main exception repeated until the event is about `bytes` of compact JSON. */
function growTo(ev: Json, bytes: number): Json {
  const copy = structuredClone(ev);
  const values = (copy.exception as { values: Array<{ stacktrace: { frames: unknown[] } }> }).values;
  const st = values[values.length - 1]!.stacktrace;
  const original = [...st.frames];
  let i = 0;
  while (JSON.stringify(copy).length < bytes) st.frames.unshift(structuredClone(original[i++ % original.length]));
  return copy;
}

/** ~50 KB events with source context (PHP and browser JavaScript). */
export function largeCorpusEvents(): Json[] {
  return [growTo(corpusEvent('laravel.json'), 50_000), growTo(corpusEvent('minified-javascript.json'), 50_000)];
}

/** Deterministic PRNG (mulberry32), so that every run sends the same data. */
export { prng } from '../../test/helpers/prng.js';

const ROUTES = ['checkout', 'cart', 'login', 'search', 'profile', 'orders', 'admin', 'billing'];

/**
 * A JavaScript error of about 2 KB that groups into issue `issue` (the exception value
 * differs per issue; grouping keeps words with digits as they are), with 10–20 tags of
 * which the values repeat, as tags do.
 */
export function generatedEvent(i: number, issue: number, rnd: () => number, nowSec: number): Json {
  const tags: Record<string, string> = {};
  const tagCount = 10 + (i % 11);
  for (let k = 0; k < tagCount; k++) tags[`tag_${k}`] = `value-${Math.floor(rnd() * (k + 2))}`;
  const route = ROUTES[issue % ROUTES.length]!;
  const frames = Array.from({ length: 8 }, (_, f) => ({
    filename: `webpack:///./src/${route}/module${f}.ts`,
    abs_path: `https://app.example.com/static/js/${route}.${f}.chunk.js`,
    function: f === 7 ? `handle${route[0]!.toUpperCase()}${route.slice(1)}` : `step${f}`,
    module: `src/${route}/module${f}`,
    lineno: 10 + f * 7,
    colno: 3 + f,
    in_app: f > 2,
  }));
  return {
    timestamp: nowSec - rnd() * 6 * 3600,
    platform: 'javascript',
    level: i % 10 === 0 ? 'warning' : 'error',
    logger: 'console',
    server_name: `web-${i % 8}`,
    release: `shop@1.${i % 5}.0`,
    environment: i % 4 === 0 ? 'staging' : 'production',
    transaction: `/api/${route}/:id`,
    user: { id: String(Math.floor(rnd() * 5000)), ip_address: '10.1.2.3' },
    tags,
    contexts: {
      os: { name: 'Linux', version: '6.1' },
      runtime: { name: 'node', version: 'v20.11.1' },
      browser: { name: 'Chrome', version: `12${i % 4}.0` },
    },
    request: { url: `https://app.example.com/api/${route}/${i}?q=1`, method: 'POST', headers: { 'User-Agent': 'Mozilla/5.0', Accept: 'application/json' } },
    exception: {
      values: [
        {
          type: 'TypeError',
          value: `Cannot read properties of undefined (reading 'field${issue}')`,
          mechanism: { type: 'onunhandledrejection', handled: false },
          stacktrace: { frames },
        },
      ],
    },
    breadcrumbs: {
      values: Array.from({ length: 4 }, (_, b) => ({ timestamp: nowSec - 10 + b, category: 'fetch', type: 'http', data: { method: 'GET', url: `/api/${route}/${b}`, status_code: 200 } })),
    },
    sdk: { name: 'sentry.javascript.node', version: '8.40.0' },
  };
}

// ---------------------------------------------------------------- envelopes

const ID_OFFSET = '{"event_id":"'.length;
const HEX = '0123456789abcdef';
let idCounter = 0;
const idPrefix = randomBytes(8).toString('hex'); // 16 hex, unique per bench process

/** Writes a fresh 32-hex id into `buf` at `offset`. */
function writeFreshId(buf: Buffer, offset: number): void {
  buf.write(idPrefix, offset, 'latin1');
  let n = idCounter++;
  for (let i = 31; i >= 16; i--) {
    buf[offset + i] = HEX.charCodeAt(n & 15);
    n = Math.floor(n / 16);
  }
}

export function freshId(): string {
  const b = Buffer.alloc(32);
  writeFreshId(b, 0);
  return b.toString('latin1');
}

function headerLine(dsn: string): Buffer {
  const sentAt = new Date().toISOString();
  return Buffer.from(`${JSON.stringify({ event_id: '0'.repeat(32), sent_at: sentAt, dsn, sdk: { name: 'sentry.javascript.node', version: '8.40.0' } })}\n`);
}

/** A gzip member holding `data` in one stored deflate block (RFC 1951 §3.2.4), for ≤ 65535 bytes. */
function storedGzipMember(data: Buffer): Buffer {
  const out = Buffer.alloc(10 + 5 + data.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff], 0);
  out[10] = 1; // BFINAL=1, BTYPE=00
  out.writeUInt16LE(data.length, 11);
  out.writeUInt16LE(~data.length & 0xffff, 13);
  data.copy(out, 15);
  out.writeUInt32LE(zlib.crc32(data), 15 + data.length);
  out.writeUInt32LE(data.length, 19 + data.length);
  return out;
}

export interface BodyTemplate {
  readonly gzip: boolean;
  /** Bytes of the decompressed envelope. */
  readonly envelopeBytes: number;
  /** A new body with a fresh event_id; returns it and the id. */
  next(): { body: Buffer; id: string };
}

/** An envelope holding one event item, as the JavaScript SDK sends it. */
export function envelopeTemplate(event: Json, dsn: string, gzip: boolean): BodyTemplate {
  const payload = Buffer.from(JSON.stringify(event));
  const head = headerLine(dsn);
  const rest = Buffer.concat([Buffer.from(`${JSON.stringify({ type: 'event', length: payload.length })}\n`), payload]);
  const envelopeBytes = head.length + rest.length;
  if (!gzip) {
    const template = Buffer.concat([head, rest]);
    return {
      gzip,
      envelopeBytes,
      next() {
        const body = Buffer.from(template);
        writeFreshId(body, ID_OFFSET);
        return { body, id: body.toString('latin1', ID_OFFSET, ID_OFFSET + 32) };
      },
    };
  }
  const restGz = zlib.gzipSync(rest);
  return {
    gzip,
    envelopeBytes,
    next() {
      const h = Buffer.from(head);
      writeFreshId(h, ID_OFFSET);
      return { body: Buffer.concat([storedGzipMember(h), restGz]), id: h.toString('latin1', ID_OFFSET, ID_OFFSET + 32) };
    },
  };
}

/** Request headers as the JavaScript SDK sends them. */
export function sdkHeaders(key: string, gzip: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/x-sentry-envelope',
    'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${key}, sentry_client=sentry.javascript.node/8.40.0`,
  };
  if (gzip) h['content-encoding'] = 'gzip';
  return h;
}

export type Mix = 'small' | 'mixed' | 'large';

/**
 * The rotation of bodies for a mix: small = corpus small events, every third gzipped;
 * mixed = the same with every tenth a ~50 KB event; large = only ~50 KB events.
 */
export function mixTemplates(mix: Mix, dsn: string): BodyTemplate[] {
  const small = smallCorpusEvents();
  const large = largeCorpusEvents();
  const out: BodyTemplate[] = [];
  const n = mix === 'large' ? 12 : Math.max(small.length * 3, 60);
  for (let i = 0; i < n; i++) {
    const gzip = i % 3 === 2;
    const isLarge = mix === 'large' || (mix === 'mixed' && i % 10 === 9);
    const ev = isLarge ? large[i % large.length]! : small[i % small.length]!;
    out.push(envelopeTemplate(ev, dsn, gzip));
  }
  return out;
}
