// Cameras that push frames: a supervised process (ffmpeg, rpicam-vid) writing back-to-back
// JPEGs or raw frames, or an HTTP MJPEG stream. Each new connection gets a fresh parser, so a
// frame cut off by a reconnect is never glued to the next one.
import { HttpConnection, type HttpOptions } from './http';
import { JpegStreamSplitter } from './jpeg-stream';
import { MjpegParser, boundaryFromContentType, type DropReason, type MjpegLimits } from './mjpeg';
import { RawFrameSplitter } from './raw-stream';
import { CaptureSupervisor, ProcessConnection, type CaptureState, type ProcessSpec, type SupervisorOptions } from './supervisor';

export interface StreamEvents {
  frame(jpeg: Buffer): void;
  state(state: CaptureState): void;
  /** A part of the stream that was not a frame, and why (MJPEG streams). */
  drop?(reason: DropReason): void;
}

/**
 * A supervised capture process. Its output is back-to-back JPEGs, or raw frames of
 * `rawFrameBytes` each when that is given.
 */
export function processCamera(spec: () => ProcessSpec, events: StreamEvents, options: Partial<SupervisorOptions> = {}, rawFrameBytes?: number): CaptureSupervisor {
  let splitter: { push(chunk: Buffer): void } | undefined;
  const supervisor: CaptureSupervisor = new CaptureSupervisor(() => new ProcessConnection(spec()), {
    restart: () => {
      const frame = (data: Buffer): void => {
        supervisor.frameSeen();
        events.frame(data);
      };
      splitter = rawFrameBytes ? new RawFrameSplitter(rawFrameBytes, frame) : new JpegStreamSplitter({ frame });
    },
    data: (chunk) => splitter?.push(chunk),
    state: events.state,
  }, options);
  return supervisor;
}

export function mjpegCamera(url: string, http: HttpOptions, events: StreamEvents, options: Partial<SupervisorOptions> = {}, limits?: Partial<MjpegLimits>): CaptureSupervisor {
  let connection: HttpConnection | undefined;
  let parser: MjpegParser | undefined;
  const supervisor: CaptureSupervisor = new CaptureSupervisor(() => {
    connection = new HttpConnection(url, http);
    return connection;
  }, {
    restart: () => { parser = undefined; },
    data: (chunk) => {
      // The boundary is known once the response headers came, just before the first data.
      parser ??= new MjpegParser(
        { frame: (jpeg) => { supervisor.frameSeen(); events.frame(jpeg); }, drop: (reason) => events.drop?.(reason) },
        { boundary: boundaryFromContentType(connection?.contentType), limits },
      );
      parser.push(chunk);
    },
    state: events.state,
  }, options);
  return supervisor;
}
