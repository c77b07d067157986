/**
 * Streaming reader for Sentry envelopes, fed by the decompression stream in
 * chunks of any size. Spec: https://develop.sentry.dev/sdk/data-model/envelopes/
 *   Envelope = Headers { "\n" Item } [ "\n" ] ;  Item = Headers "\n" Payload ;
 * Items the caller does not keep are skipped without buffering their payload,
 * so memory stays bounded by the kept items plus one header line.
 *
 * Deliberate leniencies; none changes how a meaningful byte is read:
 * - Blank lines where a header is expected are skipped. Relay (Sentry's own
 *   parser) reads headers with a JSON stream deserializer that skips leading
 *   whitespace, so it accepts them between items; we also accept them at the
 *   end, where the spec says "no whitespace is allowed", so that a stray final
 *   newline does not cost an event. An empty body is `{}` with no items.
 * - A `\r` right before the `\n` ending a header line is trimmed. The spec says
 *   such a `\r` "is considered part of the previous line or payload and may
 *   emit an error"; in a header line it can only be CRLF damage from a
 *   text-mode tool (git autocrlf, an editor, `curl --data-binary @file`), and
 *   JSON treats it as whitespace anyway. Payload bytes are never trimmed: "If
 *   an Item with implicit length is terminated by `\r\n`, then `\r` is
 *   considered an arbitrary character not part of the newline".
 * - `"length": null` means no length, as in Relay (an `Option<u64>` there).
 * - Input ending inside the declared `length` of an item we do NOT keep is
 *   accepted although the spec calls it malformed: real SDK captures in the
 *   corpus (../shared/corpus/envelopes, all of which must be accepted) have a
 *   last item (profile_chunk, replay_video, screenshot attachment) declaring
 *   more bytes than it carries. Those bytes are discarded anyway and nothing
 *   can follow them. A kept item cut short is still a 400.
 *
 * Chunk ownership: push() holds no reference to a chunk once it returns, so
 * callers may reuse chunk buffers, and every kept payload is its own Buffer. It
 * is copied once: into a buffer of its declared `length`, or straight out of
 * the chunk; only an implicit-length payload spanning chunks is copied in
 * pieces and then concatenated.
 */
import { BadRequestError, PayloadTooLargeError } from '../errors.js';

export interface EnvelopeItem {
  headers: Record<string, unknown>;
  type: string;
  payload: Buffer;
}

export interface ParsedEnvelope {
  /** The envelope header object; `{}` for an empty body. */
  headers: Record<string, unknown>;
  /** The envelope header line as sent (a JSON object's text), `{}` for an empty body: what is
   * stored, so that it need not be serialized again. */
  headerText: string;
  /** Only the items whose type passed `opts.keep`, in envelope order. */
  items: EnvelopeItem[];
  /** All items seen, kept or not. */
  itemCount: number;
  /** How many items of each type were skipped. */
  dropped: Record<string, number>;
}

export interface EnvelopeReaderOptions {
  /** Which item types to keep (the server keeps only "event"). */
  keep: (type: string) => boolean;
  /** A kept item payload larger than this is a PayloadTooLargeError. */
  maxItemBytes: number;
  /** A header line longer than this (not counting its line end) is a BadRequestError. Default 64 KiB. */
  maxHeaderBytes?: number;
  /** Called with the envelope header as soon as it is read, before any item; may throw to stop
   * reading (the server refuses an envelope without any auth there, before inflating the rest). */
  onHeaders?: (headers: Record<string, unknown>) => void;
}

const NL = 0x0a;
const CR = 0x0d;
const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;

/**
 * header: expecting the envelope header or an item header line.
 * sized: inside a payload with a declared `length`.
 * terminator: after a sized payload; "Length-prefixed payloads must terminate
 *   with `\n` or EOF ... Any other character, including whitespace, means the
 *   Envelope is malformed."
 * line: inside an implicit-length payload, which "goes to the next newline".
 */
type State = 'header' | 'sized' | 'terminator' | 'line' | 'ended';

export class EnvelopeReader {
  private readonly keep: (type: string) => boolean;
  private readonly maxItemBytes: number;
  private readonly maxHeaderBytes: number;
  private readonly onHeaders: ((headers: Record<string, unknown>) => void) | undefined;

  private state: State = 'header';
  private envelopeHeaders: Record<string, unknown> | undefined;
  private envelopeHeaderText = '{}';
  private readonly kept: EnvelopeItem[] = [];
  private readonly droppedCounts = new Map<string, number>();
  private itemCount = 0;

  /** Copies of the pieces of a header line that spans chunks. */
  private lineParts: Buffer[] = [];
  private lineBytes = 0;

  private itemHeaders: Record<string, unknown> = {};
  private itemType = '';
  private itemKept = false;
  private itemLength = 0;
  private remaining = 0;
  /** Destination of a kept sized payload, allocated at its declared length. */
  private sizedPayload: Buffer | undefined;
  /** Copies of the pieces of a kept implicit-length payload that spans chunks. */
  private payloadParts: Buffer[] = [];
  private payloadBytes = 0;

  constructor(opts: EnvelopeReaderOptions) {
    this.keep = opts.keep;
    this.maxItemBytes = opts.maxItemBytes;
    this.maxHeaderBytes = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.onHeaders = opts.onHeaders;
  }

  /** Throws BadRequestError / PayloadTooLargeError as soon as a problem is known. */
  push(chunk: Buffer): void {
    if (this.state === 'ended') throw new Error('EnvelopeReader: push() after end()');
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case 'header':
          pos = this.readHeaderLine(chunk, pos);
          break;
        case 'sized':
          pos = this.readSized(chunk, pos);
          break;
        case 'terminator': {
          const byte = chunk[pos] ?? NL;
          if (byte !== NL) {
            throw new BadRequestError(
              `${this.describeItem()}: the ${this.itemLength}-byte payload is followed by byte 0x${byte.toString(16).padStart(2, '0')}, not a newline (is "length" wrong?)`,
            );
          }
          pos += 1;
          this.state = 'header';
          break;
        }
        case 'line':
          pos = this.readLinePayload(chunk, pos);
          break;
      }
    }
  }

  /** Throws if the input ended where more was required (inside a kept item). */
  end(): ParsedEnvelope {
    if (this.state === 'ended') throw new Error('EnvelopeReader: end() called twice');
    // "[Headers are] always followed by a newline (`\n`) or the end of the file."
    if (this.state === 'header' && this.lineParts.length > 0) {
      const line = this.takeLine(undefined);
      this.acceptHeaderLine(line, 0, line.length);
    }
    if (this.state === 'sized' && this.itemKept) {
      throw new BadRequestError(
        `${this.describeItem()}: input ended after ${this.itemLength - this.remaining} of the ${this.itemLength} payload bytes its "length" declares`,
      );
    }
    if (this.state === 'line') this.finishLinePayload(undefined);
    this.state = 'ended';
    return {
      headers: this.envelopeHeaders ?? {},
      headerText: this.envelopeHeaderText,
      items: this.kept,
      itemCount: this.itemCount,
      // fromEntries defines own properties, so even a type named "__proto__" counts.
      dropped: Object.fromEntries(this.droppedCounts),
    };
  }

  private readHeaderLine(chunk: Buffer, pos: number): number {
    const nl = chunk.indexOf(NL, pos);
    if (nl === -1) {
      this.lineBytes += chunk.length - pos;
      // +1: the line may yet end in a "\r" that does not count.
      if (this.lineBytes > this.maxHeaderBytes + 1) throw this.headerTooLong();
      this.lineParts.push(Buffer.from(chunk.subarray(pos)));
      return chunk.length;
    }
    if (this.lineParts.length === 0) {
      this.acceptHeaderLine(chunk, pos, nl);
    } else {
      if (this.lineBytes + nl - pos > this.maxHeaderBytes + 1) throw this.headerTooLong();
      const line = this.takeLine(chunk.subarray(pos, nl));
      this.acceptHeaderLine(line, 0, line.length);
    }
    return nl + 1;
  }

  private takeLine(tail: Buffer | undefined): Buffer {
    if (tail !== undefined) {
      this.lineParts.push(tail);
      this.lineBytes += tail.length;
    }
    const line = Buffer.concat(this.lineParts, this.lineBytes);
    this.lineParts = [];
    this.lineBytes = 0;
    return line;
  }

  private acceptHeaderLine(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end -= 1;
    if (end === start) return; // blank line: see the module comment
    if (end - start > this.maxHeaderBytes) throw this.headerTooLong();
    const text = buf.toString('utf8', start, end);
    const headers = parseHeader(text, this.nextHeaderName());
    if (this.envelopeHeaders === undefined) {
      this.envelopeHeaders = headers;
      this.envelopeHeaderText = text;
      this.onHeaders?.(headers);
    } else this.beginItem(headers);
  }

  private beginItem(headers: Record<string, unknown>): void {
    const index = ++this.itemCount;
    const { type, length } = headers;
    if (typeof type !== 'string') {
      throw new BadRequestError(`envelope item ${index}: header has no string "type" (got ${describeJson(type)})`);
    }
    this.itemHeaders = headers;
    this.itemType = type;
    this.itemKept = this.keep(type);
    if (!this.itemKept) this.droppedCounts.set(type, (this.droppedCounts.get(type) ?? 0) + 1);

    if (length === undefined || length === null) {
      this.payloadParts = [];
      this.payloadBytes = 0;
      this.state = 'line';
      return;
    }
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
      throw new BadRequestError(`${this.describeItem()}: "length" must be a non-negative integer, got ${preview(length)}`);
    }
    if (this.itemKept && length > this.maxItemBytes) throw this.itemTooLarge(`of ${length} bytes`);
    this.itemLength = length;
    this.remaining = length;
    this.sizedPayload = this.itemKept ? Buffer.allocUnsafe(length) : undefined;
    if (length === 0) this.finishSized();
    else this.state = 'sized';
  }

  private readSized(chunk: Buffer, pos: number): number {
    const take = Math.min(this.remaining, chunk.length - pos);
    this.sizedPayload?.set(chunk.subarray(pos, pos + take), this.itemLength - this.remaining);
    this.remaining -= take;
    if (this.remaining === 0) this.finishSized();
    return pos + take;
  }

  private finishSized(): void {
    if (this.sizedPayload !== undefined) {
      this.kept.push({ headers: this.itemHeaders, type: this.itemType, payload: this.sizedPayload });
      this.sizedPayload = undefined;
    }
    this.state = 'terminator';
  }

  private readLinePayload(chunk: Buffer, pos: number): number {
    const nl = chunk.indexOf(NL, pos);
    const end = nl === -1 ? chunk.length : nl;
    if (this.itemKept) {
      this.payloadBytes += end - pos;
      if (this.payloadBytes > this.maxItemBytes) throw this.itemTooLarge(`of at least ${this.payloadBytes} bytes`);
    }
    if (nl === -1) {
      if (this.itemKept) this.payloadParts.push(Buffer.from(chunk.subarray(pos)));
      return chunk.length;
    }
    this.finishLinePayload(chunk.subarray(pos, nl));
    this.state = 'header';
    return nl + 1;
  }

  /** `tail` is the payload's last piece, still in the caller's chunk; undefined at end of input. */
  private finishLinePayload(tail: Buffer | undefined): void {
    if (this.itemKept) {
      const parts = this.payloadParts;
      let payload: Buffer;
      if (parts.length === 0) payload = tail === undefined ? Buffer.alloc(0) : Buffer.from(tail);
      else if (tail === undefined && parts.length === 1) payload = parts[0] as Buffer;
      else payload = Buffer.concat(tail === undefined ? parts : [...parts, tail], this.payloadBytes);
      this.kept.push({ headers: this.itemHeaders, type: this.itemType, payload });
    }
    this.payloadParts = [];
    this.payloadBytes = 0;
  }

  private describeItem(): string {
    const type = this.itemType.length > 100 ? `${this.itemType.slice(0, 100)}…` : this.itemType;
    return `envelope item ${this.itemCount} (type ${JSON.stringify(type)})`;
  }

  /** Names the header being read; its type is not known yet. */
  private nextHeaderName(): string {
    return this.envelopeHeaders === undefined ? 'envelope header' : `envelope item ${this.itemCount + 1}`;
  }

  private headerTooLong(): BadRequestError {
    return new BadRequestError(`${this.nextHeaderName()}: header line is longer than ${this.maxHeaderBytes} bytes`);
  }

  private itemTooLarge(detail: string): PayloadTooLargeError {
    return new PayloadTooLargeError(`${this.describeItem()}: payload ${detail} is over the limit of ${this.maxItemBytes} bytes`);
  }
}

/** Reads a whole envelope held in memory; same rules as the streaming reader. */
export function parseEnvelope(buf: Buffer, opts: EnvelopeReaderOptions): ParsedEnvelope {
  const reader = new EnvelopeReader(opts);
  reader.push(buf);
  return reader.end();
}

function parseHeader(text: string, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`${where}: header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError(`${where}: header must be a JSON object, got ${describeJson(value)}`);
  }
  return value as Record<string, unknown>;
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${preview(value)}`;
}

/** A value as JSON, cut short: it goes into an error message. */
function preview(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 60)}…` : json;
}
