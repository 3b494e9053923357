// A streaming parser for MJPEG over HTTP (multipart/x-mixed-replace), in the manner of busboy:
// fed chunks of any size, it emits whole JPEG frames, never holds more than the frame limit,
// and finds its way back after garbage or a lost boundary. Written here because it must stream
// and stay bounded on hostile input, which the multipart libraries (made for uploads) do not.
// Content-Length is checked, not trusted (cameras send it wrong): a part read by its length must
// end where its JPEG ends, and no delimiter may stand inside it; otherwise the part runs from
// one delimiter to the next. A part is a frame only from a JPEG start to a JPEG end.
import { jpegEnd } from '../image';

export interface MjpegLimits {
  /** Largest frame kept; a bigger part is dropped (and its bytes skipped, not stored). */
  maxFrameBytes: number;
  /** Largest part header block. */
  maxHeaderBytes: number;
}

export const DEFAULT_MJPEG_LIMITS: MjpegLimits = { maxFrameBytes: 16 * 1024 * 1024, maxHeaderBytes: 8 * 1024 };

/** Why a part was not delivered: over the frame limit, not a JPEG, cut short (no JPEG end), or headers that never ended. */
export type DropReason = 'tooLarge' | 'notJpeg' | 'truncated' | 'badHeaders';

export interface MjpegEvents {
  frame(jpeg: Buffer): void;
  /** A part that was not delivered, and why. */
  drop?(reason: DropReason, bytes: number): void;
}

/** Longest boundary RFC 2046 allows, plus the leading dashes. */
const MAX_BOUNDARY = 72;
const HEADER_END = Buffer.from('\r\n\r\n');
const HEADER_END_LF = Buffer.from('\n\n');

/** The boundary parameter of a Content-Type header, or undefined. */
export function boundaryFromContentType(contentType: string | undefined): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return match ? match[1] ?? match[2] : undefined;
}

type State = 'seek' | 'headers' | 'body' | 'skip';

export class MjpegParser {
  readonly #events: MjpegEvents;
  readonly #limits: MjpegLimits;
  /** The delimiter line as it appears in the body ("--" + boundary), once known. */
  #delimiter: Buffer | undefined;
  #state: State = 'seek';
  #buffer: Buffer = Buffer.alloc(0);
  #parts: Buffer[] = [];
  #partBytes = 0;
  /** The current part's Content-Length while it holds up; undefined: read to the next delimiter. */
  #length: number | undefined;

  constructor(events: MjpegEvents, options: { boundary?: string; limits?: Partial<MjpegLimits> } = {}) {
    this.#events = events;
    this.#limits = { ...DEFAULT_MJPEG_LIMITS, ...options.limits };
    if (options.boundary) this.#delimiter = delimiterFor(options.boundary);
  }

  /** Bytes held right now (unparsed input plus the frame being collected). */
  get bufferedBytes(): number {
    return this.#buffer.length + this.#parts.reduce((sum, p) => sum + p.length, 0);
  }

  /** The boundary in use, given or sniffed. */
  get boundary(): string | undefined {
    return this.#delimiter?.toString('latin1').slice(2);
  }

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    let progressed = true;
    while (progressed && this.#buffer.length) progressed = this.#step();
  }

  /**
   * The stream ended. Returns an error message when it ended inside a frame
   * (`Unexpected end of stream`); the partial frame is dropped.
   */
  end(): string | undefined {
    let message: string | undefined;
    if (this.#state === 'body') {
      // The last part ends with the stream: deliver it if it is a whole JPEG.
      this.#collect(this.#buffer);
      if (this.#partBytes > 0 && jpegEnd(this.#partBuffer()) !== undefined) this.#finishPart();
      else if (this.#partBytes > 0) {
        this.#drop('truncated', this.#partBytes);
        message = 'Unexpected end of stream';
      }
    }
    this.#reset('seek');
    this.#buffer = Buffer.alloc(0);
    return message;
  }

  #step(): boolean {
    switch (this.#state) {
      case 'seek': return this.#seek();
      case 'headers': return this.#headers();
      case 'body': return this.#length === undefined ? this.#bodyToDelimiter() : this.#bodyByLength();
      default: return this.#skip();
    }
  }

  /** Find the next delimiter line; everything before it is skipped. */
  #seek(): boolean {
    if (!this.#delimiter) return this.#sniff();
    const at = this.#buffer.indexOf(this.#delimiter);
    if (at < 0) {
      this.#keepTail(this.#delimiter.length - 1);
      return false;
    }
    const lineEnd = this.#buffer.indexOf(0x0a, at + this.#delimiter.length);
    if (lineEnd < 0) {
      if (this.#buffer.length - at > MAX_BOUNDARY + 4) this.#discard(at + 1);
      else this.#discard(at);
      return false;
    }
    this.#discard(lineEnd + 1);
    this.#state = 'headers';
    return true;
  }

  /** No boundary given: take the first "--token" line that is followed by part headers. */
  #sniff(): boolean {
    const text = this.#buffer.toString('latin1', 0, Math.min(this.#buffer.length, this.#limits.maxHeaderBytes + MAX_BOUNDARY * 2));
    const match = /(?:^|\n)(--[!-~]{1,70})\r?\n(?:[\w-]+:[^\n]*\n)*?content-(?:type|length):/i.exec(text);
    if (match) {
      this.#delimiter = Buffer.from(match[1].replace(/\r$/, ''), 'latin1');
      return true;
    }
    if (this.#buffer.length > this.#limits.maxHeaderBytes + MAX_BOUNDARY * 2) this.#keepTail(this.#limits.maxHeaderBytes);
    return false;
  }

  #headers(): boolean {
    let end = this.#buffer.indexOf(HEADER_END);
    let endLength = HEADER_END.length;
    const lfEnd = this.#buffer.indexOf(HEADER_END_LF);
    if (lfEnd >= 0 && (end < 0 || lfEnd < end)) {
      end = lfEnd;
      endLength = HEADER_END_LF.length;
    }
    if ((end < 0 && this.#buffer.length > this.#limits.maxHeaderBytes) || end > this.#limits.maxHeaderBytes) {
      // Headers that never end: give the part up and look for the next delimiter.
      this.#drop('badHeaders', Math.min(this.#buffer.length, this.#limits.maxHeaderBytes));
      this.#reset('skip');
      return true;
    }
    if (end < 0) return false;
    const headers = this.#buffer.toString('latin1', 0, end);
    this.#discard(end + endLength);
    this.#reset('body');
    const length = /(?:^|\n)content-length:\s*(\d+)/i.exec(headers);
    // A length over the frame limit is not believed at all: the delimiter tells where the part ends.
    if (length && Number(length[1]) <= this.#limits.maxFrameBytes) this.#length = Number(length[1]);
    return true;
  }

  /** A part by its Content-Length, given up for the delimiter when the length turns out wrong. */
  #bodyByLength(): boolean {
    const delimiter = this.#delimiter as Buffer;
    const length = this.#length as number;
    const wanted = length - this.#partBytes;
    const at = this.#buffer.indexOf(delimiter);
    if (at >= 0 && at < wanted) {
      // The next delimiter comes before the announced end: the length is too long.
      this.#length = undefined;
      return true;
    }
    let take = Math.min(wanted, this.#buffer.length);
    // Short of the end, keep enough back to see a delimiter that arrives split across chunks.
    if (take < wanted) take = Math.max(0, take - (delimiter.length - 1));
    this.#collect(this.#buffer.subarray(0, take));
    this.#discard(take);
    if (this.#partBytes < length) return take > 0;
    const part = this.#partBuffer();
    if (part.length >= 2 && part[part.length - 2] === 0xff && part[part.length - 1] === 0xd9) this.#finishPart();
    // The announced length ends inside the image: too short; the part goes on to the delimiter.
    else this.#length = undefined;
    return true;
  }

  #bodyToDelimiter(): boolean {
    const delimiter = this.#delimiter as Buffer;
    const at = this.#buffer.indexOf(delimiter);
    if (at < 0) {
      // Keep enough to recognise a delimiter split across chunks; the rest is frame data.
      const keep = Math.min(this.#buffer.length, delimiter.length + 1);
      this.#collect(this.#buffer.subarray(0, this.#buffer.length - keep));
      this.#buffer = this.#buffer.subarray(this.#buffer.length - keep);
      if (this.#partBytes > this.#limits.maxFrameBytes) {
        this.#drop('tooLarge', this.#partBytes);
        this.#reset('skip');
        return true;
      }
      return false;
    }
    let end = at;
    // The CRLF before the delimiter belongs to the boundary, not to the frame.
    if (end > 0 && this.#buffer[end - 1] === 0x0a) end--;
    if (end > 0 && this.#buffer[end - 1] === 0x0d) end--;
    this.#collect(this.#buffer.subarray(0, end));
    this.#buffer = this.#buffer.subarray(at);
    this.#finishPart();
    return true;
  }

  /** Drop everything up to the next delimiter without storing it. */
  #skip(): boolean {
    const delimiter = this.#delimiter as Buffer;
    const at = this.#buffer.indexOf(delimiter);
    if (at < 0) {
      this.#keepTail(delimiter.length - 1);
      return false;
    }
    this.#discard(at);
    this.#state = 'seek';
    return true;
  }

  #collect(data: Buffer): void {
    if (!data.length) return;
    // Copy: the chunk's memory belongs to the caller's stream.
    if (this.#partBytes + data.length <= this.#limits.maxFrameBytes) this.#parts.push(Buffer.from(data));
    this.#partBytes += data.length;
  }

  #partBuffer(): Buffer {
    return this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts, Math.min(this.#partBytes, this.#limits.maxFrameBytes));
  }

  /** A part is a frame when it holds a JPEG from its start marker to an end marker at (or just before) its end. */
  #finishPart(): void {
    const size = this.#partBytes;
    if (size > this.#limits.maxFrameBytes) {
      this.#drop('tooLarge', size);
    } else {
      const part = this.#partBuffer();
      const end = jpegEnd(part);
      if (!(part.length >= 4 && part[0] === 0xff && part[1] === 0xd8)) this.#drop('notJpeg', size);
      else if (end === undefined) this.#drop('truncated', size);
      else this.#events.frame(end === part.length ? part : part.subarray(0, end));
    }
    this.#reset('seek');
  }

  #drop(reason: DropReason, bytes: number): void {
    this.#events.drop?.(reason, bytes);
  }

  #reset(state: State): void {
    this.#state = state;
    this.#parts = [];
    this.#partBytes = 0;
    this.#length = undefined;
  }

  #discard(count: number): void {
    this.#buffer = this.#buffer.subarray(count);
  }

  #keepTail(bytes: number): void {
    if (this.#buffer.length > bytes) this.#discard(this.#buffer.length - bytes);
  }
}

function delimiterFor(boundary: string): Buffer {
  // Some cameras announce "boundary=--frame" and write "--frame": use it as written then.
  return Buffer.from(boundary.startsWith('--') ? boundary : `--${boundary}`, 'latin1');
}
