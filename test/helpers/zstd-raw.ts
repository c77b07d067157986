/**
 * A zstd frame that stores its data in "raw" (uncompressed) blocks, RFC 8878 §3.1.1.2.
 * Node 20's zlib has no zstd compressor and the one zstd package we have (fzstd) only
 * decompresses, so tests that must send `Content-Encoding: zstd` build the frame by hand:
 * a raw block is valid zstd that any decoder must take, and framing one is a few bytes of
 * header. (Compressed blocks — Huffman literals, FSE sequences — are covered by the unit
 * test's frame from the zstd CLI, test/unit/decode-body.test.ts.)
 */

/** Block_Maximum_Size is min(window size, 128 KiB) (§3.1.1.2.4); a 128 KiB window allows full-size blocks. */
const WINDOW_LOG = 17;
const MAX_BLOCK = 128 * 1024;

export function zstdRawFrame(data: Buffer, blockSize = MAX_BLOCK): Buffer {
  if (blockSize < 1 || blockSize > MAX_BLOCK) throw new RangeError(`block size ${blockSize} out of 1..${MAX_BLOCK}`);
  // Magic number; Frame_Header_Descriptor 0 (no content size, no checksum, not single-segment),
  // so a Window_Descriptor follows: exponent WINDOW_LOG - 10, mantissa 0.
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (WINDOW_LOG - 10) << 3])];
  let at = 0;
  do {
    const block = data.subarray(at, at + blockSize);
    at += block.length;
    const last = at >= data.length ? 1 : 0;
    // Block_Header, 3 bytes little-endian: Last_Block (1 bit), Block_Type 0 = Raw (2 bits), Block_Size (21 bits).
    const header = last | (0 << 1) | (block.length << 3);
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block);
  } while (at < data.length);
  return Buffer.concat(parts);
}
