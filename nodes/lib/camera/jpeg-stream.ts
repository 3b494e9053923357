// Splits a stream of back-to-back JPEG images (ffmpeg's image2pipe/mjpeg output, rpicam-vid
// --codec mjpeg) into frames by walking the JPEG markers, so an 0xFFD9 inside a thumbnail or
// a segment does not end a frame early. Bounded like the multipart parser.

export interface JpegStreamEvents {
  frame(jpeg: Buffer): void;
  /** Bytes skipped while looking for the next frame, or a frame dropped for its size. */
  drop?(reason: 'garbage' | 'tooLarge', bytes: number): void;
}

export const DEFAULT_MAX_JPEG_BYTES = 16 * 1024 * 1024;

const MARKER = 0xff;
const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const START_OF_IMAGE = Buffer.from([MARKER, SOI]);

/** Markers that stand alone, with no length field after them. */
const standalone = (marker: number): boolean => marker === SOI || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

export class JpegStreamSplitter {
  readonly #events: JpegStreamEvents;
  readonly #maxFrameBytes: number;
  #buffer: Buffer = Buffer.alloc(0);
  /** Where scanning resumes in #buffer; the frame always starts at 0. */
  #at = 0;
  #inFrame = false;
  #entropy = false;

  constructor(events: JpegStreamEvents, maxFrameBytes = DEFAULT_MAX_JPEG_BYTES) {
    this.#events = events;
    this.#maxFrameBytes = maxFrameBytes;
  }

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    while (this.#scan()) { /* one frame (or skip) per pass */ }
    if (this.#inFrame && this.#buffer.length > this.#maxFrameBytes) {
      this.#events.drop?.('tooLarge', this.#buffer.length);
      this.#restartAfter(1);
    }
  }

  /** Returns true when it made progress worth another pass. */
  #scan(): boolean {
    const b = this.#buffer;
    if (!this.#inFrame) {
      const start = b.indexOf(START_OF_IMAGE);
      if (start < 0) {
        const keep = b.length && b[b.length - 1] === MARKER ? 1 : 0;
        if (b.length - keep > 0) this.#events.drop?.('garbage', b.length - keep);
        this.#buffer = b.subarray(b.length - keep);
        return false;
      }
      if (start > 0) this.#events.drop?.('garbage', start);
      this.#buffer = b.subarray(start);
      this.#at = 2;
      this.#inFrame = true;
      this.#entropy = false;
      return true;
    }
    while (this.#at + 1 < b.length) {
      if (this.#entropy) {
        // Inside scan data, 0xFF00 is a stuffed byte and 0xFFD0..D7 are restart markers.
        const next = b.indexOf(MARKER, this.#at);
        if (next < 0 || next + 1 >= b.length) {
          this.#at = next < 0 ? b.length : next;
          return false;
        }
        const marker = b[next + 1];
        if (marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === MARKER) {
          this.#at = marker === MARKER ? next + 1 : next + 2;
          continue;
        }
        this.#entropy = false;
        this.#at = next;
        continue;
      }
      if (b[this.#at] !== MARKER) {
        // Not where a marker must be: the frame is corrupt, look for the next start.
        this.#events.drop?.('garbage', this.#at);
        this.#restartAfter(this.#at);
        return true;
      }
      const marker = b[this.#at + 1];
      if (marker === MARKER) {
        this.#at++;
        continue;
      }
      if (marker === EOI) {
        const end = this.#at + 2;
        this.#events.frame(Buffer.from(b.subarray(0, end)));
        this.#restartAfter(end);
        return true;
      }
      if (standalone(marker)) {
        this.#at += 2;
        continue;
      }
      if (this.#at + 3 >= b.length) return false;
      const length = b.readUInt16BE(this.#at + 2);
      this.#at += 2 + length;
      if (marker === SOS) this.#entropy = true;
    }
    return false;
  }

  #restartAfter(offset: number): void {
    this.#buffer = this.#buffer.subarray(Math.min(offset, this.#buffer.length));
    this.#at = 0;
    this.#inFrame = false;
    this.#entropy = false;
  }
}
