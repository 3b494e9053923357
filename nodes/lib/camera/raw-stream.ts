// Splits a stream of raw frames (ffmpeg's rawvideo rgb24 output) into frames of a fixed byte
// length. Each frame is copied into its own Buffer as the chunks come, so a pipe chunk that
// spans two frames costs no concatenation and the frames sent on never share memory.

export class RawFrameSplitter {
  readonly #frameBytes: number;
  readonly #frame: (data: Buffer) => void;
  #current: Buffer;
  #filled = 0;

  constructor(frameBytes: number, frame: (data: Buffer) => void) {
    this.#frameBytes = frameBytes;
    this.#frame = frame;
    this.#current = Buffer.allocUnsafe(frameBytes);
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const copied = chunk.copy(this.#current, this.#filled, at, at + this.#frameBytes - this.#filled);
      this.#filled += copied;
      at += copied;
      if (this.#filled === this.#frameBytes) {
        const frame = this.#current;
        this.#current = Buffer.allocUnsafe(this.#frameBytes);
        this.#filled = 0;
        this.#frame(frame);
      }
    }
  }
}
