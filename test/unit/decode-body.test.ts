import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, readDecodedBody, type DecodeLimits } from '../../src/ingest/decode-body.js';
import { HttpError } from '../../src/errors.js';

const MiB = 1024 * 1024;
const WIDE: DecodeLimits = { maxCompressedBytes: 64 * MiB, maxDecompressedBytes: 256 * MiB };

/** Seeded PRNG so a failing chunking can be reproduced. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Small random chunks (1 byte up to `max`), as a slow client's packets would arrive. */
function chunked(buf: Buffer, seed = 1, max = 4096): Buffer[] {
  const next = rng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; ) {
    const n = 1 + Math.floor(next() * max);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

async function statusOf(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HttpError) return { status: err.statusCode, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

// --- zstd: one frame made by the zstd CLI (-19, with checksum), and hand-built frames. --------

function sampleEvent(): Buffer {
  const frames = Array.from({ length: 12 }, (_, i) => ({
    filename: `app/module${i}.py`,
    function: `handler_${i}`,
    lineno: 10 + i * 7,
    in_app: true,
    context_line: `    result = compute(x, y, z=${i})`,
  }));
  const ev = {
    event_id: '9ec79c33ec9942ab8353589fcb2e04dc',
    level: 'error',
    platform: 'python',
    exception: { values: [{ type: 'ValueError', value: 'bad thing', stacktrace: { frames } }] },
    tags: { release: '1.2.3', env: 'prod' },
  };
  return Buffer.from(JSON.stringify(ev));
}
/** `zstd -19 ev.json`: compressed block with Huffman literals and FSE sequences, XXH64 check. */
const SAMPLE_ZST = Buffer.from(
  'KLUv/WTeBTULAEaWQh8wy+rArIr6Hb3OVWIupDANBRKu4DAQBZrNkYKFgQEINwA4ADoAt2ej317tImP38RS2Upb0vh1bjPvxtK+mb5/RkrSSmBJ8mMe8JyGVBcLZ703ozIaPjyYo1776We3YFSRNrchSg3vl45uStekknZJYehbfU+LMmDJXb1fUaZGRSCYeXzA8vi+Wnx3iq7aovJ7FVzvljnPt8UBCcCANQ1oD0Nm6lJ0IAcnUqhojj4dyo3O1860tnOPvlVCd3hIXb2vXib49gXDTqMrFZ7WkB4/HI4vv46/ab38CReAe35Vs2vhZfKWQ+e2BcI5zj3PwORA+TfM8DnScRmGahmEWhlmeZXnuvacsiqK4NagxyBmU/9GMAZCDgjRrMQwBIwxywo8IMNECid8PgpCAYYEPEscgKXJBaRDkRhYYAe+DXRl/Xbrt+CfTXxd3O37+cAdbpqDlv5ip3K0fgvAXdocmCrqCXwWUi7c3',
  'base64',
);

type ZstdBlock = { raw: Buffer } | { rle: number; size: number } | { reserved: true };

/** RFC 8878 §3.1.1: magic, descriptor without content size, window descriptor, blocks. */
function zstdFrame(blocks: ZstdBlock[], windowLog = 20): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (windowLog - 10) << 3])];
  blocks.forEach((b, i) => {
    const last = i === blocks.length - 1 ? 1 : 0;
    const [type, size, body] =
      'raw' in b ? [0, b.raw.length, b.raw] : 'rle' in b ? [1, b.size, Buffer.from([b.rle])] : [3, 0, Buffer.alloc(0)];
    const h = last | (type << 1) | (size << 3);
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), body);
  });
  return Buffer.concat(parts);
}

/** Single-segment frame header declaring `contentSize` (4-byte field); no blocks needed. */
function zstdDeclaring(contentSize: number): Buffer {
  const b = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 0]);
  b.writeUInt32LE(contentSize, 5);
  return b;
}

function zstdRaw(data: Buffer): Buffer {
  const blocks: ZstdBlock[] = [];
  for (let i = 0; i < data.length; i += 100_000) blocks.push({ raw: data.subarray(i, i + 100_000) });
  return zstdFrame(blocks.length ? blocks : [{ raw: Buffer.alloc(0) }]);
}

const SKIPPABLE = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 104, 101, 108, 108, 111]);

// --- payloads --------------------------------------------------------------------------------

const text = Buffer.from(
  Array.from({ length: 3000 }, (_, i) => `{"n":${i},"msg":"line ${i % 37} of the log"}`).join('\n'),
);
const random = Buffer.from(Array.from({ length: 150_000 }, rng(7)).map((x) => Math.floor(x * 256)));

const compressors: Array<[encoding: string, compress: (b: Buffer) => Buffer]> = [
  ['gzip', (b) => zlib.gzipSync(b)],
  ['x-gzip', (b) => zlib.gzipSync(b, { level: 1 })],
  ['deflate', (b) => zlib.deflateSync(b)], // zlib-wrapped, as the RFC says
  ['deflate', (b) => zlib.deflateRawSync(b)], // raw, as some clients send
  ['br', (b) => zlib.brotliCompressSync(b)],
  ['zstd', zstdRaw],
];

describe('decodeBody: round trips', () => {
  it.each(compressors.flatMap(([enc, c], k) => [text, random].map((p, j) => [enc, k, j, c, p] as const)))(
    '%s (compressor %i, payload %i) in small random chunks',
    async (enc, k, j, compress, payload) => {
      const chunks = chunked(compress(payload), 100 * k + j);
      const got = await readDecodedBody(Readable.from(chunks), enc, WIDE);
      expect(got.equals(payload)).toBe(true);
    },
  );

  it.each([undefined, '', 'identity', 'UTF-8', 'utf-8', ' Identity ', 'identity, utf-8'])(
    'passes %j through untouched',
    async (enc) => {
      expect((await readDecodedBody(Readable.from(chunked(text, 3)), enc, WIDE)).equals(text)).toBe(true);
    },
  );

  it.each(['GZIP', ' gzip ', 'gzip, identity', 'identity,gzip'])('reads %j as gzip', async (enc) => {
    expect((await readDecodedBody(Readable.from([zlib.gzipSync(text)]), enc, WIDE)).equals(text)).toBe(true);
  });

  it('decodes a zstd frame from the zstd CLI (compressed blocks, checksum)', async () => {
    const got = await readDecodedBody(Readable.from(chunked(SAMPLE_ZST, 9, 16)), 'zstd', WIDE);
    expect(got.toString()).toBe(sampleEvent().toString());
  });

  it('decodes several zstd frames with a skippable frame between them', async () => {
    const body = Buffer.concat([SAMPLE_ZST, SKIPPABLE, zstdRaw(random), zstdFrame([{ rle: 0x41, size: 1000 }])]);
    const got = await readDecodedBody(Readable.from(chunked(body, 11, 64)), 'zstd', WIDE);
    expect(got.equals(Buffer.concat([sampleEvent(), random, Buffer.alloc(1000, 0x41)]))).toBe(true);
  });

  it('decodes a deflate body whose first chunk holds one byte', async () => {
    const z = zlib.deflateSync(text);
    const got = await readDecodedBody(Readable.from([z.subarray(0, 1), z.subarray(1)]), 'deflate', WIDE);
    expect(got.equals(text)).toBe(true);
  });

  it.each(['gzip', 'deflate', 'br', 'zstd'])('an empty %s body decodes to nothing', async (enc) => {
    expect(await decodeBody(Readable.from([]), enc, WIDE, () => {})).toBe(0);
  });

  it('hands the sink several chunks as they come, and resolves with the byte count', async () => {
    const sizes: number[] = [];
    const n = await decodeBody(Readable.from([zlib.gzipSync(random)]), 'gzip', WIDE, (c) => sizes.push(c.length));
    expect(n).toBe(random.length);
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes.reduce((a, b) => a + b)).toBe(random.length);
  });
});

describe('decodeBody: broken input', () => {
  it.each(compressors.map(([enc, c]) => [enc, c] as const))('truncated %s → 400', async (enc, compress) => {
    const full = compress(text);
    for (const cut of [full.length >> 1, full.length - 3]) {
      const r = await statusOf(readDecodedBody(Readable.from(chunked(full.subarray(0, cut), cut)), enc, WIDE));
      expect(r).toEqual({ status: 400, message: expect.stringMatching(/compressed body is truncated/) });
    }
  });

  const garbage = Buffer.from('this is not compressed at all, just text');
  it.each([
    ['gzip', garbage, /not valid gzip data \(incorrect header check\)/],
    ['gzip', Buffer.concat([zlib.gzipSync(text), garbage]), /not valid gzip data/],
    ['deflate', garbage, /not valid deflate data/],
    ['deflate', Buffer.from(zlib.deflateSync(text)).fill(0x55, 10, 30), /not valid deflate data/],
    ['br', Buffer.from(zlib.brotliCompressSync(text)).fill(0x55, 10, 20), /not valid br data/],
    ['zstd', garbage, /not valid zstd data \(bad frame magic number\)/],
    ['zstd', Buffer.concat([SAMPLE_ZST, garbage]), /not valid zstd data/],
    ['zstd', zstdFrame([{ reserved: true }]), /not valid zstd data \(reserved block type\)/],
  ])('corrupt %s → 400 (%#)', async (enc, body, message) => {
    const r = await statusOf(readDecodedBody(Readable.from(chunked(body, 5, 7)), enc, WIDE));
    expect(r).toEqual({ status: 400, message: expect.stringMatching(message) });
  });

  it.each(['compress', 'gzip, br', 'br, zstd', 'snappy'])('Content-Encoding %j → 415', async (enc) => {
    const r = await statusOf(readDecodedBody(Readable.from([text]), enc, WIDE));
    expect(r.status).toBe(415);
    expect(r.message).toMatch(/Content-Encoding/);
  });

  it('a source that errors (client aborted) → 400 "request body aborted"', async () => {
    const source = new Readable({ read() {} });
    const p = readDecodedBody(source, 'gzip', WIDE);
    source.push(zlib.gzipSync(text).subarray(0, 100));
    setImmediate(() => source.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
    expect(await statusOf(p)).toEqual({ status: 400, message: expect.stringMatching(/^request body aborted/) });
  });

  it('a source closed before its end → 400 "request body aborted"', async () => {
    const source = new Readable({ read() {} });
    const p = readDecodedBody(source, undefined, WIDE);
    source.push('{"partial":');
    setImmediate(() => source.destroy());
    expect(await statusOf(p)).toEqual({ status: 400, message: expect.stringMatching(/^request body aborted/) });
  });

  it('an error the sink throws propagates and stops reading', async () => {
    let pulled = 0;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 1000; i++, pulled++) yield text.subarray(0, 1000);
      })(),
    );
    const refusal = new HttpError(400, 'envelope header is not JSON');
    await expect(decodeBody(source, 'identity', WIDE, () => { throw refusal; })).rejects.toBe(refusal);
    await new Promise((r) => setTimeout(r, 20));
    expect(pulled).toBeLessThan(50);
    expect(source.isPaused()).toBe(true);
    expect(source.destroyed).toBe(false); // left for the HTTP layer, which still has to answer
  });

  it('a sink error inside a zstd chunk stops fzstd mid-chunk', async () => {
    let calls = 0;
    const body = zstdFrame(Array.from({ length: 1000 }, () => ({ rle: 1, size: 131072 })));
    const err = new Error('stop here');
    await expect(decodeBody(Readable.from([body]), 'zstd', WIDE, () => { calls++; throw err; })).rejects.toBe(err);
    expect(calls).toBe(1);
  });
});

describe('decodeBody: limits', () => {
  const limits = (c: number, d: number): DecodeLimits => ({ maxCompressedBytes: c, maxDecompressedBytes: d });

  it.each(compressors.map(([enc, c]) => [enc, c] as const))('%s: decompressed limit → 413', async (enc, compress) => {
    const body = compress(text);
    const r = await statusOf(readDecodedBody(Readable.from(chunked(body, 2)), enc, limits(MiB, 20_000)));
    expect(r.status).toBe(413);
    expect(r.message).toMatch(/decompressed request body \(\w+\) exceeds the 20000 bytes limit/);
    // exactly at the limit is fine
    const ok = await readDecodedBody(Readable.from([body]), enc, limits(MiB, text.length));
    expect(ok.length).toBe(text.length);
  });

  it.each(compressors.map(([enc, c]) => [enc, c] as const))('%s: compressed limit → 413', async (enc, compress) => {
    const body = compress(random);
    const r = await statusOf(readDecodedBody(Readable.from(chunked(body, 4)), enc, limits(64 * 1024, WIDE.maxDecompressedBytes)));
    expect(r).toEqual({ status: 413, message: expect.stringMatching(/request body as sent \(\w+\) exceeds the 64 KiB limit/) });
  });

  it('identity: either limit → 413, exactly at the limit passes', async () => {
    expect(await statusOf(readDecodedBody(Readable.from(chunked(text, 8)), undefined, limits(1000, MiB)))).toEqual({
      status: 413,
      message: 'request body exceeds the 1000 bytes limit',
    });
    expect((await statusOf(readDecodedBody(Readable.from([text]), 'identity', limits(MiB, 4096)))).message).toBe(
      'request body exceeds the 4 KiB limit',
    );
    expect((await readDecodedBody(Readable.from([text]), 'identity', limits(text.length, text.length))).length).toBe(text.length);
  });

  it.each([
    [zstdDeclaring(200 * MiB), /declares 209715200 bytes of content, over the 100 MiB decompressed limit/],
    [zstdDeclaring(16 * MiB), /zstd window of 16 MiB is over the 8 MiB allowed/],
    [zstdFrame([{ rle: 0, size: 1 }], 27), /zstd window of 128 MiB/],
  ])('zstd frame header too big → 413 before anything is allocated (%#)', async (body, message) => {
    const r = await statusOf(readDecodedBody(Readable.from([body]), 'zstd', limits(MiB, 100 * MiB)));
    expect(r).toEqual({ status: 413, message: expect.stringMatching(message) });
  });

  it('does not buffer the compressed input before inflating it (backpressure)', async () => {
    const big = Buffer.concat(Array.from({ length: 40 }, () => random)); // 6 MB of incompressible bytes
    const gz = zlib.gzipSync(big, { level: 1 });
    let pulled = 0;
    let pulledAtFirstOutput = -1;
    const source = Readable.from(
      (function* () {
        for (const c of chunked(gz, 12, 65536)) {
          pulled += c.length;
          yield c;
        }
      })(),
    );
    const n = await decodeBody(source, 'gzip', WIDE, () => {
      if (pulledAtFirstOutput < 0) pulledAtFirstOutput = pulled;
    });
    expect(n).toBe(big.length);
    expect(pulledAtFirstOutput).toBeLessThan(MiB);
  });
});

describe('decodeBody: compression bombs', () => {
  const LIMIT = 100 * MiB;
  const GiB = 1024 * MiB;

  /** 1 GiB of zeros as ~1 MiB of gzip: 1024 members of 1 MiB each (RFC 1952 allows members to be
   * concatenated, and zlib streams through them), so building it costs milliseconds. */
  function gzipBomb(): Buffer[] {
    const member = zlib.gzipSync(Buffer.alloc(MiB), { level: 9 });
    return Array.from({ length: GiB / MiB }, () => member);
  }
  /** 8 GiB of zeros as 256 KiB of zstd: RLE blocks of 128 KiB, four bytes each. */
  function zstdBomb(): Buffer[] {
    const frame = zstdFrame(Array.from({ length: (8 * GiB) / 131072 }, () => ({ rle: 0, size: 131072 })));
    return chunked(frame, 13, 1024);
  }

  it.each([
    ['gzip', '1 GiB', gzipBomb],
    ['zstd', '8 GiB', zstdBomb],
  ] as const)('a %s bomb of %s is cut off at the 100 MiB limit, in bounded memory', async (enc, _size, build) => {
    const chunks = build();
    const total = chunks.reduce((a, c) => a + c.length, 0);
    let fed = 0;
    const source = Readable.from(
      (function* () {
        for (const c of chunks) {
          fed += c.length;
          yield c;
        }
      })(),
    );
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let seen = 0;
    const r = await statusOf(
      decodeBody(source, enc, { maxCompressedBytes: 20 * MiB, maxDecompressedBytes: LIMIT }, (c) => {
        seen += c.length;
        peak = Math.max(peak, process.memoryUsage().rss);
      }),
    );
    expect(r).toEqual({ status: 413, message: expect.stringMatching(/exceeds the 100 MiB limit/) });
    expect(seen).toBeLessThanOrEqual(LIMIT); // the sink never got a byte past the limit
    expect(fed).toBeLessThan(total / 5); // reading stopped soon after the limit was crossed
    const growth = (peak - before) / MiB;
    console.info(`${enc} bomb: rss grew ${growth.toFixed(1)} MiB while inflating ${LIMIT / MiB} MiB`);
    expect(growth).toBeLessThan(LIMIT / MiB); // well under 2x the limit, with the output discarded
  });

  it('collecting a bomb with readDecodedBody holds at most about the limit', async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    const r = await statusOf(readDecodedBody(Readable.from(gzipBomb()), 'gzip', { maxCompressedBytes: 20 * MiB, maxDecompressedBytes: LIMIT }));
    const growth = (process.memoryUsage().rss - before) / MiB;
    console.info(`gzip bomb collected: rss grew ${growth.toFixed(1)} MiB`);
    expect(r.status).toBe(413);
    expect(growth).toBeLessThan((2 * LIMIT) / MiB);
  });
});

describe('decodeBody: small bodies inflated in one call', () => {
  const event = Buffer.from(JSON.stringify({ message: 'x'.repeat(3000), n: [1, 2, 3] }));

  it.each([
    ['gzip', zlib.gzipSync(event)],
    ['deflate', zlib.deflateSync(event)],
    ['deflate', zlib.deflateRawSync(event)],
    ['br', zlib.brotliCompressSync(event)],
  ] as const)('%s: one output chunk, whatever the input chunking', async (enc, body) => {
    const out: Buffer[] = [];
    const n = await decodeBody(Readable.from(chunked(body, 3, 64)), enc, WIDE, (c) => void out.push(c));
    expect(out.length).toBe(1);
    expect(n).toBe(event.length);
    expect(Buffer.concat(out).equals(event)).toBe(true);
  });

  it('reads concatenated gzip members (RFC 1952 §2.2), as the streaming decoder does', async () => {
    const body = Buffer.concat([zlib.gzipSync(event.subarray(0, 100)), zlib.gzipSync(event.subarray(100))]);
    expect((await readDecodedBody(Readable.from([body]), 'gzip', WIDE)).equals(event)).toBe(true);
  });

  it('a small bomb falls back to the streaming decoder and its limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(20 * MiB)); // ~20 KB compressed
    expect(bomb.length).toBeLessThan(64 * 1024);
    const r = await statusOf(readDecodedBody(Readable.from([bomb]), 'gzip', { maxCompressedBytes: MiB, maxDecompressedBytes: 2 * MiB }));
    expect(r).toEqual({ status: 413, message: expect.stringMatching(/decompressed request body \(gzip\) exceeds the 2 MiB limit/) });
  });
});
