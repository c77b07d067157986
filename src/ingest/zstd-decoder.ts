/**
 * zstd request bodies. Node 20's zlib has no zstd, so fzstd (pure JS) decodes, behind a guard
 * that refuses frames whose memory needs are out of bounds before fzstd allocates anything.
 */
import { Decompress as ZstdDecompress } from 'fzstd';
import { HttpError, PayloadTooLargeError } from '../errors.js';
import { corrupt, formatBytes, truncated, type Decoder, type Hooks } from './decoder-hooks.js';

/** RFC 9659 §3: zstd as an HTTP content coding keeps its window at 8 MB, and decoders MAY
 * refuse larger ones. fzstd allocates the whole window the moment it reads a frame header (up to
 * 2 GiB on a 14-byte request) and copies it on every block, so larger windows are refused. */
const ZSTD_MAX_WINDOW = 8 * 1024 * 1024;

/**
 * Walks zstd frame and block headers (RFC 8878 §3.1) ahead of fzstd, skipping block contents,
 * so that a frame whose window or declared content size is too big is refused before fzstd
 * allocates memory for it. Costs a few operations per block, not per byte.
 */
class ZstdFrameGuard {
  private head: number[] = [];
  private want = 4; // header bytes needed before the next decision
  private skip = 0; // block content (plus checksum) bytes to pass over
  private inFrame = false;
  private checksumBytes = 0;

  constructor(private readonly maxContent: number) {}

  scan(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; ) {
      const n = Math.min(this.skip, chunk.length - i);
      this.skip -= n;
      i += n;
      if (i === chunk.length) break;
      this.head.push(chunk[i++]!);
      if (this.head.length === this.want) this.step();
    }
  }

  private step(): void {
    const h = this.head;
    const le = (at: number, n: number) => {
      let v = 0;
      for (let k = n - 1; k >= 0; k--) v = v * 256 + h[at + k]!;
      return v;
    };
    const next = (want: number, skip: number) => {
      this.head = [];
      this.want = want;
      this.skip = skip;
    };
    if (this.inFrame) {
      // Block_Header: Last_Block (1 bit), Block_Type (2), Block_Size (21); RLE content is 1 byte.
      const v = le(0, 3);
      const type = (v >> 1) & 3;
      if (type === 3) throw corrupt('zstd', 'reserved block type');
      const content = type === 1 ? 1 : v >>> 3;
      this.inFrame = (v & 1) === 0;
      return this.inFrame ? next(3, content) : next(4, content + this.checksumBytes);
    }
    const magic = le(0, 4);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      // Skippable frame: 4-byte magic, 4-byte size, content nobody decodes.
      return h.length < 8 ? void (this.want = 8) : next(4, le(4, 4));
    }
    if (magic !== 0xfd2fb528) throw corrupt('zstd', 'bad frame magic number');
    if (h.length < 5) return void (this.want = 5);
    // Frame_Header_Descriptor: FCS_Field_Size (2 bits), Single_Segment (1), unused, reserved,
    // Content_Checksum (1), Dictionary_ID size (2). Window_Descriptor unless single-segment.
    const fhd = h[4]!;
    const single = (fhd >> 5) & 1;
    const fcsBytes = fhd >> 6 === 0 ? single : 1 << (fhd >> 6);
    const size = 6 - single + [0, 1, 2, 4][fhd & 3]! + fcsBytes;
    if (h.length < size) return void (this.want = size);
    const fcs = fcsBytes === 0 ? null : le(size - fcsBytes, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
    const base = 2 ** (10 + (h[5]! >> 3));
    const window = single ? fcs! : base + (base / 8) * (h[5]! & 7);
    if (fcs !== null && fcs > this.maxContent) {
      throw new PayloadTooLargeError(
        `zstd frame declares ${fcs} bytes of content, over the ${formatBytes(this.maxContent)} decompressed limit`,
      );
    }
    if (window > ZSTD_MAX_WINDOW) {
      throw new PayloadTooLargeError(
        `zstd window of ${formatBytes(window)} is over the ${formatBytes(ZSTD_MAX_WINDOW)} allowed for HTTP (RFC 9659)`,
      );
    }
    this.checksumBytes = fhd & 4 ? 4 : 0;
    this.inFrame = true;
    next(3, 0);
  }
}

const EMPTY = new Uint8Array(0);

export function zstdDecoder(h: Hooks, maxContent: number): Decoder {
  const guard = new ZstdFrameGuard(maxContent);
  const stop = new Error('stop'); // unwinds fzstd out of a chunk once the reading loop failed
  // fzstd decodes synchronously and hands over one fresh block (≤ 128 KiB) at a time.
  const dec = new ZstdDecompress((block) => {
    if (block.length > 0) h.output(Buffer.from(block.buffer, block.byteOffset, block.length));
    if (h.stopped()) throw stop;
  });
  const run = (fn: () => unknown): boolean => {
    try {
      return fn(), true;
    } catch (err) {
      // fail() keeps the first error, so `stop` and the limit/sink error it stands for are fine.
      if (err instanceof HttpError) h.fail(err);
      else if ((err as { code?: unknown }).code === 5) h.fail(truncated('zstd')); // UnexpectedEOF
      else h.fail(corrupt('zstd', err instanceof Error ? err.message : String(err)));
      return false;
    }
  };
  return {
    write: (chunk) => void run(() => (guard.scan(chunk), dec.push(chunk))),
    end: () => void (run(() => dec.push(EMPTY, true)) && h.done()),
    destroy: () => {},
  };
}

